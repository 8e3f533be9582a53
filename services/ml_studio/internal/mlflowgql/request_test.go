package mlflowgql

import (
	"net/http"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// TestRead: a body is one JSON object MLflow reads one way only.
func TestRead(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // an error's words; "" when accepted
		query, op  string
		vars       int
	}{
		{"query alone", `{"query":"{ test { output } }"}`, "", "{ test { output } }", "", 0},
		{"all three", ` {"query":"q","variables":{"a":1,"b":{"c":[1,2]}},"operationName":"A"} `, "", "q", "A", 2},
		{"nulls are absent", `{"query":"q","variables":null,"operationName":null}`, "", "q", "", 0},
		{"other members are ignored", `{"query":"q","extensions":{"persistedQuery":{"version":1}}}`, "", "q", "", 0},
		{"a key twice", `{"query":"a","query":"b"}`, "more than once", "", "", 0},
		{"a variable twice", `{"query":"q","variables":{"a":1,"a":2}}`, "more than once", "", "", 0},
		{"a key twice deep down", `{"query":"q","variables":{"a":{"x":[{"k":1,"k":2}]}}}`, "more than once", "", "", 0},
		{"the same key in sibling objects is fine", `{"query":"q","variables":{"a":{"k":1},"b":{"k":2}}}`, "", "q", "", 2},
		{"a batch", `[{"query":"q"}]`, "one JSON object", "", "", 0},
		{"double-encoded", `"{\"query\":\"q\"}"`, "one JSON object", "", "", 0},
		{"trailing data", `{"query":"q"} {"query":"r"}`, "one JSON object", "", "", 0},
		{"not JSON", `query { test }`, "one JSON object", "", "", 0},
		{"NaN", `{"query":"q","variables":{"a":NaN}}`, "one JSON object", "", "", 0},
		{"empty", ``, "one JSON object", "", "", 0},
		{"no query", `{"variables":{}}`, "'query'", "", "", 0},
		{"an empty query", `{"query":""}`, "'query'", "", "", 0},
		{"a query that is no string", `{"query":{"a":1}}`, "'query'", "", "", 0},
		{"variables that are no object", `{"query":"q","variables":"{\"a\":1}"}`, "'variables'", "", "", 0},
		{"variables that are a list", `{"query":"q","variables":[1]}`, "'variables'", "", "", 0},
		{"an operationName that is no string", `{"query":"q","operationName":1}`, "'operationName'", "", "", 0},
		{"an empty operationName", `{"query":"q","operationName":""}`, "'operationName'", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Read([]byte(tt.body))
			if tt.want != "" {
				if err == nil || !apierror.IsStatus(err, http.StatusBadRequest) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want a 400 mentioning %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Query != tt.query || r.OperationName != tt.op || len(r.Variables) != tt.vars {
				t.Fatalf("read %+v", r)
			}
		})
	}
}
