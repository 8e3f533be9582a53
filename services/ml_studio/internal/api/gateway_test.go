package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// mlflowRoute is one route of the pinned MLflow server's own route table.
type mlflowRoute struct {
	Methods []string `json:"methods"`
	Rule    string   `json:"rule"`
}

// dumpRoutes asks the pinned MLflow for its Flask route table and the AI
// gateway's FastAPI routes.
const dumpRoutes = `
import json, logging
logging.disable(logging.CRITICAL)
from mlflow.server import app
from mlflow.server.gateway_api import gateway_router
routes = [{"methods": sorted(m for m in r.methods if m not in ("HEAD", "OPTIONS")), "rule": r.rule}
          for r in app.url_map.iter_rules()]
# the AI gateway's invocations: FastAPI routes mounted before Flask
routes += [{"methods": sorted(r.methods), "rule": r.path.replace("{path:path}", "<path:path>").replace("{", "<").replace("}", ">")}
           for r in gateway_router.routes]
print(json.dumps(routes))
`

func pinnedRoutes(t *testing.T) []mlflowRoute {
	t.Helper()
	out, err := exec.Command(testenv.MLflowPython(t), "-c", dumpRoutes).Output()
	if err != nil {
		t.Fatalf("dump MLflow's routes: %v", err)
	}
	var routes []mlflowRoute
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &routes); err != nil || len(routes) < 100 {
		t.Fatalf("MLflow's route table unreadable (%d routes): %v", len(routes), err)
	}
	return routes
}

// denyAll is a cerberus that allows nothing.
type denyAll struct{}

func (denyAll) Authorize(context.Context, cerberus.Credential, string, string) (cerberus.Decision, error) {
	return cerberus.Decision{Reason: "no grant"}, nil
}

func (denyAll) AuthorizeBatch(_ context.Context, _ cerberus.Credential, elements []string, _ string) (map[string]cerberus.Decision, error) {
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		out[e] = cerberus.Decision{Reason: "no grant"}
	}
	return out, nil
}

func (denyAll) Readable(context.Context, cerberus.Credential, string, string) (cerberus.Readable, error) {
	return cerberus.Readable{}, nil
}

// recordingMLflow answers the lookups authorization needs (the experiment
// of a run, a logged model, a trace, a dataset, a label schema, a review
// queue or an issue; a named experiment's id) and records every other
// request: those are calls that got through.
type recordingMLflow struct {
	mu        sync.Mutex
	forwarded []string
	bodies    []string // of the forwarded requests
}

func (m *recordingMLflow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/2.0/mlflow/runs/get":
		_, _ = w.Write([]byte(`{"run":{"info":{"run_id":"r1","experiment_id":"1","artifact_uri":"mlflow-artifacts:/1/r1/artifacts"}}}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/2.0/mlflow/experiments/get-by-name":
		_, _ = w.Write([]byte(`{"experiment":{"experiment_id":"1","name":"e"}}`))
		return
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/2.0/mlflow/logged-models/") && strings.Count(r.URL.Path, "/") == 5:
		_, _ = w.Write([]byte(`{"model":{"info":{"model_id":"m-1","experiment_id":"1"}}}`))
		return
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/3.0/mlflow/datasets/") && strings.HasSuffix(r.URL.Path, "/experiment-ids"):
		_, _ = w.Write([]byte(`{"experiment_ids":["1"]}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/label-schemas/get":
		_, _ = w.Write([]byte(`{"label_schema":{"schema_id":"ls-1","experiment_id":"1"}}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/review-queues/get":
		_, _ = w.Write([]byte(`{"review_queue":{"queue_id":"rq-1","experiment_id":"1"}}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/issues/x1":
		_, _ = w.Write([]byte(`{"issue":{"issue_id":"x1","experiment_id":"1"}}`))
		return
	case r.Method == http.MethodGet && r.URL.Path == "/api/3.0/mlflow/gateway/endpoints/get":
		_, _ = w.Write([]byte(`{"endpoint":{"endpoint_id":"e-1","name":"x1"}}`))
		return
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/3.0/mlflow/traces/tr-"):
		_, _ = w.Write([]byte(`{"trace":{"trace_info":{"trace_id":"tr-1","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"1"}}}}}`))
		return
	}
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.forwarded = append(m.forwarded, r.Method+" "+r.URL.Path)
	m.bodies = append(m.bodies, string(body))
	m.mu.Unlock()
	// A search answers with an item the caller may not see.
	_, _ = w.Write([]byte(`{"experiments":[{"experiment_id":"1"}],"registered_models":[{"name":"m"}],"model_versions":[{"name":"m"}],"runs":[{"info":{"run_id":"r1"}}],"models":[{"info":{"model_id":"m-1"}}],` +
		`"secrets":[{"secret_id":"s-1"}],"model_definitions":[{"model_definition_id":"d-1"}],"endpoints":[{"endpoint_id":"e-1"}],` +
		`"secret":{"secret_id":"s-1"},"model_definition":{"model_definition_id":"d-1"},"endpoint":{"endpoint_id":"e-1"}}`))
}

func (m *recordingMLflow) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.forwarded
	m.forwarded, m.bodies = nil, nil
	return out
}

// takeBodies is take with the bodies of the forwarded requests.
func (m *recordingMLflow) takeBodies() ([]string, []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out, bodies := m.forwarded, m.bodies
	m.forwarded, m.bodies = nil, nil
	return out, bodies
}

var placeholder = regexp.MustCompile(`<(?:[a-z]+:)?([a-z_]+)>`)

// concrete fills a route's placeholders with plausible values.
func concrete(rule string) string {
	return placeholder.ReplaceAllStringFunc(rule, func(p string) string {
		if strings.Contains(p, "artifact_path") || strings.Contains(p, "path:") {
			return "1/r1/artifacts/model/MLmodel"
		}
		if strings.Contains(p, "trace_id") || strings.Contains(p, "request_id") {
			return "tr-1"
		}
		return "x1"
	})
}

// signedIn are the endpoints any valid credential may call.
var signedIn = map[string]bool{"/api/3.0/mlflow/server-info": true, "/ajax-api/3.0/mlflow/server-info": true, "/version": true,
	"/ajax-api/3.0/mlflow/gateway/supported-providers": true, "/ajax-api/3.0/mlflow/gateway/supported-models": true,
	"/ajax-api/3.0/mlflow/gateway/provider-config": true, "/ajax-api/3.0/mlflow/gateway/secrets/config": true}

// searches are the endpoints that answer a filtered list rather than a refusal.
var searches = map[string]bool{
	"/experiments/search": true, "/registered-models/search": true,
	"/model-versions/search": true, "/runs/search": true, "/logged-models/search": true,
	"/traces": true, "/api/3.0/mlflow/traces/search": true, "/ajax-api/3.0/mlflow/traces/search": true,
	"/api/3.0/mlflow/datasets/search": true, "/ajax-api/3.0/mlflow/datasets/search": true,
	"/api/3.0/mlflow/gateway/secrets/list": true, "/ajax-api/3.0/mlflow/gateway/secrets/list": true,
	"/api/3.0/mlflow/gateway/model-definitions/list": true, "/ajax-api/3.0/mlflow/gateway/model-definitions/list": true,
	"/api/3.0/mlflow/gateway/endpoints/list": true, "/ajax-api/3.0/mlflow/gateway/endpoints/list": true,
	"/gateway/mlflow/v1/models": true,
}

// TestEveryMLflowRouteIsMappedOrRefused sends every route of the pinned
// MLflow server, REST and /ajax-api twins alike, through ml_studio as a user
// cerberus allows nothing: no call may reach MLflow, and searches may show
// nothing. It also fails on rules naming endpoints MLflow does not have.
func TestEveryMLflowRouteIsMappedOrRefused(t *testing.T) {
	routes := pinnedRoutes(t)
	srv, rec := deniedStudio(t)

	params := url.Values{"experiment_id": {"1"}, "run_id": {"r1"}, "name": {"m"}, "version": {"1"}, "path": {"model/MLmodel"},
		"experiment_ids": {"1"}, "run_ids": {"r1"}, "experiment_name": {"e"}, "metric_key": {"m"}, "trace_id": {"tr-1"}, "trace_ids": {"tr-1"},
		"schema_id": {"ls-1"}, "queue_id": {"rq-1"}}
	body := `{"experiment_id":"1","run_id":"r1","name":"m","new_name":"n","version":"1","source":"s","key":"k","value":"v",
		"experiment_ids":["1"],"run_ids":["r1"],"stage":"Production","alias":"a","timestamp":1,"metrics":[],"params":[],
		"trace_id":"tr-1","trace_ids":["tr-1"],"request_ids":["tr-1"],"schema_id":"ls-1","queue_id":"rq-1","issue_id":"x1","locations":[{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"1"}}],
		"trace":{"trace_info":{"trace_id":"tr-2","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"1"}}}}}`

	seenRules := map[string]bool{}
	for _, route := range routes {
		if route.Rule == "/" {
			continue // MLflow's web UI; ml_studio's own / is the seed's welcome
		}
		for _, method := range route.Methods {
			target := concrete(route.Rule)
			name := method + " " + route.Rule
			if m := access.Lookup(method, concrete(route.Rule)); m.Rule.Target != access.Refused {
				seenRules[m.Key] = true
			}
			t.Run(name, func(t *testing.T) {
				var req *http.Request
				if method == http.MethodGet {
					req = httptest.NewRequest(method, target+"?"+params.Encode(), nil)
				} else {
					req = httptest.NewRequest(method, target, strings.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
				}
				req.Header.Set("Authorization", "Bearer mlt_nobody")
				w := httptest.NewRecorder()
				srv.Engine().ServeHTTP(w, req)
				forwarded := rec.take()

				endpoint := strings.TrimPrefix(strings.TrimPrefix(route.Rule, "/ajax-api/2.0/mlflow"), "/api/2.0/mlflow")
				if signedIn[endpoint] && w.Code == http.StatusOK {
					return // served to any valid credential, as MLflow serves it to anyone
				}
				if searches[endpoint] && w.Code == http.StatusOK {
					for _, leaked := range []string{`"experiment_id":"1"`, `"name":"m"`, `"run_id":"r1"`, `"model_id":"m-1"`, `"secret_id":"s-1"`, `"model_definition_id":"d-1"`, `"endpoint_id":"e-1"`} {
						if strings.Contains(w.Body.String(), leaked) {
							t.Fatalf("the filtered search shows a hidden item: %s", w.Body)
						}
					}
					return
				}
				if w.Code < 400 {
					t.Fatalf("answered %d (%s): neither mapped to a check nor refused", w.Code, w.Body)
				}
				if len(forwarded) > 0 {
					t.Fatalf("answered %d but MLflow received %v", w.Code, forwarded)
				}
			})
		}
	}
	for key := range access.Rules {
		if !seenRules[key] {
			t.Errorf("rule %q names no endpoint of the pinned MLflow", key)
		}
	}
}

// deniedStudio is ml_studio in front of a recording MLflow, with a cerberus
// that allows nothing.
func deniedStudio(t *testing.T) (*server.Server, *recordingMLflow) {
	t.Helper()
	rec := &recordingMLflow{}
	return studioOn(t, rec, denyAll{}), rec
}

// studioOn is ml_studio in front of a fake MLflow, asking a fake cerberus.
func studioOn(t *testing.T, fakeMLflow http.Handler, authority access.Authority) *server.Server {
	t.Helper()
	return studioOnWith(t, fakeMLflow, authority, &registry{})
}

// studioOnWith is studioOn registering new elements with reg.
func studioOnWith(t *testing.T, fakeMLflow http.Handler, authority access.Authority, reg api.Registry) *server.Server {
	t.Helper()
	fake := httptest.NewServer(fakeMLflow)
	t.Cleanup(fake.Close)
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	srv := server.New(server.Config{}, zap.NewNop(), "ml_studio")
	api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New(fake.URL, hc, hc), Registry: reg, Access: access.NewAuthorizer(authority, 0), DefaultProject: "default"})
	return srv
}

// TestRefusedFamilies names the holes the peers shipped: each is refused
// or checked for a user without access.
func TestRefusedFamilies(t *testing.T) {
	srv, rec := deniedStudio(t)
	tests := []struct{ name, method, target string }{
		{"ajax-api twin of get-run", "GET", "/ajax-api/2.0/mlflow/runs/get?run_id=r1"},
		{"ajax-api twin of log-batch", "POST", "/ajax-api/2.0/mlflow/runs/log-batch"},
		{"multipart upload create", "POST", "/api/2.0/mlflow-artifacts/mpu/create/1/r1/artifacts/big.bin"},
		{"multipart upload complete", "POST", "/api/2.0/mlflow-artifacts/mpu/complete/1/r1/artifacts/big.bin"},
		{"presigned artifact URL", "GET", "/api/2.0/mlflow-artifacts/presigned/1/r1/artifacts/x"},
		{"presigned upload URL", "POST", "/api/2.0/mlflow/artifacts/presigned-upload-url"},
		{"artifact download", "GET", "/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/model.pkl"},
		{"artifact upload", "PUT", "/api/2.0/mlflow-artifacts/artifacts/1/r1/artifacts/x"},
		{"artifact listing", "GET", "/api/2.0/mlflow-artifacts/artifacts?path=1/r1/artifacts"},
		{"artifact listing of the root", "GET", "/api/2.0/mlflow-artifacts/artifacts"},
		{"get-artifact", "GET", "/get-artifact?run_id=r1&path=model/MLmodel"},
		{"model-versions/get-artifact", "GET", "/model-versions/get-artifact?name=m&version=1&path=MLmodel"},
		{"trace artifact", "GET", "/ajax-api/3.0/mlflow/get-trace-artifact?request_id=t"},
		{"bulk metric history", "GET", "/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=r1&metric_key=m"},
		{"graphql", "POST", "/graphql"},
		{"trace start", "POST", "/api/3.0/mlflow/traces"},
		{"path traversal in the artifact proxy", "GET", "/api/2.0/mlflow-artifacts/artifacts/1/../2/r/artifacts/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.target, strings.NewReader(`{"run_id":"r1"}`))
			req.Header.Set("Authorization", "Bearer mlt_nobody")
			w := httptest.NewRecorder()
			srv.Engine().ServeHTTP(w, req)
			if w.Code != 403 && w.Code != 404 && w.Code != 400 {
				t.Fatalf("answered %d: %s", w.Code, w.Body)
			}
			if f := rec.take(); len(f) > 0 {
				t.Fatalf("MLflow received %v", f)
			}
		})
	}
}

// TestRefusalsSayWhy: an endpoint refused on purpose answers MLflow's error
// shape with its reason (never "no route"), REST and /ajax-api alike, and
// nothing reaches MLflow.
func TestRefusalsSayWhy(t *testing.T) {
	srv, rec := deniedStudio(t)
	for _, tc := range []struct{ method, target, reason string }{
		{"GET", "/api/2.0/mlflow/unified-traces", "Databricks"},
		{"GET", "/api/3.0/mlflow/workspaces", "workspaces"},
		{"POST", "/gateway/proxy/mlflow/invocations", "more than one"},
		{"POST", "/api/3.0/mlflow/prompt-optimization/jobs", "nobody's identity"},
		{"POST", "/ajax-api/3.0/mlflow/issues/invoke", "LLM judges"},
		{"POST", "/ajax-api/3.0/mlflow/genai/evaluate/invoke", "scorers' code"},
		{"POST", "/api/2.0mlflow/experiments/search-datasets", "misspelt"},
		{"GET", "/api/2.0/mlflow-artifacts/presigned/1/r1/artifacts/x", "presigned"},
		{"POST", "/api/2.0/mlflow/artifacts/presigned-download-url", "presigned"},
	} {
		t.Run(tc.method+" "+tc.target, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.target, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer mlt_nobody")
			w := httptest.NewRecorder()
			srv.Engine().ServeHTTP(w, req)
			var e struct {
				Code    string `json:"error_code"`
				Message string `json:"message"`
			}
			if w.Code != http.StatusForbidden || json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code != "PERMISSION_DENIED" ||
				!strings.Contains(e.Message, tc.reason) || strings.Contains(e.Message, "no route") {
				t.Fatalf("%d %s, want 403 PERMISSION_DENIED naming %q", w.Code, w.Body, tc.reason)
			}
			if f := rec.take(); len(f) > 0 {
				t.Fatalf("MLflow received %v", f)
			}
		})
	}
}

// allowing is a cerberus that allows every operation on its elements (on
// all of them when nil) to one user.
type allowing struct {
	user     string
	elements map[string]bool
}

func (a allowing) Authorize(_ context.Context, _ cerberus.Credential, element, _ string) (cerberus.Decision, error) {
	return cerberus.Decision{Allowed: a.elements == nil || a.elements[element], User: &cerberus.User{ID: 7, Username: a.user}}, nil
}

func (a allowing) AuthorizeBatch(ctx context.Context, cred cerberus.Credential, elements []string, op string) (map[string]cerberus.Decision, error) {
	out := map[string]cerberus.Decision{}
	for _, e := range elements {
		out[e], _ = a.Authorize(ctx, cred, e, op)
	}
	return out, nil
}

func (a allowing) Readable(context.Context, cerberus.Credential, string, string) (cerberus.Readable, error) {
	return cerberus.Readable{All: a.elements == nil}, nil
}

// TestStampsNameTheCaller: whatever a call says did it (a run's user_id, an
// issue's created_by, …), MLflow is told the caller's username, on every
// endpoint of access.Stamps and on the seed's run creation.
func TestStampsNameTheCaller(t *testing.T) {
	rec := &recordingMLflow{}
	srv := studioOn(t, rec, allowing{user: "alice"})

	bodies := map[string]string{
		"POST /api/2.0/mlflow/runs/create":                       `{"experiment_id":"1","user_id":"mallory"}`,
		"POST /api/3.0/mlflow/datasets/create":                   `{"name":"d","experiment_ids":["1"],"created_by":"mallory"}`,
		"POST /api/3.0/mlflow/datasets/{id}/records":             `{"dataset_id":"d-1","records":"[]","updated_by":"mallory"}`,
		"POST /api/3.0/mlflow/issues":                            `{"experiment_id":"1","name":"i","created_by":"mallory"}`,
		"PATCH /api/3.0/mlflow/issues/{id}":                      `{"issue_id":"x1","last_updated_by":"mallory"}`,
		"POST /api/3.0/mlflow/review-queues/create":              `{"experiment_id":"1","name":"q","created_by":"mallory"}`,
		"POST /api/3.0/mlflow/review-queues/get-or-create-user":  `{"experiment_id":"1","user":"bob"}`,
		"POST /api/3.0/mlflow/review-queues/items/set-status":    `{"queue_id":"rq-1","item_id":"tr-1","status":"COMPLETE","completed_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/secrets/create":            `{"secret_name":"k","secret_value":{"api_key":"sk"},"created_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/secrets/update":            `{"secret_id":"s-1","updated_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/model-definitions/create":  `{"name":"d","secret_id":"s-1","provider":"openai","model_name":"gpt","created_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/model-definitions/update":  `{"model_definition_id":"d-1","updated_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/endpoints/create":          `{"name":"x1","model_configs":[],"usage_tracking":false,"created_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/endpoints/update":          `{"endpoint_id":"e-1","updated_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/endpoints/models/attach":   `{"endpoint_id":"e-1","model_config":{"model_definition_id":"d-1"},"created_by":"mallory"}`,
		"POST /api/3.0/mlflow/gateway/endpoints/bindings/create": `{"endpoint_id":"e-1","resource_type":"scorer","resource_id":"x","created_by":"mallory"}`,
	}
	ids := map[string]string{"datasets": "d-1", "issues": "x1"}
	for key, fields := range access.Stamps {
		t.Run(key, func(t *testing.T) {
			body, ok := bodies[key]
			if !ok {
				t.Fatal("no call of this endpoint in the test")
			}
			method, path, _ := strings.Cut(key, " ")
			for family, id := range ids {
				path = strings.Replace(path, family+"/{id}", family+"/"+id, 1)
			}
			req := httptest.NewRequest(method, path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer mlt_alice")
			w := httptest.NewRecorder()
			srv.Engine().ServeHTTP(w, req)
			got, sent := rec.takeBodies()
			if w.Code != http.StatusOK || len(got) != 1 {
				t.Fatalf("answered %d %s; MLflow received %v", w.Code, w.Body, got)
			}
			var fwd map[string]any
			if err := json.Unmarshal([]byte(sent[0]), &fwd); err != nil {
				t.Fatalf("MLflow received %q: %v", sent[0], err)
			}
			for _, f := range fields {
				if fwd[f.Field] != "alice" {
					t.Errorf("MLflow was told %s=%v, want alice: %s", f.Field, fwd[f.Field], sent[0])
				}
			}
		})
	}
	t.Run("a review item reopened has nobody who completed it", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/3.0/mlflow/review-queues/items/set-status",
			strings.NewReader(`{"queue_id":"rq-1","item_id":"tr-1","status":"PENDING","completed_by":"mallory"}`))
		req.Header.Set("Authorization", "Bearer mlt_alice")
		w := httptest.NewRecorder()
		srv.Engine().ServeHTTP(w, req)
		_, sent := rec.takeBodies()
		if w.Code != http.StatusOK || len(sent) != 1 || strings.Contains(sent[0], "completed_by") {
			t.Fatalf("answered %d %s; MLflow received %v", w.Code, w.Body, sent)
		}
	})
	t.Run("seed run creation", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/api/runs/create", strings.NewReader(`{"experiment_id":"1","user_id":"mallory"}`))
		req.Header.Set("Authorization", "Bearer mlt_alice")
		w := httptest.NewRecorder()
		srv.Engine().ServeHTTP(w, req)
		_, sent := rec.takeBodies()
		if w.Code != http.StatusOK || len(sent) != 1 || !strings.Contains(sent[0], `"user_id":"alice"`) {
			t.Fatalf("answered %d %s; MLflow received %v", w.Code, w.Body, sent)
		}
	})
}
