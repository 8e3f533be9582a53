package mlflowapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

func TestParse(t *testing.T) {
	const api = "/api/2.0/mlflow"
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	for _, tc := range []struct {
		name, method, path, query, body string
		want                            map[string]any // nil: an error is wanted
		wantErr                         string         // part of the 400's message
	}{
		{name: "GET reads the query", method: "GET", path: api + "/runs/get", query: "run_id=a",
			want: map[string]any{"run_id": "a"}},
		{name: "GET with a body is refused", method: "GET", path: api + "/runs/get", query: "run_id=a", body: `{"run_id":"b"}`,
			wantErr: "not in a body"},
		{name: "GET with only a body is refused too", method: "GET", path: api + "/experiments/get", body: `{"experiment_id":"1"}`,
			wantErr: "not in a body"},
		{name: "a query parameter twice", method: "GET", path: api + "/runs/get", query: "run_id=a&run_id=b",
			wantErr: "more than once"},
		{name: "the same parameter percent-encoded", method: "GET", path: api + "/runs/get", query: "run_id=a&run%5Fid=b",
			wantErr: "more than once"},
		{name: "a repeated field keeps every value", method: "GET", path: api + "/metrics/get-history-bulk-interval", query: "run_ids=a&run_ids=b&metric_key=m",
			want: map[string]any{"run_ids": []string{"a", "b"}, "metric_key": "m"}},
		{name: "camelCase is not read from a query", method: "GET", path: api + "/runs/get", query: "runId=a",
			want: map[string]any{}},
		{name: "unknown query parameters are dropped", method: "GET", path: api + "/experiments/get", query: "experiment_id=1&presigned=true",
			want: map[string]any{"experiment_id": "1"}},
		{name: "a handler's own argument is kept", method: "GET", path: api + "/logged-models/m-1", query: "allow_deleted=true",
			want: map[string]any{"allow_deleted": "true"}},
		{name: "run_uuid becomes run_id", method: "GET", path: api + "/runs/get", query: "run_uuid=a",
			want: map[string]any{"run_id": "a"}},
		{name: "run_id and run_uuid disagree", method: "GET", path: api + "/runs/get", query: "run_id=a&run_uuid=b",
			wantErr: "different runs"},
		{name: "an empty run_id gives way to run_uuid", method: "GET", path: api + "/runs/get", query: "run_id=&run_uuid=b",
			want: map[string]any{"run_id": "b"}},
		{name: "an empty integer in a query", method: "GET", path: "/api/3.0/mlflow/datasets/d-1/records", query: "max_results=",
			wantErr: "whole number"},
		{name: "an integer in a query", method: "GET", path: "/api/3.0/mlflow/datasets/d-1/records", query: "max_results=10",
			want: map[string]any{"max_results": "10"}},
		{name: "a non-integer in a body", method: "POST", path: api + "/runs/log-metric", body: `{"run_id":"a","key":"k","value":1,"timestamp":"soon"}`,
			wantErr: "whole number"},
		{name: "integers as numbers and strings in a body", method: "POST", path: api + "/runs/log-metric", body: `{"run_id":"a","key":"k","value":1,"timestamp":"1733216000000","step":2}`,
			want: map[string]any{"run_id": raw(`"a"`), "key": raw(`"k"`), "value": raw(`1`), "timestamp": raw(`"1733216000000"`), "step": raw(`2`)}},
		{name: "malformed query", method: "GET", path: api + "/runs/get", query: "run_id=a;b",
			wantErr: "malformed"},

		{name: "POST reads the body", method: "POST", path: api + "/runs/create", body: `{"experiment_id":"1","run_name":"x"}`,
			want: map[string]any{"experiment_id": raw(`"1"`), "run_name": raw(`"x"`)}},
		{name: "POST with a query is refused", method: "POST", path: api + "/runs/create", query: "experiment_id=2", body: `{"experiment_id":"1"}`,
			wantErr: "not in the query string"},
		{name: "the camelCase alias is read", method: "POST", path: api + "/runs/create", body: `{"experimentId":"1"}`,
			want: map[string]any{"experiment_id": raw(`"1"`)}},
		{name: "both spellings are refused", method: "POST", path: api + "/runs/create", body: `{"experiment_id":"2","experimentId":"1"}`,
			wantErr: "given twice"},
		{name: "a key twice is refused", method: "POST", path: api + "/runs/create", body: `{"experiment_id":"2","experiment_id":"1"}`,
			wantErr: "more than once"},
		{name: "an escaped key is the same key", method: "POST", path: api + "/runs/create", body: `{"experiment_id":"2","experiment\u005fid":"1"}`,
			wantErr: "more than once"},
		{name: "unknown body fields are dropped", method: "POST", path: api + "/runs/set-tag", body: `{"run_id":"a","key":"k","value":"v","evil":1}`,
			want: map[string]any{"run_id": raw(`"a"`), "key": raw(`"k"`), "value": raw(`"v"`)}},
		{name: "runUuid is folded into run_id", method: "POST", path: api + "/runs/set-tag", body: `{"runUuid":"a","key":"k","value":"v"}`,
			want: map[string]any{"run_id": raw(`"a"`), "key": raw(`"k"`), "value": raw(`"v"`)}},
		{name: "runId and run_uuid disagree", method: "POST", path: api + "/runs/set-tag", body: `{"runId":"a","run_uuid":"b","key":"k","value":"v"}`,
			wantErr: "different runs"},
		{name: "a number for a string field", method: "POST", path: api + "/runs/create", body: `{"experiment_id":1}`,
			wantErr: "must be a string"},
		{name: "a list of numbers for a list of strings", method: "POST", path: api + "/runs/search", body: `{"experiment_ids":[1]}`,
			wantErr: "list of strings"},
		// Found by schemathesis: MLflow answered these with a bare 500.
		{name: "an object for an enum", method: "POST", path: api + "/experiments/search", body: `{"view_type":{}}`,
			wantErr: "name or a whole number"},
		{name: "a list for an enum", method: "POST", path: api + "/experiments/search", body: `{"view_type":[1]}`,
			wantErr: "name or a whole number"},
		{name: "an enum by name", method: "POST", path: api + "/experiments/search", body: `{"view_type":"ALL"}`,
			want: map[string]any{"view_type": raw(`"ALL"`)}},
		{name: "an enum by number", method: "POST", path: api + "/experiments/search", body: `{"view_type":3}`,
			want: map[string]any{"view_type": raw(`3`)}},
		// Found by schemathesis: MLflow answers 500 for a page token that is not ASCII.
		{name: "a page token not ASCII in a query", method: "GET", path: api + "/metrics/get-history", query: "run_id=a&metric_key=m&page_token=%C3%A9",
			wantErr: "'page_token' must be a page token"},
		{name: "a page token not ASCII in a body", method: "POST", path: api + "/runs/search", body: `{"experiment_ids":["1"],"page_token":"\u00e9"}`,
			wantErr: "'page_token' must be a page token"},
		// Found by schemathesis: MLflow on PostgreSQL answers 500 for a NUL.
		{name: "a NUL in a query value", method: "GET", path: api + "/runs/get", query: "run_id=a%00",
			wantErr: "'run_id' must not contain NUL"},
		{name: "a NUL in a body string", method: "POST", path: api + "/runs/set-tag", body: `{"run_id":"a","key":"k","value":"v\u0000"}`,
			wantErr: "'value' must not contain NUL"},
		{name: "a NUL deep in a list", method: "POST", path: api + "/runs/log-batch", body: `{"run_id":"a","params":[{"key":"k","value":"\u0000"}]}`,
			wantErr: "'params' must not contain NUL"},
		{name: "an escaped backslash before u0000 is text", method: "POST", path: api + "/runs/set-tag", body: `{"run_id":"a","key":"k","value":"\\u0000"}`,
			want: map[string]any{"run_id": raw(`"a"`), "key": raw(`"k"`), "value": raw(`"\\u0000"`)}},
		{name: "null is allowed", method: "POST", path: api + "/runs/create", body: `{"experiment_id":null}`,
			want: map[string]any{"experiment_id": raw(`null`)}},
		{name: "double-encoded body", method: "POST", path: api + "/runs/create", body: `"{\"experiment_id\":\"1\"}"`,
			want: map[string]any{"experiment_id": raw(`"1"`)}},
		{name: "trailing data", method: "POST", path: api + "/runs/create", body: `{"experiment_id":"1"}{"experiment_id":"2"}`,
			wantErr: "one JSON object"},
		{name: "not an object", method: "POST", path: api + "/runs/create", body: `["experiment_id"]`,
			wantErr: "one JSON object"},
		{name: "not JSON", method: "POST", path: api + "/runs/create", body: `experiment_id=1`,
			wantErr: "one JSON object"},
		{name: "empty body", method: "POST", path: api + "/runs/create",
			want: map[string]any{}},
		{name: "the body agrees with the path", method: "POST", path: api + "/logged-models/m-1/params", body: `{"model_id":"m-1","params":[]}`,
			want: map[string]any{"model_id": raw(`"m-1"`), "params": raw(`[]`)}},
		{name: "the body disagrees with the path", method: "POST", path: api + "/logged-models/m-1/params", body: `{"modelId":"m-2","params":[]}`,
			wantErr: "differs from the one in the path"},
		{name: "DELETE reads the body", method: "DELETE", path: api + "/registered-models/delete", body: `{"name":"m"}`,
			want: map[string]any{"name": raw(`"m"`)}},
		{name: "DELETE with a query is refused", method: "DELETE", path: api + "/registered-models/delete", query: "name=m",
			wantErr: "not in the query string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Pinned().Parse(tc.method, tc.path, tc.query, []byte(tc.body))
			if tc.wantErr != "" {
				var ae *apierror.Error
				if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || !strings.Contains(ae.Message, tc.wantErr) {
					t.Fatalf("err = %v, want a 400 saying %q (params %v)", err, tc.wantErr, r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Params, tc.want) {
				t.Fatalf("params = %#v, want %#v", r.Params, tc.want)
			}
		})
	}
}

func TestParseUnknownEndpoint(t *testing.T) {
	if _, err := Pinned().Parse("GET", "/api/2.0/mlflow/runs/steal", "", nil); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("err = %v", err)
	}
	if _, err := Pinned().Parse("DELETE", "/api/2.0/mlflow/runs/get", "", nil); !errors.Is(err, ErrNoEndpoint) {
		t.Fatalf("err = %v", err)
	}
}

func TestPathParams(t *testing.T) {
	r, err := Pinned().Parse("DELETE", "/api/2.0/mlflow/logged-models/m-1/tags/k", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"model_id": "m-1", "tag_key": "k"}; !reflect.DeepEqual(r.PathParams, want) {
		t.Fatalf("path params %v, want %v", r.PathParams, want)
	}
}

func TestPathParamTail(t *testing.T) {
	r, err := Pinned().Parse("DELETE", "/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/x.txt", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"artifact_path": "1/abc/artifacts/x.txt"}; !reflect.DeepEqual(r.PathParams, want) {
		t.Fatalf("path params %v, want %v", r.PathParams, want)
	}
	if _, _, ok := Pinned().Lookup("DELETE", "/api/2.0/mlflow-artifacts/artifacts/"); ok {
		t.Fatal("an empty tail matched")
	}
}

func TestValues(t *testing.T) {
	for _, tc := range []struct {
		name, path, body, query string
		want                    []string
		wantErr                 string
	}{
		{"a list of messages", "/runs/log-inputs", `{"run_id":"r","models":[{"model_id":"m-1"},{"model_id":"m-2"}]}`, "", []string{"m-1", "m-2"}, ""},
		{"aliases", "/runs/log-inputs", `{"run_id":"r","models":[{"modelId":"m-1"}]}`, "", []string{"m-1"}, ""},
		{"both spellings", "/runs/log-inputs", `{"run_id":"r","models":[{"modelId":"m-1","model_id":"m-2"}]}`, "", nil, "given twice"},
		{"a key twice", "/runs/log-inputs", `{"run_id":"r","models":[{"model_id":"m-1","model_id":"m-2"}]}`, "", nil, "more than once"},
		{"not a list", "/runs/log-inputs", `{"run_id":"r","models":{"model_id":"m-1"}}`, "", nil, "must be a list"},
		{"not objects", "/runs/log-inputs", `{"run_id":"r","models":["m-1"]}`, "", nil, "JSON object"},
		{"absent", "/runs/log-inputs", `{"run_id":"r"}`, "", nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Pinned().Parse("POST", "/api/2.0/mlflow"+tc.path, tc.query, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			vals, err := Pinned().Values(r, "models.model_id")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vals {
				s, _ := Text(v)
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValuesDeepAndListsOfStrings(t *testing.T) {
	spec := Pinned()
	r, err := spec.Parse("POST", "/api/3.0/mlflow/traces", "", []byte(
		`{"trace":{"traceInfo":{"trace_id":"tr-1","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflowExperiment":{"experimentId":"7"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	vals, err := spec.Values(r, "trace.trace_info.trace_location.mlflow_experiment.experiment_id")
	if err != nil || len(vals) != 1 || string(vals[0]) != `"7"` {
		t.Fatalf("%s, %v", vals, err)
	}
	r, err = spec.Parse("GET", "/api/3.0/mlflow/traces/batchGet", "trace_ids=a&trace_ids=b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if vals, err := spec.Values(r, "trace_ids"); err != nil || len(vals) != 2 || string(vals[1]) != `"b"` {
		t.Fatalf("%s, %v", vals, err)
	}
}
