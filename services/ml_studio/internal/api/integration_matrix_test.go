package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// class is what a route needs, as the route table says.
type class int

const (
	readOp   class = iota // read on the experiment or model
	editOp                // edit on it
	manageOp              // manage on it
	createOp              // create on project:default
	listOp                // a search: every signed-in caller gets 200, filtered
)

func (cl class) String() string {
	return [...]string{"read", "edit", "manage", "create", "list"}[cl]
}

// allows reports whether a caller of role r may call a route of class cl.
func (cl class) allows(r role) bool {
	switch r {
	case admin, creator:
		return true
	case manager:
		return cl != createOp
	case editor:
		return cl == readOp || cl == editOp || cl == listOp
	case reader:
		return cl == readOp || cl == listOp
	case nobody:
		return cl == listOp
	}
	return false
}

// want is the status a caller of role r gets on a route of class cl.
func (cl class) want(r role) int {
	switch {
	case r == anonymous:
		return http.StatusUnauthorized
	case cl.allows(r):
		return http.StatusOK
	}
	return http.StatusForbidden
}

// call is one caller calling one route.
type call struct {
	c       *cast
	fx      *fixture
	who     *apitest.User
	role    role   // nobody: someone with no access to the fixture
	label   string // unique per caller: names the keys, aliases and files the call creates
	created string // the name a create call asks for
}

// routeCase is how to call one route of the table on a fixture.
type routeCase struct {
	method, path string
	class        class
	// fresh: every caller gets a fixture of its own, because the call
	// deletes or renames what it is given.
	fresh bool
	// params are the call's parameters; building them may prepare state
	// directly in MLflow (a tag to delete, a run to restore).
	params func(t *testing.T, k *call) map[string]any
	// body, when set, is sent raw and params go in the query.
	body func(k *call) []byte
	// ok checks a 200.
	ok func(t *testing.T, k *call, r *apitest.Response)
	// absent checks, after a refusal, that nothing was created.
	absent func(t *testing.T, k *call)
}

func (rc routeCase) String() string { return rc.method + " /api" + rc.path }

// send makes the call.
func (rc routeCase) send(t *testing.T, studio *apitest.Studio, k *call, params map[string]any) *apitest.Response {
	t.Helper()
	if rc.body != nil {
		return studio.Do(t, k.who, rc.method, "/api"+rc.path+"?"+apitest.Query(params).Encode(), rc.body(k), nil)
	}
	return studio.Call(t, k.who, rc.method, rc.path, params)
}

// Helpers of the route cases.

// mustContain checks the answer holds each part; JSON answers are
// compacted first, so parts are written without spaces: "key":"value".
func mustContain(t *testing.T, r *apitest.Response, parts ...string) {
	t.Helper()
	body := r.Body
	var buf bytes.Buffer
	if json.Compact(&buf, r.Body) == nil {
		body = buf.Bytes()
	}
	for _, p := range parts {
		if !bytes.Contains(body, []byte(p)) {
			t.Errorf("%s: want %q in the answer", r, p)
		}
	}
}

// newRun makes a run in the fixture's experiment directly in MLflow.
func newRun(t *testing.T, k *call) string {
	t.Helper()
	var out struct {
		Run struct {
			Info struct {
				RunID string `json:"run_id"`
			} `json:"info"`
		} `json:"run"`
	}
	k.c.st.MustMLflow(t, post, "/runs/create", map[string]any{"experiment_id": k.fx.ExpID, "run_name": "extra-" + k.label}).Decode(t, &out)
	return out.Run.Info.RunID
}

func runState(t *testing.T, k *call, runID string) string {
	t.Helper()
	var out struct {
		Run struct {
			Info struct {
				Lifecycle string `json:"lifecycle_stage"`
				Status    string `json:"status"`
			} `json:"info"`
		} `json:"run"`
	}
	k.c.st.MustMLflow(t, get, "/runs/get", map[string]any{"run_id": runID}).Decode(t, &out)
	return out.Run.Info.Lifecycle + "/" + out.Run.Info.Status
}

func experimentState(t *testing.T, k *call) (name, lifecycle string) {
	t.Helper()
	var out struct {
		Experiment struct {
			Name      string `json:"name"`
			Lifecycle string `json:"lifecycle_stage"`
		} `json:"experiment"`
	}
	k.c.st.MustMLflow(t, get, "/experiments/get", map[string]any{"experiment_id": k.fx.ExpID}).Decode(t, &out)
	return out.Experiment.Name, out.Experiment.Lifecycle
}

func listLength(t *testing.T, r *apitest.Response, key string) int {
	t.Helper()
	var out map[string]json.RawMessage
	r.Decode(t, &out)
	var list []json.RawMessage
	if raw, ok := out[key]; ok {
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatalf("%s: %q is not a list", r, key)
		}
	}
	return len(list)
}

// matrixRoutes is every route of routes.go, in its order, with how to call
// it. TestMatrixCoversEveryRoute keeps it in step with the engine.
func matrixRoutes() []routeCase {
	exp := func(t *testing.T, k *call) map[string]any { return map[string]any{"experiment_id": k.fx.ExpID} }
	run := func(t *testing.T, k *call) map[string]any { return map[string]any{"run_id": k.fx.RunID} }
	model := func(t *testing.T, k *call) map[string]any { return map[string]any{"name": k.fx.Model} }
	version := func(t *testing.T, k *call) map[string]any { return map[string]any{"name": k.fx.Model, "version": "1"} }
	with := func(base func(*testing.T, *call) map[string]any, extra func(k *call) map[string]any) func(*testing.T, *call) map[string]any {
		return func(t *testing.T, k *call) map[string]any {
			p := base(t, k)
			for key, v := range extra(k) {
				p[key] = v
			}
			return p
		}
	}
	return []routeCase{
		// Experiments
		{method: post, path: "/experiments/create", class: createOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.created = "it-created-exp-" + k.label + "-" + testenv.RandomSuffix()
				return map[string]any{"name": k.created}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, `"experiment_id"`) },
			absent: func(t *testing.T, k *call) {
				if r := k.c.st.MLflow(t, get, "/experiments/get-by-name", map[string]any{"experiment_name": k.created}); r.Status != http.StatusNotFound {
					t.Errorf("refused create made the experiment: %s", r)
				}
			}},
		{method: post, path: "/experiments/search", class: listOp,
			params: func(t *testing.T, k *call) map[string]any {
				return map[string]any{"filter": "name = '" + k.fx.ExpName + "'", "max_results": 10}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if k.role == nobody {
					if n := listLength(t, r, "experiments"); n != 0 {
						t.Errorf("%s: nobody sees %d of alice's experiments", r, n)
					}
					return
				}
				if n := listLength(t, r, "experiments"); n != 1 {
					t.Errorf("%s: want alice's experiment once, got %d", r, n)
				}
				mustContain(t, r, `"experiment_id":"`+k.fx.ExpID+`"`)
			}},
		{method: get, path: "/experiments/get", class: readOp, params: exp,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.ExpName) }},
		{method: get, path: "/experiments/get-by-name", class: readOp,
			params: func(t *testing.T, k *call) map[string]any { return map[string]any{"experiment_name": k.fx.ExpName} },
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				mustContain(t, r, `"experiment_id":"`+k.fx.ExpID+`"`)
			}},
		{method: post, path: "/experiments/update", class: editOp, fresh: true,
			params: with(exp, func(k *call) map[string]any { return map[string]any{"new_name": k.fx.ExpName + "-renamed"} }),
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if name, _ := experimentState(t, k); name != k.fx.ExpName+"-renamed" {
					t.Errorf("experiment is named %q after the rename", name)
				}
			}},
		{method: post, path: "/experiments/delete", class: manageOp, fresh: true, params: exp,
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if _, stage := experimentState(t, k); stage != "deleted" {
					t.Errorf("experiment is %q after delete", stage)
				}
			}},
		{method: post, path: "/experiments/restore", class: manageOp, fresh: true,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/experiments/delete", map[string]any{"experiment_id": k.fx.ExpID})
				return map[string]any{"experiment_id": k.fx.ExpID}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if _, stage := experimentState(t, k); stage != "active" {
					t.Errorf("experiment is %q after restore", stage)
				}
			}},
		{method: post, path: "/experiments/set-tag", class: editOp,
			params: with(exp, func(k *call) map[string]any { return map[string]any{"key": "set-" + k.label, "value": "v"} }),
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				mustContain(t, k.c.st.MustMLflow(t, get, "/experiments/get", map[string]any{"experiment_id": k.fx.ExpID}), "set-"+k.label)
			}},
		{method: post, path: "/experiments/delete-tag", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/experiments/set-experiment-tag", map[string]any{"experiment_id": k.fx.ExpID, "key": "del-" + k.label, "value": "v"})
				return map[string]any{"experiment_id": k.fx.ExpID, "key": "del-" + k.label}
			}},

		// Runs
		{method: post, path: "/runs/search", class: listOp,
			params: func(t *testing.T, k *call) map[string]any {
				return map[string]any{"experiment_ids": []string{k.fx.ExpID}, "max_results": 100}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if k.role == nobody {
					if n := listLength(t, r, "runs"); n != 0 {
						t.Errorf("%s: nobody sees %d of alice's runs", r, n)
					}
					return
				}
				mustContain(t, r, k.fx.RunID)
			}},
		{method: get, path: "/runs/get", class: readOp, params: run,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.RunName) }},
		{method: post, path: "/runs/create", class: editOp,
			params: with(exp, func(k *call) map[string]any { return map[string]any{"run_name": "created-" + k.label} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, "created-"+k.label) }},
		{method: post, path: "/runs/update", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				return map[string]any{"run_id": newRun(t, k), "status": "FINISHED", "end_time": nowMillis()}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, "FINISHED") }},
		{method: post, path: "/runs/delete", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.created = newRun(t, k)
				return map[string]any{"run_id": k.created}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if s := runState(t, k, k.created); !strings.HasPrefix(s, "deleted/") {
					t.Errorf("run is %s after delete", s)
				}
			}},
		{method: post, path: "/runs/restore", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.created = newRun(t, k)
				k.c.st.MustMLflow(t, post, "/runs/delete", map[string]any{"run_id": k.created})
				return map[string]any{"run_id": k.created}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if s := runState(t, k, k.created); !strings.HasPrefix(s, "active/") {
					t.Errorf("run is %s after restore", s)
				}
			}},
		{method: post, path: "/runs/set-tag", class: editOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"key": "set-" + k.label, "value": "v"} })},
		{method: post, path: "/runs/delete-tag", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/runs/set-tag", map[string]any{"run_id": k.fx.RunID, "key": "del-" + k.label, "value": "v"})
				return map[string]any{"run_id": k.fx.RunID, "key": "del-" + k.label}
			}},
		{method: post, path: "/runs/log-metric", class: editOp,
			params: with(run, func(k *call) map[string]any {
				return map[string]any{"key": "m-" + k.label, "value": 1.5, "timestamp": nowMillis(), "step": 1}
			})},
		{method: post, path: "/runs/log-parameter", class: editOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"key": "p-" + k.label, "value": "v"} })},
		{method: post, path: "/runs/log-batch", class: editOp,
			params: with(run, func(k *call) map[string]any {
				return map[string]any{
					"metrics": []map[string]any{{"key": "bm-" + k.label, "value": 2, "timestamp": nowMillis(), "step": 0}},
					"params":  []map[string]any{{"key": "bp-" + k.label, "value": "x"}},
					"tags":    []map[string]any{{"key": "bt-" + k.label, "value": "y"}},
				}
			}),
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				mustContain(t, k.c.st.MustMLflow(t, get, "/runs/get", map[string]any{"run_id": k.fx.RunID}), "bm-"+k.label, "bp-"+k.label, "bt-"+k.label)
			}},
		{method: get, path: "/metrics/get-history", class: readOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"metric_key": metricKey} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.MetricText) }},

		// Registered models
		{method: post, path: "/models/create", class: createOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.created = "it-created-model-" + k.label + "-" + testenv.RandomSuffix()
				return map[string]any{"name": k.created}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.created) },
			absent: func(t *testing.T, k *call) {
				if r := k.c.st.MLflow(t, get, "/registered-models/get", map[string]any{"name": k.created}); r.Status != http.StatusNotFound {
					t.Errorf("refused create made the model: %s", r)
				}
			}},
		{method: get, path: "/models/get", class: readOp, params: model,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.ModelDesc) }},
		{method: get, path: "/models/search", class: listOp,
			params: func(t *testing.T, k *call) map[string]any {
				return map[string]any{"filter": "name = '" + k.fx.Model + "'"}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				want := 1
				if k.role == nobody {
					want = 0
				}
				if n := listLength(t, r, "registered_models"); n != want {
					t.Errorf("%s: %d models, want %d", r, n, want)
				}
			}},
		{method: post, path: "/models/rename", class: manageOp, fresh: true,
			params: with(model, func(k *call) map[string]any { return map[string]any{"new_name": k.fx.Model + "-renamed"} }),
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				k.c.st.MustMLflow(t, get, "/registered-models/get", map[string]any{"name": k.fx.Model + "-renamed"})
				// Access follows the model: the reader reads it under its new name.
				k.c.studio.MustCall(t, k.c.user(reader), get, "/models/get", map[string]any{"name": k.fx.Model + "-renamed"})
			}},
		{method: patch, path: "/models/update", class: editOp,
			params: with(model, func(k *call) map[string]any { return map[string]any{"description": "updated-by-" + k.label} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, "updated-by-"+k.label) }},
		{method: del, path: "/models/delete", class: manageOp, fresh: true, params: model,
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if r := k.c.st.MLflow(t, get, "/registered-models/get", map[string]any{"name": k.fx.Model}); r.Status != http.StatusNotFound {
					t.Errorf("model still there after delete: %s", r)
				}
			}},
		{method: post, path: "/models/set-tag", class: editOp,
			params: with(model, func(k *call) map[string]any { return map[string]any{"key": "set-" + k.label, "value": "v"} })},
		{method: del, path: "/models/delete-tag", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/registered-models/set-tag", map[string]any{"name": k.fx.Model, "key": "del-" + k.label, "value": "v"})
				return map[string]any{"name": k.fx.Model, "key": "del-" + k.label}
			}},
		{method: post, path: "/models/alias", class: editOp,
			params: with(model, func(k *call) map[string]any { return map[string]any{"alias": "set_" + k.label, "version": "1"} })},
		{method: del, path: "/models/alias", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/registered-models/alias", map[string]any{"name": k.fx.Model, "alias": "del_" + k.label, "version": "1"})
				return map[string]any{"name": k.fx.Model, "alias": "del_" + k.label}
			}},

		// Model versions
		{method: post, path: "/models/versions/latest", class: readOp, params: model,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.RunID) }},
		{method: post, path: "/models/versions/create", class: editOp,
			params: with(model, func(k *call) map[string]any {
				return map[string]any{"source": k.fx.ArtifactURI + "/" + artifactDir, "run_id": k.fx.RunID}
			}),
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, `"model_version"`, k.fx.RunID) }},
		{method: get, path: "/models/versions/get", class: readOp, params: version,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.RunID) }},
		{method: get, path: "/models/versions/get-by-alias", class: readOp,
			params: with(model, func(k *call) map[string]any { return map[string]any{"alias": aliasName} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.RunID) }},
		{method: get, path: "/models/versions/search", class: listOp,
			params: func(t *testing.T, k *call) map[string]any {
				return map[string]any{"filter": "name = '" + k.fx.Model + "'"}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				n := listLength(t, r, "model_versions")
				if k.role == nobody && n != 0 || k.role != nobody && n == 0 {
					t.Errorf("%s: %d versions for %s", r, n, k.label)
				}
			}},
		{method: patch, path: "/models/versions/update", class: editOp,
			params: with(version, func(k *call) map[string]any { return map[string]any{"description": "v-updated-by-" + k.label} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, "v-updated-by-"+k.label) }},
		{method: post, path: "/models/versions/transition", class: editOp,
			params: with(version, func(k *call) map[string]any { return map[string]any{"stage": "Staging"} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, `"current_stage":"Staging"`) }},
		{method: get, path: "/models/versions/download-uri", class: readOp, params: version,
			ok: func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, `"artifact_uri"`) }},
		{method: del, path: "/models/versions/delete", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				var out struct {
					V struct {
						Version string `json:"version"`
					} `json:"model_version"`
				}
				k.c.st.MustMLflow(t, post, "/model-versions/create", map[string]any{"name": k.fx.Model, "source": k.fx.ArtifactURI + "/" + artifactDir, "run_id": k.fx.RunID}).Decode(t, &out)
				k.created = out.V.Version
				return map[string]any{"name": k.fx.Model, "version": out.V.Version}
			},
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if r := k.c.st.MLflow(t, get, "/model-versions/get", map[string]any{"name": k.fx.Model, "version": k.created}); r.Status != http.StatusNotFound {
					t.Errorf("version still there after delete: %s", r)
				}
			}},
		{method: post, path: "/models/versions/set-tag", class: editOp,
			params: with(version, func(k *call) map[string]any { return map[string]any{"key": "set-" + k.label, "value": "v"} })},
		{method: del, path: "/models/versions/delete-tag", class: editOp,
			params: func(t *testing.T, k *call) map[string]any {
				k.c.st.MustMLflow(t, post, "/model-versions/set-tag", map[string]any{"name": k.fx.Model, "version": "1", "key": "del-" + k.label, "value": "v"})
				return map[string]any{"name": k.fx.Model, "version": "1", "key": "del-" + k.label}
			}},

		// Artifacts
		{method: get, path: "/artifacts/list", class: readOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"path": artifactDir} }),
			ok:     func(t *testing.T, k *call, r *apitest.Response) { mustContain(t, r, k.fx.ArtifactPath) }},
		{method: get, path: "/artifacts/download", class: readOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"path": k.fx.ArtifactPath} }),
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				if string(r.Body) != k.fx.ArtifactBody {
					t.Errorf("downloaded %q, want %q", r.Body, k.fx.ArtifactBody)
				}
			}},
		{method: put, path: "/artifacts/upload", class: editOp,
			params: with(run, func(k *call) map[string]any { return map[string]any{"path": "up/" + k.label + ".txt"} }),
			body:   func(k *call) []byte { return []byte("uploaded by " + k.label) },
			ok: func(t *testing.T, k *call, r *apitest.Response) {
				mustContain(t, k.c.st.MustMLflow(t, get, "/artifacts/list", map[string]any{"run_id": k.fx.RunID, "path": "up"}), "up/"+k.label+".txt")
			}},
	}
}

// accountRelays are cerberus's own routes ml_studio relays for the UI
// (account.go): cerberus authorizes them, TestAccountRoutesRelayToCerberus
// checks they reach it.
var accountRelays = []string{
	"POST /api/auth/login", "POST /api/auth/logout", "GET /api/auth/me",
	"GET /api/auth/providers", "GET /api/auth/oidc/login", "GET /api/auth/oidc/callback", "POST /api/auth/oidc/session",
	"GET /api/tokens", "POST /api/tokens", "DELETE /api/tokens/:id",
	"GET /api/directory/users", "GET /api/users", "POST /api/users", "GET /api/users/:username", "PATCH /api/users/:username", "GET /api/users/:username/grants",
	"GET /api/groups", "POST /api/groups", "GET /api/groups/:group/members",
	"PUT /api/groups/:group/members/:username", "DELETE /api/groups/:group/members/:username",
	"POST /api/grants", "POST /api/grants/revoke", "GET /api/elements", "GET /api/elements/access", "GET /api/audit",
	"POST /api/authorize", "POST /api/authorize/batch",
}

// publicRelays answer without credentials on purpose: how to sign in.
var publicRelays = []string{"GET /api/auth/providers"}

// TestMatrixCoversEveryRoute keeps matrixRoutes (plus the account relays)
// in step with the routes the engine really serves under /api.
func TestMatrixCoversEveryRoute(t *testing.T) {
	st := apitest.Shared(t)
	var served []string
	for _, r := range st.Studio.Server().Engine().Routes() {
		// /api/2.0/ and /api/3.0/ are MLflow's own REST namespace (the
		// gateway; /api/2.0mlflow is MLflow's own misspelling), not the
		// seed's table.
		if strings.HasPrefix(r.Path, "/api/") && !strings.HasPrefix(r.Path, "/api/2.0") && !strings.HasPrefix(r.Path, "/api/3.0/") {
			served = append(served, r.Method+" "+r.Path)
		}
	}
	listed := slices.Clone(accountRelays)
	for _, rc := range matrixRoutes() {
		listed = append(listed, rc.String())
	}
	slices.Sort(served)
	slices.Sort(listed)
	if len(slices.Compact(slices.Clone(listed))) != len(listed) {
		t.Errorf("a route is listed twice: %v", listed)
	}
	if !slices.Equal(served, listed) {
		var missing, stale []string
		for _, r := range served {
			if !slices.Contains(listed, r) {
				missing = append(missing, r)
			}
		}
		for _, r := range listed {
			if !slices.Contains(served, r) {
				stale = append(stale, r)
			}
		}
		t.Errorf("the matrix is out of step with the engine: served but not tested %v; tested but not served %v", missing, stale)
	}
	if n := len(matrixRoutes()); n < 45 {
		t.Errorf("only %d seed routes; routes.go has 45", n)
	}
}

// TestAccountRoutesRelayToCerberus: each relayed route, called without
// credentials through ml_studio, answers exactly as cerberus itself does.
func TestAccountRoutesRelayToCerberus(t *testing.T) {
	c := getCast(t)
	fill := strings.NewReplacer(":id", "1", ":username", c.user(creator).Name, ":group", "no-such-group")
	for _, route := range accountRelays {
		t.Run(route, func(t *testing.T) {
			method, path, _ := strings.Cut(route, " ")
			path = fill.Replace(path)
			var body any
			if method != get {
				body = map[string]any{}
			}
			via := c.studio.Do(t, nil, method, path, body, nil)
			direct, err := c.st.Cerberus(nil, method, path, body)
			if err != nil {
				t.Fatal(err)
			}
			if via.Status != direct.Status || !bytes.Equal(via.Body, direct.Body) {
				t.Errorf("through ml_studio: %s\ncerberus itself: %s", via, direct)
			}
			if public := slices.Contains(publicRelays, route); public != (via.Status < 400) {
				t.Errorf("%s: answered %s anonymously, public route: %v", route, via, public)
			}
		})
	}
}

// TestAuthorizationMatrix calls every route as every class of caller on
// objects alice (the creator) made, and checks each status, that a denial
// is a bare {"error"} naming nothing of the objects, and that a refused
// write left MLflow exactly as it was. The nobody caller is bob, guessing
// alice's experiment id, run id and model name: every route refuses him.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	runMatrix(t, getCast(t))
}

// runMatrix is the matrix with c's callers; make test-sso runs it with
// callers the identity provider authenticates too (integration_sso_test.go).
func runMatrix(t *testing.T, c *cast) {
	parallel(8, matrixRoutes(), func(_ int, rc routeCase) {
		t.Run(rc.String(), func(t *testing.T) {
			var fixtures []*fixture
			if rc.fresh {
				fixtures = newFixtures(t, c, len(roles))
			} else {
				fixtures = slices.Repeat([]*fixture{newFixture(t, c)}, len(roles))
			}
			for i, r := range roles {
				t.Run(r.String(), func(t *testing.T) {
					fx := fixtures[i]
					k := &call{c: c, fx: fx, who: c.user(r), role: r, label: r.String()}
					checkCall(t, c.studio, rc, k, rc.class.want(r))
				})
			}
		})
	})
}

// checkCall makes one call and checks its answer is want, and after a
// refusal that nothing leaked and nothing changed.
func checkCall(t *testing.T, studio *apitest.Studio, rc routeCase, k *call, want int) *apitest.Response {
	t.Helper()
	params := rc.params(t, k)
	var before string
	watch := want != http.StatusOK && (rc.class == editOp || rc.class == manageOp)
	if watch {
		before = snapshot(t, k.c.st, k.fx)
	}
	r := rc.send(t, studio, k, params)
	if r.Status != want {
		t.Fatalf("as %s: %s, want %d", k.who, r, want)
	}
	switch want {
	case http.StatusOK:
		if rc.ok != nil {
			rc.ok(t, k, r)
		}
		if rc.class == listOp && k.role == nobody {
			for _, s := range k.fx.secrets {
				if strings.Contains(string(r.Body), s) {
					t.Errorf("%s: nobody's search shows %q", r, s)
				}
			}
		}
	case http.StatusForbidden, http.StatusUnauthorized:
		msg := requireErrorBody(t, r, k.fx.secrets)
		if want == http.StatusForbidden && !strings.HasPrefix(msg, "you do not have ") {
			t.Errorf("%s: 403 message %q, want \"you do not have <op> access to this <kind>\"", r, msg)
		}
		if want == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", r)
		}
		if watch {
			if after := snapshot(t, k.c.st, k.fx); after != before {
				t.Errorf("a refused %s changed MLflow:\nbefore:\n%s\nafter:\n%s", rc, before, after)
			}
		}
		if rc.absent != nil {
			rc.absent(t, k)
		}
	}
	return r
}
