package mlflowapi

import "testing"

func TestParseSource(t *testing.T) {
	for _, tc := range []struct {
		source string
		kind   SourceKind
		name   string
		bad    bool
	}{
		{source: "models:/alice-model/1", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:/alice-model/latest", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:/alice-model/Production", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:/alice-model@champion", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:/a@b@champion", kind: SourceRegisteredModel, name: "a@b"},
		{source: "MODELS:/alice-model/1", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "  models:/alice-model/1", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:///alice-model/1", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:////alice-model/1", kind: SourceRegisteredModel, name: "alice-model"},
		{source: "models:/my model/2", kind: SourceRegisteredModel, name: "my model"},
		{source: "models:/m-0123abc", kind: SourceLoggedModel, name: "m-0123abc"},
		{source: "runs:/abc123/model", kind: SourceRun, name: "abc123"},
		{source: "mlflow-artifacts:/1/abc/artifacts/model", kind: SourceLocation},
		{source: "s3://bucket/x", kind: SourceLocation},
		{source: "/tmp/x", kind: SourceLocation},
		{source: "dummy-source", kind: SourcePlaceholder},
		{source: "prompt-template", kind: SourcePlaceholder},
		{source: "models://host/alice-model/1", bad: true},
		{source: "models:/alice-model?x/1", bad: true},
		{source: "models:/alice-model#x", bad: true},
		{source: "mo\tdels:/alice-model/1", bad: true},
		{source: "models:/a/b/c", bad: true},
		{source: "models:/ /1", bad: true},
		{source: "models:/alice-model/ ", bad: true},
		{source: "models:/alice-model@", bad: true},
		{source: "models:alice-model/1", bad: true},
		{source: "models:/", bad: true},
		{source: "runs://host/abc/model", bad: true},
		{source: "runs:/", bad: true},
	} {
		got, err := ParseSource(tc.source)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: %+v, want refused", tc.source, got)
			}
			continue
		}
		if err != nil || got.Kind != tc.kind || got.Name != tc.name {
			t.Errorf("%q: %+v, %v; want kind %d name %q", tc.source, got, err, tc.kind, tc.name)
		}
	}
}

func TestWithinRoot(t *testing.T) {
	const root = "mlflow-artifacts:/1/abc/artifacts"
	for _, tc := range []struct {
		location string
		want     bool
	}{
		{"mlflow-artifacts:/1/abc/artifacts/model", true},
		{"mlflow-artifacts:/1/abc/artifacts", true},
		{"MLFLOW-ARTIFACTS:/1/abc/artifacts/model", true},
		{"mlflow-artifacts:///1/abc/artifacts/model", true},
		{"mlflow-artifacts:/1/%61bc/artifacts/model", true},
		{"mlflow-artifacts:/1/abc/artifacts/../../def/artifacts", false},
		{"mlflow-artifacts:/1/abc/artifacts/%2e%2e/x", false},
		{"mlflow-artifacts:/1/abc/artifacts/%252e%252e/x", false},
		{"mlflow-artifacts:/1/abc/artifacts%2F..%2Fx", false},
		{"mlflow-artifacts:/1/abcd/artifacts/model", false},
		{"mlflow-artifacts:/1/abc", false},
		{"mlflow-artifacts://host/1/abc/artifacts/model", false},
		{"s3://1/abc/artifacts/model", false},
		{"mlflow-artifacts:/1/abc/artifacts/model?x", false},
	} {
		if got := WithinRoot(tc.location, root); got != tc.want {
			t.Errorf("WithinRoot(%q) = %v, want %v", tc.location, got, tc.want)
		}
	}
}
