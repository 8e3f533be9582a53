package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflowapi"
)

// TestGatewayFuzzNoLeak sends random mixes of query and body parameters,
// camelCase aliases, run_uuid, duplicates and conflicting values to every
// endpoint of the access table (and random GraphQL documents naming both
// users' objects in every spelling to /graphql), as bob (a member with objects of his own,
// no grant on alice's), against the real MLflow. Values are drawn from
// alice's and bob's ids; the AI gateway's routes go to the MLflow whose
// gateway reaches a fake provider, with both users' secrets, model
// definitions and endpoints (and endpoint names in invocation paths and
// bodies). No answer may show anything of alice's that bob
// could not have sent himself, none may be a 5xx of ml_studio's (MLflow's
// own JSON 500s pass through as MLflow answers), alice's objects must
// be unchanged afterwards, and the provider must never be called with
// alice's model or key. ML_STUDIO_FUZZ_CALLS sets the calls per
// endpoint (default 12), ML_STUDIO_FUZZ_SEED replays a run.
func TestGatewayFuzzNoLeak(t *testing.T) {
	c := getCast(t)
	bob := newMember(t, c)
	fx := newFixture(t, c)
	aliceLM := loggedModel(t, c, fx.ExpID, c.user(creator))
	bobLM := loggedModel(t, c, bob.expID, bob.user)
	traceSecret := "fuzz-trace-" + testenv.RandomSuffix()
	aliceTrace := startTrace(t, c, c.user(creator), fx.ExpID, traceSecret)
	bobTrace := startTrace(t, c, bob.user, bob.expID, "bob-fuzz-trace")
	datasetSecret := "fuzz-dataset-" + testenv.RandomSuffix()
	aliceDataset := dataset(t, c, c.user(creator), fx.ExpID, datasetSecret)
	bobDataset := dataset(t, c, bob.user, bob.expID, "bob-fuzz-dataset")
	aliceLabels := newLabelling(t, c, c.user(creator), fx.ExpID, fx.RunID, aliceTrace)
	bobLabels := newLabelling(t, c, bob.user, bob.expID, bob.runID, bobTrace)
	aliceGW := newAIGateway(t, c)
	bobGW := aliceGW.objectsOf(t, bob.user, false)
	secrets := append([]string{traceSecret, datasetSecret, aliceLabels.schemaName, aliceLabels.queueName, aliceLabels.issueDescr,
		aliceGW.secretName, aliceGW.secretValue, aliceGW.defName, aliceGW.modelName}, fx.secrets...)
	perEndpoint := envInt(t, "ML_STUDIO_FUZZ_CALLS", 12)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ML_STUDIO_FUZZ_SEED"); s != "" {
		seed = uint64(envInt(t, "ML_STUDIO_FUZZ_SEED", 0))
	}
	t.Logf("seed %d (ML_STUDIO_FUZZ_SEED=%d replays it), %d calls per endpoint", seed, seed, perEndpoint)

	g := fuzzer{
		spec: mlflowapi.Pinned(),
		pools: map[string][]string{
			"experiment": {fx.ExpID, bob.expID},
			"run":        {fx.RunID, bob.runID},
			"name":       {fx.Model, bob.model},
			"model":      {aliceLM, bobLM},
			"trace":      {aliceTrace, bobTrace},
			"dataset":    {aliceDataset, bobDataset},
			"schema":     {aliceLabels.schema, bobLabels.schema},
			"queue":      {aliceLabels.queue, bobLabels.queue},
			"issue":      {aliceLabels.issue, bobLabels.issue},
			// the AI gateway's
			"secret":           {aliceGW.secret, bobGW.secret},
			"model_definition": {aliceGW.def, bobGW.def},
			"endpoint":         {aliceGW.endpoint, bobGW.endpoint},
			"endpoint_name":    {aliceGW.endpointName, bobGW.endpointName},
		},
	}
	keys := make([]string, 0, len(access.Rules))
	for k := range access.Rules {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// invocations first: later calls may delete bob's endpoint, and
	// his own invocations should get through to the provider
	slices.SortStableFunc(keys, func(a, b string) int {
		ia, ib := strings.Contains(a, " "+access.InvocationPrefix), strings.Contains(b, " "+access.InvocationPrefix)
		switch {
		case ia && !ib:
			return -1
		case ib && !ia:
			return 1
		}
		return 0
	})
	before := snapshot(t, c.st, fx) + aliceLabels.asMLflowHasIt(t, c) + aliceGW.asMLflowHasIt(t)
	var (
		mu       sync.Mutex
		statuses = map[int]int{}
	)
	calls := make([]fuzzCall, 0, len(keys)*perEndpoint)
	rng := rand.New(rand.NewPCG(seed, 0))
	for _, k := range keys {
		n := perEndpoint
		if strings.HasSuffix(k, " /graphql") {
			n *= 10 // one document names far more than one REST call
		}
		for range n {
			calls = append(calls, g.call(rng, k))
		}
	}
	parallel(4, calls, func(_ int, fc fuzzCall) {
		studio := c.studio
		if isAIGateway(fc.path) {
			studio = aliceGW.studio
		}
		r, err := sendRaw(studio, bob, fc)
		if err != nil {
			t.Errorf("%s: %v", fc, err)
			return
		}
		mu.Lock()
		statuses[r.status]++
		mu.Unlock()
		if r.status >= 500 && !mlflowOwnError(r) {
			t.Errorf("%s: %d %s", fc, r.status, r.body)
		}
		for _, s := range secrets {
			if strings.Contains(r.body, s) {
				t.Errorf("%s: %d shows alice's %q: %.300s", fc, r.status, s, r.body)
			}
		}
	})
	t.Logf("%d calls, statuses %v", len(calls), statuses)
	if after := snapshot(t, c.st, fx) + aliceLabels.asMLflowHasIt(t, c) + aliceGW.asMLflowHasIt(t); after != before {
		t.Errorf("bob changed alice's objects:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	provided := aliceGW.provider.all()
	t.Logf("the provider got %d calls (of bob's endpoint)", len(provided))
	for _, call := range provided {
		if strings.Contains(call.Body, aliceGW.modelName) || strings.Contains(call.Authorization, aliceGW.secretValue) {
			t.Errorf("bob's calls reached the provider with alice's model or key: %+v", call)
		}
	}
}

// isAIGateway says whether a path is the AI gateway's (its configuration
// or its invocations).
func isAIGateway(path string) bool {
	return strings.HasPrefix(path, access.InvocationPrefix) || strings.Contains(path, "/3.0/mlflow/gateway/")
}

// mlflowOwnError is a 500 MLflow itself answered in its JSON error shape
// (with its error_class, which ml_studio's errors never carry), passed
// through: how MLflow reports, e.g., a trace whose spans are not in its
// store. ml_studio's own 5xx and MLflow's crash pages do not pass.
func mlflowOwnError(r rawAnswer) bool {
	var e struct {
		Code  string `json:"error_code"`
		Class string `json:"error_class"`
	}
	return r.status == http.StatusInternalServerError && json.Unmarshal([]byte(r.body), &e) == nil &&
		e.Code == "INTERNAL_ERROR" && e.Class != ""
}

// fuzzer draws random calls of the MLflow surface.
type fuzzer struct {
	spec  *mlflowapi.Spec
	pools map[string][]string // values by what a parameter names: alice's, then bob's
}

// fuzzCall is one request with a query and a raw body that may repeat keys.
type fuzzCall struct {
	method, path string
	query        []string // k=v pairs, repeats allowed
	body         string
}

func (f fuzzCall) String() string {
	return fmt.Sprintf("%s %s?%s body %s", f.method, f.path, strings.Join(f.query, "&"), f.body)
}

func (g fuzzer) pick(rng *rand.Rand, pool string) string {
	p := g.pools[pool]
	return p[rng.IntN(len(p))]
}

// poolOf is what kind of value a parameter takes, by its name; "" for a
// parameter that names nothing of anyone's.
func poolOf(name string) string {
	switch {
	case name == "secret_id":
		return "secret"
	case name == "model_definition_id":
		return "model_definition"
	case name == "endpoint_id":
		return "endpoint"
	case strings.Contains(name, "experiment"):
		return "experiment"
	case strings.Contains(name, "trace_id"), strings.Contains(name, "request_id"), name == "item_id", name == "item_ids":
		return "trace"
	case name == "dataset_id":
		return "dataset"
	case name == "schema_id", name == "schema_ids":
		return "schema"
	case name == "queue_id":
		return "queue"
	case name == "issue_id":
		return "issue"
	case strings.Contains(name, "run_id"), name == "run_uuid", name == "run_ids":
		return "run"
	case name == "model_id" || strings.HasSuffix(name, "model_ids"):
		return "model"
	case name == "name":
		return "name"
	}
	return ""
}

// plain are values for parameters that name nothing, so that calls get
// past MLflow's own checks.
var plain = map[string]string{"metric_key": metricKey, "alias": aliasName, "version": "1", "key": fixtureTag, "value": "v"}

// The ways a call may spell a parameter naming someone's object. Each
// pollution pairs bob's value (which a careless gateway would check) with
// alice's (which MLflow would then act on), in both orders.
const (
	spellClean      = iota // once, where MLflow reads it, proto name or alias
	spellQueryBody         // in the query and in the body
	spellBothNames         // proto name and camelCase alias in one body
	spellTwiceQuery        // the query names it twice
	spellTwiceBody         // the body has the key twice
	spellRunUUID           // run_id and run_uuid
	spellWrongPlace        // only where MLflow does not read it
	spellCount
)

func (g fuzzer) call(rng *rand.Rand, key string) fuzzCall {
	method, path, _ := strings.Cut(key, " ")
	if path == "/graphql" {
		return g.graphQLCall(rng) // its method drawn there
	}
	if strings.HasPrefix(path, access.InvocationPrefix) {
		return g.invocationCall(rng, method, path)
	}
	for strings.Contains(path, "{id}") {
		pool := "model"
		if strings.Contains(path, "/traces/{id}") {
			pool = "trace"
		} else if strings.Contains(path, "/datasets/{id}") {
			pool = "dataset"
		} else if strings.Contains(path, "/issues/{id}") {
			pool = "issue"
		}
		path = strings.Replace(path, "{id}", g.pick(rng, pool), 1)
	}
	for strings.Contains(path, "{path}") {
		path = strings.Replace(path, "{path}", g.pick(rng, "experiment")+"/x/artifacts/f", 1)
	}
	fc := fuzzCall{method: method, path: path}
	if rng.IntN(3) == 0 {
		fc.path = strings.Replace(path, "/api/", "/ajax-api/", 1)
	}
	e, _, ok := g.spec.Lookup(method, path)
	var fields []mlflowapi.Field
	if ok {
		fields = g.spec.Fields(e.Message)
	}
	isGet := method == http.MethodGet
	var members []string
	put := func(inQuery bool, name, value string, list bool) {
		if inQuery {
			fc.query = append(fc.query, url.QueryEscape(name)+"="+url.QueryEscape(value))
		} else {
			members = append(members, jsonMember(name, value, list))
		}
	}
	for _, f := range fields {
		if (f.Name == "model_configs" || f.Name == "model_config") && rng.IntN(4) != 0 {
			// an endpoint's models name model definitions
			config := fmt.Sprintf(`{"model_definition_id":%q,"linkage_type":"PRIMARY","weight":1}`, g.pick(rng, "model_definition"))
			if f.Repeated {
				config = "[" + config + "]"
			}
			k, _ := json.Marshal(f.Name)
			members = append(members, string(k)+":"+config)
			continue
		}
		if f.Kind == "message" || f.Kind == "map" || rng.IntN(8) == 0 {
			continue
		}
		pool := poolOf(f.Name)
		if pool == "name" && isAIGateway(path) {
			pool = "endpoint_name"
		}
		if pool == "" {
			if v, ok := plain[f.Name]; ok || rng.IntN(2) == 0 {
				put(isGet, f.Name, v, f.Repeated)
			}
			continue
		}
		name := f.Name
		if !isGet && rng.IntN(2) == 0 {
			name = f.JSON
		}
		first, second := g.pools[pool][1], g.pools[pool][0] // bob's, then alice's
		if rng.IntN(2) == 0 {
			first, second = second, first
		}
		switch rng.IntN(spellCount) {
		case spellClean:
			put(isGet, name, g.pick(rng, pool), f.Repeated)
		case spellQueryBody:
			put(true, f.Name, first, f.Repeated)
			put(false, name, second, f.Repeated)
		case spellBothNames:
			put(false, f.Name, first, f.Repeated)
			put(false, f.JSON, second, f.Repeated)
		case spellTwiceQuery:
			put(true, f.Name, first, f.Repeated)
			put(true, f.Name, second, f.Repeated)
		case spellTwiceBody:
			put(false, name, first, f.Repeated)
			put(false, name, second, f.Repeated)
		case spellRunUUID:
			put(isGet, name, first, f.Repeated)
			put(isGet, "run_uuid", second, false)
		case spellWrongPlace:
			put(!isGet, name, g.pick(rng, pool), f.Repeated)
		}
	}
	if len(members) > 0 || (!isGet && rng.IntN(2) == 0) {
		fc.body = "{" + strings.Join(members, ",") + "}"
	}
	return fc
}

// invocationCall is a call of the AI gateway's invocations: the endpoint
// named in the path, by the body's model (once, twice in either order, not
// a string, missing) or both.
func (g fuzzer) invocationCall(rng *rand.Rand, method, path string) fuzzCall {
	path = strings.Replace(path, "{id}", g.pick(rng, "endpoint_name"), 1)
	path = strings.Replace(path, "{path}", []string{"chat/completions", "v1/chat/completions", "embeddings"}[rng.IntN(3)], 1)
	fc := fuzzCall{method: method, path: path}
	first, second := g.pools["endpoint_name"][1], g.pools["endpoint_name"][0] // bob's, then alice's
	if rng.IntN(2) == 0 {
		first, second = second, first
	}
	members := []string{`"messages":[{"role":"user","content":"fuzz"}]`, `"input":"fuzz"`}
	switch rng.IntN(5) {
	case 0:
		members = append(members, jsonMember("model", g.pick(rng, "endpoint_name"), false))
	case 1:
		members = append(members, jsonMember("model", first, false), jsonMember("model", second, false))
	case 2:
		members = append(members, jsonMember("model", first, true)) // not a string
	case 3:
		fc.query = append(fc.query, "model="+url.QueryEscape(first))
		members = append(members, jsonMember("model", second, false))
	}
	if method != http.MethodGet {
		fc.body = "{" + strings.Join(members, ",") + "}"
	}
	return fc
}

func jsonMember(name, value string, list bool) string {
	k, _ := json.Marshal(name)
	v, _ := json.Marshal(value)
	if list {
		return string(k) + ":[" + string(v) + "]"
	}
	return string(k) + ":" + string(v)
}

type rawAnswer struct {
	status int
	body   string
}

func sendRaw(studio *apitest.Studio, m *member, fc fuzzCall) (rawAnswer, error) {
	target := studio.URL + fc.path
	if len(fc.query) > 0 {
		target += "?" + strings.Join(fc.query, "&")
	}
	req, err := http.NewRequest(fc.method, target, bytes.NewReader([]byte(fc.body)))
	if err != nil {
		return rawAnswer{}, err
	}
	req.Header.Set("Authorization", m.user.Authorization())
	if fc.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawAnswer{}, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	return rawAnswer{status: resp.StatusCode, body: buf.String()}, err
}

// loggedModel creates a logged model in an experiment through ml_studio.
func loggedModel(t *testing.T, c *cast, expID string, u *apitest.User) string {
	t.Helper()
	r := gatewayCall{"", post, "/api/2.0/mlflow/logged-models", map[string]any{"experiment_id": expID}}.send(t, c, u)
	var out struct {
		Model struct {
			Info struct {
				ModelID string `json:"model_id"`
			} `json:"info"`
		} `json:"model"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || out.Model.Info.ModelID == "" {
		t.Fatalf("create a logged model in experiment %s: %s", expID, r)
	}
	return out.Model.Info.ModelID
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return n
}
