package api

import "testing"

// TestNamedModels: readable models are named to MLflow only when every
// name fits inside its quotes as it is; otherwise the search scans.
func TestNamedModels(t *testing.T) {
	tests := []struct {
		elements []string
		want     string
	}{
		{[]string{"registered_model:iris", "registered_model:my model-2.x@team"}, "name IN ('iris','my model-2.x@team')"},
		{[]string{"registered_model:iris", "registered_model:o'brien"}, ""},
		{[]string{"registered_model:back\\slash"}, ""},
		{[]string{"registered_model:quote\"d"}, ""},
		{[]string{"registered_model:line\nbreak"}, ""},
		{[]string{"experiment:1"}, ""},
	}
	for _, tt := range tests {
		if got := namedModels(tt.elements); got != tt.want {
			t.Errorf("namedModels(%q) = %q, want %q", tt.elements, got, tt.want)
		}
	}
}
