package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// gatewayCall is one request to the MLflow surface, path with its query.
type gatewayCall struct {
	name, method, path string
	body               any // nil, a JSON value, or []byte sent as is
}

// send makes the call as u; a body goes as JSON whatever the method.
func (g gatewayCall) send(t *testing.T, c *cast, u *apitest.User) *apitest.Response {
	t.Helper()
	return g.sendTo(t, c.studio, u)
}

// sendTo is send to another ml_studio instance.
func (g gatewayCall) sendTo(t *testing.T, studio *apitest.Studio, u *apitest.User) *apitest.Response {
	t.Helper()
	var body any
	switch b := g.body.(type) {
	case nil:
	case []byte:
		body = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = data
	}
	return studio.Do(t, u, g.method, g.path, body, http.Header{"Content-Type": {"application/json"}})
}

// requireMLflowRefusal checks a refusal on the MLflow surface: 400 or 403
// (as wanted), MLflow's error shape, and none of secrets in the body.
func requireMLflowRefusal(t *testing.T, r *apitest.Response, want int, secrets ...string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s, want %d", r, want)
	}
	var e struct {
		Code    string `json:"error_code"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("%s: not MLflow's error shape", r)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(string(r.Body), s) {
			t.Fatalf("%s: shows %q", r, s)
		}
	}
}

// TestGatewayForwardsWhatItChecked replays the parameter pollution of the
// security audit (F1): bob names his own objects where ml_studio used to
// look and alice's where MLflow reads. Every such call is refused, none
// shows anything of alice's, and bob's own calls in MLflow's other
// spellings (camelCase, run_uuid) still work.
func TestGatewayForwardsWhatItChecked(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	secrets := append([]string{fx.RunID}, fx.secrets...)
	const api = "/api/2.0/mlflow"
	q := url.QueryEscape
	polluted := []gatewayCall{
		{"runs/get: query alice, body bob", get, api + "/runs/get?run_id=" + fx.RunID, map[string]any{"run_id": bob.runID}},
		{"ajax runs/get: query alice, body bob", get, "/ajax-api/2.0/mlflow/runs/get?run_id=" + fx.RunID, map[string]any{"run_id": bob.runID}},
		{"experiments/get: query alice, body bob", get, api + "/experiments/get?experiment_id=" + fx.ExpID, map[string]any{"experiment_id": bob.expID}},
		{"artifacts/list: query alice, body bob", get, api + "/artifacts/list?run_id=" + fx.RunID, map[string]any{"run_id": bob.runID}},
		{"metrics/get-history: query alice, body bob", get, api + "/metrics/get-history?run_id=" + fx.RunID + "&metric_key=" + metricKey, map[string]any{"run_id": bob.runID}},
		{"bulk interval: query alice, body bob", get, api + "/metrics/get-history-bulk-interval?run_ids=" + fx.RunID + "&metric_key=" + metricKey, map[string]any{"run_ids": []string{bob.runID}}},
		{"registered-models/get: query alice, body bob", get, api + "/registered-models/get?name=" + q(fx.Model), map[string]any{"name": bob.model}},
		{"get-download-uri: query alice, body bob", get, api + "/model-versions/get-download-uri?name=" + q(fx.Model) + "&version=1", map[string]any{"name": bob.model}},
		{"alias: query alice, body bob", get, api + "/registered-models/alias?name=" + q(fx.Model) + "&alias=" + aliasName, map[string]any{"name": bob.model}},
		{"runs/get: bob's run then alice's", get, api + "/runs/get?run_id=" + bob.runID + "&run_id=" + fx.RunID, nil},
		{"runs/get: run_id bob, run_uuid alice", get, api + "/runs/get?run_id=" + bob.runID + "&run_uuid=" + fx.RunID, nil},
		{"get-artifact: bob's run then alice's", get, "/get-artifact?run_id=" + bob.runID + "&run_id=" + fx.RunID + "&path=" + q(fx.ArtifactPath), nil},
		{"get-artifact: run_id bob, run_uuid alice", get, "/get-artifact?run_id=" + bob.runID + "&run_uuid=" + fx.RunID + "&path=" + q(fx.ArtifactPath), nil},
		{"model artifact: bob's model then alice's", get, "/model-versions/get-artifact?name=" + q(bob.model) + "&name=" + q(fx.Model) + "&version=1&path=x", nil},
		{"runs/create: query bob, camelCase body alice", post, api + "/runs/create?experiment_id=" + bob.expID, map[string]any{"experimentId": fx.ExpID, "run_name": "bob-injected"}},
		{"runs/create: both spellings", post, api + "/runs/create", map[string]any{"experiment_id": bob.expID, "experimentId": fx.ExpID}},
		{"runs/create: the key twice", post, api + "/runs/create", []byte(`{"experiment_id":"` + bob.expID + `","experiment_id":"` + fx.ExpID + `"}`)},
		{"runs/set-tag: run_id bob, runId alice", post, api + "/runs/set-tag", map[string]any{"run_id": bob.runID, "runId": fx.RunID, "key": "k", "value": "v"}},
		{"runs/set-tag: run_id bob, run_uuid alice", post, api + "/runs/set-tag", map[string]any{"run_id": bob.runID, "run_uuid": fx.RunID, "key": "k", "value": "v"}},
		{"runs/search: ids both ways", post, api + "/runs/search", map[string]any{"experiment_ids": []string{bob.expID}, "experimentIds": []string{fx.ExpID}}},
		{"registered-models/delete: query alice, body bob", del, api + "/registered-models/delete?name=" + q(fx.Model), map[string]any{"name": bob.model}},
		{"experiments/create: a location inside alice's run", post, api + "/experiments/create", map[string]any{"name": "bob-squat-" + bob.expID, "artifact_location": fx.ArtifactURI}},
	}
	before := snapshot(t, c.st, fx)
	for _, call := range polluted {
		t.Run(call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusBadRequest, secrets...)
		})
	}
	// MLflow's other spellings, naming only alice's objects: checked on hers.
	for _, call := range []gatewayCall{
		{"runs/create: camelCase alice", post, api + "/runs/create", map[string]any{"experimentId": fx.ExpID}},
		{"runs/set-tag: runId alice", post, api + "/runs/set-tag", map[string]any{"runId": fx.RunID, "key": "k", "value": "v"}},
		{"runs/get: run_uuid alice", get, api + "/runs/get?run_uuid=" + fx.RunID, nil},
		{"get-artifact: run_uuid alice", get, "/get-artifact?run_uuid=" + fx.RunID + "&path=" + q(fx.ArtifactPath), nil},
	} {
		t.Run(call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusForbidden, secrets...)
		})
	}
	if after := snapshot(t, c.st, fx); after != before {
		t.Errorf("bob changed alice's objects:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// The same spellings on bob's own objects are served.
	for _, call := range []gatewayCall{
		{"runs/create: camelCase, his experiment", post, api + "/runs/create", map[string]any{"experimentId": bob.expID}},
		{"runs/set-tag: runId, his run", post, api + "/runs/set-tag", map[string]any{"runId": bob.runID, "key": "k", "value": "v"}},
		{"runs/get: run_uuid, his run", get, api + "/runs/get?run_uuid=" + bob.runID, nil},
		{"runs/search: experimentIds", post, api + "/runs/search", map[string]any{"experimentIds": []string{bob.expID}}},
	} {
		t.Run(call.name, func(t *testing.T) {
			if r := call.send(t, c, bob.user); r.Status != http.StatusOK {
				t.Fatalf("%s, want 200", r)
			}
		})
	}
}

// TestGatewayLineageNeedsRead: linking another user's logged model into
// one's own run, or naming another user's run as a logged model's source,
// needs read on them (audit F11).
func TestGatewayLineageNeedsRead(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	const api = "/api/2.0/mlflow"
	aliceModel := loggedModel(t, c, fx.ExpID, c.user(creator))
	for _, call := range []gatewayCall{
		{"log-inputs: her logged model", post, api + "/runs/log-inputs", map[string]any{"run_id": bob.runID, "models": []map[string]any{{"model_id": aliceModel}}}},
		{"log-inputs: her logged model, camelCase", post, api + "/runs/log-inputs", map[string]any{"run_id": bob.runID, "models": []map[string]any{{"modelId": aliceModel}}}},
		{"outputs: her logged model", post, api + "/runs/outputs", map[string]any{"run_id": bob.runID, "models": []map[string]any{{"model_id": aliceModel, "step": "0"}}}},
		{"logged-models: her run as source", post, api + "/logged-models", map[string]any{"experiment_id": bob.expID, "source_run_id": fx.RunID}},
	} {
		t.Run(call.name, func(t *testing.T) {
			requireMLflowRefusal(t, call.send(t, c, bob.user), http.StatusForbidden, fx.secrets...)
		})
	}
	t.Run("his own lineage is served", func(t *testing.T) {
		r := gatewayCall{"", post, api + "/logged-models", map[string]any{"experiment_id": bob.expID, "source_run_id": bob.runID}}.send(t, c, bob.user)
		if r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
		in := gatewayCall{"", post, api + "/runs/log-inputs", map[string]any{"run_id": bob.runID, "models": []map[string]any{{"model_id": loggedModel(t, c, bob.expID, bob.user)}}}}
		if r := in.send(t, c, bob.user); r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
	})
}

// TestGatewayVersionSourceNeedsRead: a model version whose source is
// another user's registered model (by version, alias, latest or stage) or
// logged model is refused (audit F2); one's own is served.
func TestGatewayVersionSourceNeedsRead(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	const create = "/api/2.0/mlflow/model-versions/create"
	for _, source := range []string{
		"models:/" + fx.Model + "/1",
		"models:/" + fx.Model + "@" + aliasName,
		"models:/" + fx.Model + "/latest",
		"models:/" + fx.Model + "/None",
		"MODELS:///" + fx.Model + "/1",
		"runs:/" + fx.RunID + "/" + artifactDir,
	} {
		t.Run(source, func(t *testing.T) {
			r := gatewayCall{"", post, create, map[string]any{"name": bob.model, "source": source}}.send(t, c, bob.user)
			requireMLflowRefusal(t, r, http.StatusForbidden, fx.secrets...)
		})
	}
	for _, source := range []string{
		"models://other/" + fx.Model + "/1",
		"models:/" + fx.Model + "?x=1",
		"s3://bucket/" + fx.ExpID,
		fx.ArtifactURI + "/" + artifactDir, // alice's location under bob's run
	} {
		t.Run(source, func(t *testing.T) {
			r := gatewayCall{"", post, create, map[string]any{"name": bob.model, "source": source, "run_id": bob.runID}}.send(t, c, bob.user)
			requireMLflowRefusal(t, r, http.StatusBadRequest, fx.secrets...)
		})
	}
	t.Run("his own model as the source", func(t *testing.T) {
		r := gatewayCall{"", post, create, map[string]any{"name": bob.model, "source": "models:/" + bob.model + "/1"}}.send(t, c, bob.user)
		if r.Status != http.StatusOK {
			t.Fatalf("%s", r)
		}
	})
}

// TestGatewayDeleteModelUnregisters: deleting a registered model through
// the MLflow surface removes its element and grants, so the name can be
// created again, by anyone who may create (audit F3).
func TestGatewayDeleteModelUnregisters(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	bob := newMember(t, c)
	name := "bob-tmp-" + bob.expID
	const api = "/api/2.0/mlflow"
	if r := (gatewayCall{"", post, api + "/registered-models/create", map[string]any{"name": name}}).send(t, c, bob.user); r.Status != http.StatusOK {
		t.Fatalf("create: %s", r)
	}
	c.st.Grant(t, "registered_model:"+name, "read", c.user(reader))
	if r := (gatewayCall{"", del, api + "/registered-models/delete", map[string]any{"name": name}}).send(t, c, bob.user); r.Status != http.StatusOK {
		t.Fatalf("delete: %s", r)
	}
	r, err := c.st.Cerberus(c.st.Admin, get, "/api/elements/access?element="+url.QueryEscape("registered_model:"+name), nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != http.StatusNotFound {
		t.Errorf("the element is still there: %s", r)
	}
	if r := (gatewayCall{"", post, api + "/registered-models/create", map[string]any{"name": name}}).send(t, c, c.user(creator)); r.Status != http.StatusOK {
		t.Fatalf("alice re-creates the name: %s", r)
	}
	if r := (gatewayCall{"", get, api + "/registered-models/get?name=" + url.QueryEscape(name), nil}).send(t, c, c.user(reader)); r.Status != http.StatusForbidden {
		t.Errorf("the old grant came back with the name: %s", r)
	}
}

// TestCreateAfterRefusal: a name looked up before it exists is refused,
// and ml_studio's decision cache remembers that; once the caller creates
// it, her next calls are served at once — as mlflow.genai.register_prompt
// does (look up, create, then use). The prompt flow itself is in
// tests/python.
func TestCreateAfterRefusal(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	studio := c.st.NewStudio(t, apitest.Options{DecisionCache: 5 * time.Second})
	alice := c.user(creator)
	name := "created-after-refusal-" + testenv.RandomSuffix()
	get := gatewayCall{"", get, "/api/2.0/mlflow/registered-models/get?name=" + url.QueryEscape(name), nil}
	if r := get.sendTo(t, studio, alice); r.Status != http.StatusForbidden {
		t.Fatalf("before it exists: %s", r)
	}
	if r := (gatewayCall{"", post, "/api/2.0/mlflow/registered-models/create", map[string]any{
		"name": name, "tags": []map[string]string{{"key": "mlflow.prompt.is_prompt", "value": "true"}}}}).sendTo(t, studio, alice); r.Status != http.StatusOK {
		t.Fatalf("create: %s", r)
	}
	if r := get.sendTo(t, studio, alice); r.Status != http.StatusOK {
		t.Fatalf("right after creating it: %s", r)
	}
	if r := (gatewayCall{"", post, "/api/2.0/mlflow/model-versions/create", map[string]any{
		"name": name, "source": "dummy-source", "tags": []map[string]string{{"key": "mlflow.prompt.is_prompt", "value": "true"}, {"key": "mlflow.prompt.text", "value": "hi {{x}}"}}}}).sendTo(t, studio, alice); r.Status != http.StatusOK {
		t.Fatalf("a prompt version: %s", r)
	}
}
