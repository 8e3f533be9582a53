package mlflowapi

import (
	"encoding/json"
	"testing"
)

// FuzzParse: no input panics the parser, every body value it keeps is
// valid JSON, and a parameter is never kept under two names.
// go test -fuzz FuzzParse ./services/ml_studio/internal/mlflowapi
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ method, path, query, body string }{
		{"GET", "/api/2.0/mlflow/runs/get", "run_id=a&run_uuid=b", ""},
		{"POST", "/api/2.0/mlflow/runs/create", "", `{"experimentId":"1","experiment_id":"2"}`},
		{"POST", "/api/2.0/mlflow/runs/log-batch", "", `{"run_id":"a","metrics":[{"key":"m","value":1,"timestamp":"1","step":"0"}]}`},
		{"POST", "/api/2.0/mlflow/runs/log-inputs", "", `"{\"run_id\":\"a\",\"models\":[{\"modelId\":\"m\"}]}"`},
		{"POST", "/api/2.0/mlflow/logged-models/m-1/params", "", `{"model_id":"m-1","k\u0065y":[1,{"a":"}"}]}`},
		{"DELETE", "/api/2.0/mlflow-artifacts/artifacts/1/x/y", "", ""},
	} {
		f.Add(seed.method, seed.path, seed.query, seed.body)
	}
	spec := Pinned()
	f.Fuzz(func(t *testing.T, method, path, query, body string) {
		r, err := spec.Parse(method, path, query, []byte(body))
		if err != nil {
			return
		}
		if _, ok := r.Params["run_uuid"]; ok && r.Params["run_id"] != nil {
			t.Fatalf("run_id and run_uuid both kept: %v", r.Params)
		}
		for k, v := range r.Params {
			if raw, ok := v.(json.RawMessage); ok && !json.Valid(raw) {
				t.Fatalf("%s: invalid JSON kept: %q", k, raw)
			}
		}
		for _, f := range spec.Fields(r.Endpoint.Message) {
			if f.JSON != f.Name {
				if _, ok := r.Params[f.JSON]; ok {
					t.Fatalf("kept under its alias %s: %v", f.JSON, r.Params)
				}
			}
		}
		_ = r.Path()
		for _, f := range spec.Fields(r.Endpoint.Message) {
			for _, g := range spec.Fields(f.Message) {
				_, _ = spec.Values(r, f.Name+"."+g.Name)
			}
		}
	})
}
