package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// role is a class of caller of the authorization matrix.
type role int

const (
	anonymous role = iota // no Authorization header
	nobody                // "bob": signed in, no grant on anything of alice's
	reader                // read on alice's experiment and model
	editor                // edit on both
	manager               // manage on both
	creator               // "alice": create on project:default, creates everything
	admin
)

// roles from the least to the most privileged: every denial of a route
// happens before any allowed caller changes the objects it is given.
var roles = []role{anonymous, nobody, reader, editor, manager, creator, admin}

func (r role) String() string {
	return [...]string{"anonymous", "nobody", "reader", "editor", "manager", "creator", "admin"}[r]
}

// cast is the users of the matrix, created once per test binary.
type cast struct {
	st     *apitest.Stack
	studio *apitest.Studio
	users  map[role]*apitest.User // anonymous maps to nil
}

var theCast struct {
	mu sync.Mutex
	c  *cast
}

func getCast(t *testing.T) *cast {
	t.Helper()
	st := apitest.Shared(t)
	theCast.mu.Lock()
	defer theCast.mu.Unlock()
	if theCast.c == nil {
		c := &cast{st: st, studio: st.Studio, users: map[role]*apitest.User{anonymous: nil, admin: st.Admin}}
		for _, r := range []role{nobody, reader, editor, manager, creator} {
			c.users[r] = st.NewUser(t, r.String())
		}
		st.Grant(t, "project:default", "create", c.users[creator])
		theCast.c = c
	}
	return theCast.c
}

func (c *cast) user(r role) *apitest.User { return c.users[r] }

// fixture is what alice (the creator) makes through ml_studio: an
// experiment with a run holding a metric, a parameter, tags and an
// artifact, and a registered model with a version from that run. The
// reader, editor and manager get their operation on the experiment and
// on the model.
type fixture struct {
	ExpID, ExpName    string
	RunID, RunName    string
	ArtifactURI       string
	Model             string
	Metric            float64
	ArtifactPath      string
	ArtifactBody      string
	MetricText        string // the metric as MLflow's JSON writes it
	ModelDesc         string
	secrets           []string // what of the objects no denial may show
	experimentElement string
	modelElement      string
}

// Names of the fixture's parts the routes use.
const (
	metricKey   = "accuracy"
	paramKey    = "learning_rate"
	fixtureTag  = "owner_note"
	aliasName   = "champion"
	artifactDir = "secret"
)

func newFixture(t *testing.T, c *cast) *fixture {
	t.Helper()
	return newFixtureBy(t, c, c.user(creator))
}

// newFixtureBy is a fixture made by owner (who needs create on
// project:default); only alice's fixtures are shared with the roles.
func newFixtureBy(t *testing.T, c *cast, owner *apitest.User) *fixture {
	t.Helper()
	alice := owner
	sfx := testenv.RandomSuffix()
	fx := &fixture{
		ExpName:      "it-matrix-exp-" + sfx,
		RunName:      "it-run-name-" + sfx,
		Model:        "it-matrix-model-" + sfx,
		ArtifactPath: artifactDir + "/weights.txt",
		ArtifactBody: "artifact-content-" + sfx,
	}
	n, _ := strconv.ParseUint(sfx[:8], 16, 64)
	fx.Metric = 0.5 + float64(n%1_000_000_000)/1e10 + 1e-11 // ten significant digits of its own
	expTag, runTag, param := "exp-tag-value-"+sfx, "run-tag-value-"+sfx, "param-value-"+sfx
	modelDesc, modelTag := "model-description-"+sfx, "model-tag-value-"+sfx
	fx.ModelDesc, fx.MetricText = modelDesc, strconv.FormatFloat(fx.Metric, 'f', -1, 64)

	var exp struct {
		ID string `json:"experiment_id"`
	}
	c.studio.MustCall(t, alice, post, "/experiments/create", map[string]any{
		"name": fx.ExpName, "tags": []map[string]string{{"key": fixtureTag, "value": expTag}},
	}).Decode(t, &exp)
	fx.ExpID = exp.ID
	var run struct {
		Run struct {
			Info struct {
				RunID       string `json:"run_id"`
				ArtifactURI string `json:"artifact_uri"`
			} `json:"info"`
		} `json:"run"`
	}
	c.studio.MustCall(t, alice, post, "/runs/create", map[string]any{
		"experiment_id": fx.ExpID, "run_name": fx.RunName, "start_time": nowMillis(),
		"tags": []map[string]string{{"key": fixtureTag, "value": runTag}},
	}).Decode(t, &run)
	fx.RunID, fx.ArtifactURI = run.Run.Info.RunID, run.Run.Info.ArtifactURI
	c.studio.MustCall(t, alice, post, "/runs/log-metric", map[string]any{
		"run_id": fx.RunID, "key": metricKey, "value": fx.Metric, "timestamp": nowMillis(), "step": 0,
	})
	c.studio.MustCall(t, alice, post, "/runs/log-parameter", map[string]any{"run_id": fx.RunID, "key": paramKey, "value": param})
	up := c.studio.Do(t, alice, http.MethodPut, "/api/artifacts/upload?run_id="+fx.RunID+"&path="+fx.ArtifactPath, []byte(fx.ArtifactBody), nil)
	if up.Status != http.StatusOK {
		t.Fatalf("upload the fixture's artifact: %s", up)
	}
	c.studio.MustCall(t, alice, post, "/models/create", map[string]any{
		"name": fx.Model, "description": modelDesc, "tags": []map[string]string{{"key": fixtureTag, "value": modelTag}},
	})
	c.studio.MustCall(t, alice, post, "/models/versions/create", map[string]any{
		"name": fx.Model, "source": fx.ArtifactURI + "/" + artifactDir, "run_id": fx.RunID,
	})
	c.studio.MustCall(t, alice, post, "/models/alias", map[string]any{"name": fx.Model, "alias": aliasName, "version": "1"})

	fx.experimentElement, fx.modelElement = "experiment:"+fx.ExpID, "registered_model:"+fx.Model
	if owner == c.user(creator) {
		for r, op := range map[role]string{reader: "read", editor: "edit", manager: "manage"} {
			c.st.Grant(t, fx.experimentElement, op, c.user(r))
			c.st.Grant(t, fx.modelElement, op, c.user(r))
		}
	}
	fx.secrets = []string{fx.ExpName, fx.RunName, expTag, runTag, param, modelDesc, modelTag,
		fx.ArtifactBody, fx.MetricText}
	return fx
}

// newFixtures makes n fixtures at once, each in a subtest "fixture-<i>".
func newFixtures(t *testing.T, c *cast, n int) []*fixture {
	t.Helper()
	out := make([]*fixture, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	parallel(n, idx, func(_ int, i int) {
		t.Run(fmt.Sprintf("fixture-%d", i), func(t *testing.T) { out[i] = newFixture(t, c) })
	})
	if t.Failed() {
		t.FailNow()
	}
	return out
}

func nowMillis() int64 { return time.Now().UnixMilli() }

// snapshot is the whole of a fixture's state as MLflow holds it, read
// directly from MLflow: a call that was refused must leave it unchanged.
func snapshot(t *testing.T, st *apitest.Stack, fx *fixture) string {
	t.Helper()
	type read struct {
		method, path string
		params       map[string]any
	}
	reads := []read{
		{get, "/experiments/get", map[string]any{"experiment_id": fx.ExpID}},
		{post, "/runs/search", map[string]any{"experiment_ids": []string{fx.ExpID}, "run_view_type": "ALL", "max_results": 1000}},
		{get, "/registered-models/get", map[string]any{"name": fx.Model}},
		{get, "/model-versions/search", map[string]any{"filter": "name = '" + fx.Model + "'", "max_results": 1000}},
	}
	for _, dir := range []string{"", artifactDir, "up"} {
		reads = append(reads, read{get, "/artifacts/list", map[string]any{"run_id": fx.RunID, "path": dir}})
	}
	parts := make([]string, len(reads))
	errs := make([]error, len(reads))
	parallel(len(reads), reads, func(i int, r read) {
		resp, err := st.SendMLflow(r.method, r.path, r.params)
		if err != nil {
			errs[i] = err
			return
		}
		parts[i] = fmt.Sprintf("%s -> %d %s\n", resp.URL, resp.Status, resp.Body)
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	return strings.Join(parts, "")
}

// requireErrorBody checks an error answer: exactly {"error": "<message>"},
// JSON, with none of the fixture's secrets in it.
func requireErrorBody(t *testing.T, r *apitest.Response, secrets []string) string {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", r, ct)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("%s: error body is not a JSON object: %v", r, err)
	}
	var msg string
	if len(body) != 1 || json.Unmarshal(body["error"], &msg) != nil || msg == "" {
		t.Fatalf("%s: want exactly {\"error\": \"...\"}", r)
	}
	for _, s := range secrets {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("%s: the error leaks %q", r, s)
		}
	}
	return msg
}

// parallel runs f over items with at most n at a time and waits. f must
// not call t.Fatal (it runs on other goroutines); it reports with t.Errorf.
func parallel[T any](n int, items []T, f func(i int, item T)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for i, item := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			f(i, item)
		}()
	}
	wg.Wait()
}

// Methods and short names.
const (
	get   = http.MethodGet
	post  = http.MethodPost
	patch = http.MethodPatch
	del   = http.MethodDelete
	put   = http.MethodPut
)
