package access_test

import (
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// TestRulesNameRealEndpoints: every rule is for an endpoint the pinned
// MLflow serves (with {id} for its path parameters), so a rule cannot
// silently guard a path nobody calls while the real one goes unchecked.
func TestRulesNameRealEndpoints(t *testing.T) {
	spec := mlflowapi.Pinned()
	for key := range access.Rules {
		method, path, _ := strings.Cut(key, " ")
		probe := strings.ReplaceAll(path, "{id}", "x")
		e, _, ok := spec.Lookup(method, "/api/2.0/mlflow"+probe)
		if !ok {
			t.Errorf("rule %q: MLflow %s serves no such endpoint", key, spec.Version)
			continue
		}
		if _, _, ok := spec.Lookup(method, "/ajax-api/2.0/mlflow"+probe); !ok {
			t.Errorf("rule %q: no /ajax-api twin (handler %s)", key, e.Handler)
		}
	}
	for key, refs := range access.Reads {
		if _, ok := access.Rules[key]; !ok {
			t.Errorf("Reads names %q, which has no rule", key)
		}
		method, path, _ := strings.Cut(key, " ")
		e, _, _ := spec.Lookup(method, "/api/2.0/mlflow"+path)
		for _, ref := range refs {
			f, ok := fieldOf(spec.Fields(e.Message), ref.Field)
			if !ok {
				t.Errorf("%s: %s has no field %q", key, e.Message, ref.Field)
				continue
			}
			if ref.Item != "" {
				if _, ok := fieldOf(spec.Fields(f.Message), ref.Item); !ok {
					t.Errorf("%s: %s has no field %q", key, f.Message, ref.Item)
				}
			}
		}
	}
}

func fieldOf(fields []mlflowapi.Field, name string) (mlflowapi.Field, bool) {
	for _, f := range fields {
		if f.Name == name {
			return f, true
		}
	}
	return mlflowapi.Field{}, false
}
