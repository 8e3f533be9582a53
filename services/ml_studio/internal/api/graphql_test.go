package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// graphQLMLflow is an MLflow whose runs r1 and r2 live in experiments 1
// and 2; it records the GraphQL documents it is sent and answers them with
// answer.
type graphQLMLflow struct {
	mu     sync.Mutex
	sent   []string
	answer string
}

func (m *graphQLMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/api/2.0/mlflow/runs/get" {
		id := r.URL.Query().Get("run_id")
		exp := map[string]string{"r1": "1", "r2": "2"}[id]
		if exp == "" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Run with id=` + id + ` not found"}`))
			return
		}
		_, _ = w.Write([]byte(`{"run":{"info":{"run_id":"` + id + `","experiment_id":"` + exp + `"}}}`))
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/graphql" || r.URL.RawQuery != "" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusTeapot)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(req) != 1 {
		m.sent = append(m.sent, "more than the query: "+string(body))
	} else {
		q, _ := req["query"].(string)
		m.sent = append(m.sent, q)
	}
	w.Header().Set("Content-Type", "application/json")
	answer := m.answer
	if answer == "" {
		answer = `{"data":{},"errors":null}`
	}
	_, _ = w.Write([]byte(answer))
}

func (m *graphQLMLflow) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.sent
	m.sent = nil
	return out
}

// grants is a cerberus that allows read on the elements it holds.
type grants map[string]bool

func (g grants) Authorize(_ context.Context, _ cerberus.Credential, element, _ string) (cerberus.Decision, error) {
	return cerberus.Decision{Allowed: g[element], User: &cerberus.User{ID: 7, Username: "bob"}}, nil
}

func (g grants) AuthorizeBatch(ctx context.Context, cred cerberus.Credential, elements []string, op string) (map[string]cerberus.Decision, error) {
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		out[e], _ = g.Authorize(ctx, cred, e, op)
	}
	return out, nil
}

func (g grants) Readable(_ context.Context, _ cerberus.Credential, kind, _ string) (cerberus.Readable, error) {
	var names []string
	for e := range g {
		if strings.HasPrefix(e, kind+":") {
			names = append(names, e)
		}
	}
	return cerberus.Readable{Names: names}, nil
}

// gqlBody is a GraphQL request body.
func gqlBody(query, variables, opName string) string {
	q, _ := json.Marshal(query)
	b := `{"query":` + string(q)
	if variables != "" {
		b += `,"variables":` + variables
	}
	if opName != "" {
		b += `,"operationName":"` + opName + `"`
	}
	return b + "}"
}

// TestGraphQL: each root field is authorized by what its arguments name,
// however the document spells it, and MLflow is sent exactly the checked
// operation, printed anew. The caller may read experiment 1 (run r1) and
// model m-ok; experiment 2 (run r2) and every other model are someone
// else's.
func TestGraphQL(t *testing.T) {
	rec := &graphQLMLflow{}
	srv := studioOn(t, rec, grants{"experiment:1": true, "registered_model:m-ok": true})
	const run = `{ run { info { runId } } }`
	tests := []struct {
		name, body string
		status     int
		sent       string // the document MLflow receives; "" for none
	}{
		{"a run by variables", gqlBody(`query GetRun($d: MlflowGetRunInput!) @component(name: "x") { mlflowGetRun(input: $d) `+run+` }`, `{"d":{"runId":"r1"}}`, ""),
			200, `query GetRun {mlflowGetRun(input: {runId: "r1"}) {run {info {runId}}}}`},
		{"runUuid is folded into runId", gqlBody(`{ mlflowGetRun(input: {runUuid: "r1"}) `+run+` }`, "", ""),
			200, `query {mlflowGetRun(input: {runId: "r1"}) {run {info {runId}}}}`},
		{"runId and runUuid naming different runs", gqlBody(`{ mlflowGetRun(input: {runId: "r1", runUuid: "r2"}) `+run+` }`, "", ""), 400, ""},
		{"an empty runId beside another's runUuid", gqlBody(`{ mlflowGetRun(input: {runId: "", runUuid: "r2"}) `+run+` }`, "", ""), 403, ""},
		{"someone else's run", gqlBody(`query($d: MlflowGetRunInput) { mlflowGetRun(input: $d) `+run+` }`, `{"d":{"runUuid":"r2"}}`, ""), 403, ""},
		{"an unknown run is MLflow's 404", gqlBody(`{ mlflowGetRun(input: {runId: "r9"}) `+run+` }`, "", ""), 404, ""},
		{"no run named", gqlBody(`{ mlflowGetRun(input: {}) `+run+` }`, "", ""), 400, ""},
		{"no input at all", gqlBody(`{ mlflowGetRun `+run+` }`, "", ""), 400, ""},
		{"a variable left without a value", gqlBody(`query($r: String) { mlflowGetRun(input: {runId: $r}) `+run+` }`, "", ""), 400, ""},
		{"someone else's run behind an alias", gqlBody(`{ mine: mlflowGetRun(input: {runId: "r1"}) `+run+` theirs: mlflowGetRun(input: {runId: "r2"}) `+run+` }`, "", ""), 403, ""},
		{"someone else's run in a fragment", gqlBody(`{ mlflowGetRun(input: {runId: "r1"}) `+run+` ...F } fragment F on Query { x: mlflowListArtifacts(input: {runId: "r2"}) { files { path } } }`, "", ""), 403, ""},
		{"someone else's run in an inline fragment", gqlBody(`{ ... on Query { ... { mlflowListArtifacts(input: {runUuid: "r2", path: "a"}) { files { path } } } } }`, "", ""), 403, ""},
		{"a skipped field is neither checked nor sent", gqlBody(`{ mlflowGetRun(input: {runId: "r2"}) @skip(if: true) `+run+` test(inputString: "x") { output } }`, "", ""),
			200, `query {test(inputString: "x") {output}}`},
		{"only the operation named is checked and sent", gqlBody(`query Mine { mlflowGetRun(input: {runId: "r1"}) `+run+` } query Theirs { mlflowGetRun(input: {runId: "r2"}) `+run+` }`, "", "Mine"),
			200, `query Mine {mlflowGetRun(input: {runId: "r1"}) {run {info {runId}}}}`},
		{"the other operation named", gqlBody(`query Mine { mlflowGetRun(input: {runId: "r1"}) `+run+` } query Theirs { mlflowGetRun(input: {runId: "r2"}) `+run+` }`, "", "Theirs"), 403, ""},
		{"an experiment", gqlBody(`{ mlflowGetExperiment(input: {experimentId: "1"}) { experiment { name } } }`, "", ""),
			200, `query {mlflowGetExperiment(input: {experimentId: "1"}) {experiment {name}}}`},
		{"someone else's experiment", gqlBody(`{ mlflowGetExperiment(input: {experimentId: "2"}) { experiment { name } } }`, "", ""), 403, ""},
		{"a non-canonical experiment id", gqlBody(`{ mlflowGetExperiment(input: {experimentId: "01"}) { experiment { name } } }`, "", ""), 403, ""},
		{"metric histories of readable runs", gqlBody(`{ mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1"], metricKey: "m"}) { metrics { value } } }`, "", ""),
			200, `query {mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1"], metricKey: "m"}) {metrics {value}}}`},
		{"metric histories naming someone else's run", gqlBody(`query($ids: [String]) { mlflowGetMetricHistoryBulkInterval(input: {runIds: $ids, metricKey: "m"}) { metrics { value } } }`, `{"ids":["r1","r2"]}`, ""), 403, ""},
		{"metric histories of no run", gqlBody(`{ mlflowGetMetricHistoryBulkInterval(input: {runIds: [], metricKey: "m"}) { metrics { value } } }`, "", ""), 400, ""},
		{"a null run id in a list", gqlBody(`{ mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1", null], metricKey: "m"}) { metrics { value } } }`, "", ""), 400, ""},
		{"a run search keeps the readable experiments", gqlBody(`query($e: [String]) { mlflowSearchRuns(input: {experimentIds: $e, filter: "params.a = 'b'"}) { runs { info { runId } } } }`, `{"e":["2","1"]}`, ""),
			200, `query {mlflowSearchRuns(input: {experimentIds: ["1"], filter: "params.a = 'b'"}) {runs {info {runId}}}}`},
		{"a run search of someone else's experiments only", gqlBody(`mutation { mlflowSearchRuns(input: {experimentIds: ["2"]}) { runs { info { runId } } } }`, "", ""), 403, ""},
		{"a run search naming no experiment", gqlBody(`{ mlflowSearchRuns(input: {filter: "x"}) { runs { info { runId } } } }`, "", ""), 400, ""},
		{"a dataset search keeps the readable experiments", gqlBody(`mutation { mlflowSearchDatasets(input: {experimentIds: ["1", "2"]}) { datasetSummaries { name } } }`, "", ""),
			200, `mutation {mlflowSearchDatasets(input: {experimentIds: ["1"]}) {datasetSummaries {name}}}`},
		{"a model version search is narrowed to readable models", gqlBody(`{ mlflowSearchModelVersions(input: {filter: "run_id = 'r1'", maxResults: 5}) { modelVersions { version } } }`, "", ""),
			200, `query {mlflowSearchModelVersions(input: {filter: "run_id = 'r1' AND name IN ('m-ok')", maxResults: 5}) {modelVersions {version _mlStudioModelName: name}}}`},
		{"a run's model versions are asked with their names", gqlBody(`{ mlflowGetRun(input: {runId: "r1"}) { run { modelVersions { version } } } }`, "", ""),
			200, `query {mlflowGetRun(input: {runId: "r1"}) {run {modelVersions {version _mlStudioModelName: name}}}}`},
		{"introspection", gqlBody(`{ __schema { queryType { name } } }`, "", ""), 200, `query {__schema {queryType {name}}}`},
		{"an echo", gqlBody(`mutation { testMutation(inputString: "hi") { output } }`, "", ""), 200, `mutation {testMutation(inputString: "hi") {output}}`},
		{"an unknown field", gqlBody(`{ mlflowDeleteExperiment(input: {experimentId: "2"}) { ok } }`, "", ""), 400, ""},
		{"a batch", `[` + gqlBody(`{ test { output } }`, "", "") + `]`, 400, ""},
		{"a key twice", `{"query":"{ mlflowGetRun(input: {runId: \"r1\"}) { run { info { runId } } } }","query":"{ mlflowGetRun(input: {runId: \"r2\"}) { run { info { runId } } } }"}`, 400, ""},
		{"a variable twice", `{"query":"query($r: String) { mlflowGetRun(input: {runId: $r}) { run { info { runId } } } }","variables":{"r":"r1","r":"r2"}}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := graphQLCall(srv, http.MethodPost, "/graphql", "application/json", tt.body)
			sent := rec.take()
			if w.Code != tt.status {
				t.Fatalf("answered %d %s, want %d; MLflow was sent %q", w.Code, w.Body, tt.status, sent)
			}
			if tt.sent == "" {
				if len(sent) > 0 {
					t.Fatalf("MLflow was sent %q", sent)
				}
				if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || !strings.Contains(w.Body.String(), `"error_code"`) {
					t.Fatalf("not MLflow's error shape: %s %s", ct, w.Body)
				}
				return
			}
			if len(sent) != 1 || sent[0] != tt.sent {
				t.Fatalf("MLflow was sent %q\nwant %q", sent, tt.sent)
			}
		})
	}
}

// TestGraphQLRefusesHowMLflowCouldReadItOtherwise: the request itself,
// before its document: POST with a JSON body only.
func TestGraphQLRefusesHowMLflowCouldReadItOtherwise(t *testing.T) {
	rec := &graphQLMLflow{}
	srv := studioOn(t, rec, grants{"experiment:1": true})
	body := gqlBody(`{ mlflowGetRun(input: {runId: "r1"}) { run { info { runId } } } }`, "", "")
	tests := []struct {
		name, method, target, contentType, body string
		status                                  int
	}{
		{"a GET with the document in its body", http.MethodGet, "/graphql", "application/json", body, 400},
		{"a GET with the document in its query", http.MethodGet, "/graphql?query=%7B+test+%7B+output+%7D+%7D", "", "", 400},
		{"a query string beside the body", http.MethodPost, "/graphql?start_step=1&end_step=2", "application/json", body, 400},
		{"another content type", http.MethodPost, "/graphql", "text/plain", body, 400},
		{"no content type", http.MethodPost, "/graphql", "", body, 400},
		{"a PUT", http.MethodPut, "/graphql", "application/json", body, 403},
		{"a body too large", http.MethodPost, "/graphql", "application/json", `{"query":"` + strings.Repeat(" ", 2<<20) + `"}`, 413},
		{"the /ajax-api spelling MLflow does not serve", http.MethodPost, "/ajax-api/2.0/mlflow/graphql", "application/json", body, 403},
		{"a charset is fine", http.MethodPost, "/graphql", "application/json; charset=utf-8", body, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := graphQLCall(srv, tt.method, tt.target, tt.contentType, tt.body)
			sent := rec.take()
			if w.Code != tt.status {
				t.Fatalf("answered %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if (tt.status == 200) != (len(sent) == 1) {
				t.Fatalf("MLflow was sent %q", sent)
			}
		})
	}
}

// TestGraphQLFiltersModelVersions: versions of models the caller may not
// read are taken out of MLflow's answer, wherever the document asked for
// them, and so are the names ml_studio asked for itself.
func TestGraphQLFiltersModelVersions(t *testing.T) {
	rec := &graphQLMLflow{answer: `{"data":{"mine":{"run":{"info":{"runId":"r1"},"modelVersions":[` +
		`{"_mlStudioModelName":"m-ok","version":"1"},{"_mlStudioModelName":"m-hidden","version":"7"},{"version":"8"}]}},` +
		`"search":{"modelVersions":[{"_mlStudioModelName":"m-hidden","version":"2"}],"nextPageToken":null}},"errors":null}`}
	srv := studioOn(t, rec, grants{"experiment:1": true, "registered_model:m-ok": true})
	w := graphQLCall(srv, http.MethodPost, "/graphql", "application/json",
		gqlBody(`{ mine: mlflowGetRun(input: {runId: "r1"}) { run { info { runId } modelVersions { version } } } search: mlflowSearchModelVersions(input: {}) { modelVersions { version } nextPageToken } }`, "", ""))
	sent := rec.take()
	if w.Code != http.StatusOK || len(sent) != 1 {
		t.Fatalf("answered %d %s; MLflow was sent %q", w.Code, w.Body, sent)
	}
	want := `{"data":{"mine":{"run":{"info":{"runId":"r1"},"modelVersions":[{"version":"1"}]}},"search":{"modelVersions":[],"nextPageToken":null}},"errors":null}`
	if got := strings.TrimSpace(w.Body.String()); got != want {
		t.Fatalf("answered\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(sent[0], `filter: "name IN ('m-ok')"`) {
		t.Fatalf("the search was not narrowed: %s", sent[0])
	}
}

// TestGraphQLModelVersionSearchNeedsANarrowableSet: a caller whose
// readable models cannot be named to MLflow is refused with the reason.
func TestGraphQLModelVersionSearchNeedsANarrowableSet(t *testing.T) {
	rec := &graphQLMLflow{}
	for name, g := range map[string]grants{
		"no model":                           {"experiment:1": true},
		"a name MLflow's quotes cannot hold": {"registered_model:it's": true},
	} {
		t.Run(name, func(t *testing.T) {
			srv := studioOn(t, rec, g)
			w := graphQLCall(srv, http.MethodPost, "/graphql", "application/json",
				gqlBody(`{ mlflowSearchModelVersions(input: {filter: "name = 'x'"}) { modelVersions { version } } }`, "", ""))
			if sent := rec.take(); w.Code != http.StatusForbidden || len(sent) > 0 {
				t.Fatalf("answered %d %s; MLflow was sent %q", w.Code, w.Body, sent)
			}
		})
	}
}

func graphQLCall(srv *server.Server, method, target, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer mlt_bob")
	w := httptest.NewRecorder()
	srv.Engine().ServeHTTP(w, req)
	return w
}
