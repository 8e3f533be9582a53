package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// outageFixtures are a fixture per route, made before the outage: a
// route whose preparation deletes its object gets one of its own.
func outageFixtures(t *testing.T, c *cast, routes []routeCase) []*fixture {
	t.Helper()
	fresh := 0
	for _, rc := range routes {
		if rc.fresh {
			fresh++
		}
	}
	made := newFixtures(t, c, fresh+1)
	out := make([]*fixture, len(routes))
	for i, rc := range routes {
		out[i] = made[0]
		if rc.fresh {
			out[i], made = made[len(made)-1], made[:len(made)-1]
		}
	}
	return out
}

// requireOutage calls every route as alice, who may do everything on her
// fixtures, and requires status with a bare JSON error naming cause, and
// MLflow left as it was: an outage is never a pass-through.
func requireOutage(t *testing.T, c *cast, studio *apitest.Studio, routes []routeCase, fixtures []*fixture, status int, cause string) {
	t.Helper()
	for i, rc := range routes {
		t.Run(rc.String(), func(t *testing.T) {
			k := &call{c: c, fx: fixtures[i], who: c.user(creator), role: creator, label: "outage"}
			params := rc.params(t, k)
			before := snapshot(t, c.st, k.fx)
			r := rc.send(t, studio, k, params)
			if r.Status != status {
				t.Fatalf("%s, want %d", r, status)
			}
			if msg := requireErrorBody(t, r, k.fx.secrets); !strings.Contains(msg, cause) {
				t.Errorf("%s: message %q does not name %s", r, msg, cause)
			}
			if after := snapshot(t, c.st, k.fx); after != before {
				t.Errorf("%s during the outage changed MLflow:\nbefore:\n%s\nafter:\n%s", rc, before, after)
			}
			if rc.absent != nil {
				rc.absent(t, k)
			}
		})
	}
}

func readyz(t *testing.T, studio *apitest.Studio) (int, map[string]any) {
	t.Helper()
	r := studio.Do(t, nil, get, "/readyz", nil, nil)
	return r.Status, r.Object(t)
}

// TestCerberusOutageFailsClosed: with cerberus unreachable every protected
// call is a 503 and nothing reaches MLflow; when cerberus is back the same
// ml_studio serves again.
func TestCerberusOutageFailsClosed(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	proxy := testenv.NewProxy(t, hostOf(t, c.st.CerberusURL))
	noRetry := 0
	studio := c.st.NewStudio(t, apitest.Options{CerberusURL: "http://" + proxy.Addr(), Retries: &noRetry})
	routes := matrixRoutes()
	fixtures := outageFixtures(t, c, routes)
	probe := map[string]any{"experiment_id": fixtures[0].ExpID}
	studio.MustCall(t, c.user(creator), get, "/experiments/get", probe)
	if code, body := readyz(t, studio); code != http.StatusOK {
		t.Fatalf("/readyz before the outage: %d %v", code, body)
	}

	proxy.Cut()
	requireOutage(t, c, studio, routes, fixtures, http.StatusServiceUnavailable, "authorization service")
	code, body := readyz(t, studio)
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusServiceUnavailable || checks["cerberus"] == "ok" || checks["mlflow"] != "ok" {
		t.Errorf("/readyz without cerberus: %d %v, want 503 naming cerberus only", code, body)
	}
	if r := studio.Call(t, nil, get, "/experiments/get", probe); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous during the outage: %s, want 401", r)
	}
	fill := strings.NewReplacer(":id", "1", ":username", c.user(creator).Name, ":group", "g")
	for _, route := range accountRelays {
		method, path, _ := strings.Cut(route, " ")
		var body any
		if method != get {
			body = map[string]any{}
		}
		r := studio.Do(t, c.user(creator), method, fill.Replace(path), body, nil)
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("relayed %s during the outage: %s, want 503", route, r)
			continue
		}
		requireErrorBody(t, r, nil)
	}

	proxy.Restore()
	testenv.WaitFor(t, 10*time.Second, "ml_studio serving again after cerberus came back", func() error {
		if r := studio.Call(t, c.user(creator), get, "/experiments/get", probe); r.Status != http.StatusOK {
			return &statusError{r}
		}
		return nil
	})
	if code, body := readyz(t, studio); code != http.StatusOK {
		t.Errorf("/readyz after the outage: %d %v", code, body)
	}
}

type statusError struct{ r *apitest.Response }

func (e *statusError) Error() string { return e.r.String() }

// TestMLflowOutageIsBadGateway: with MLflow unreachable every call is a
// 502 saying so; when MLflow is back the same ml_studio serves again.
func TestMLflowOutageIsBadGateway(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	proxy := testenv.NewProxy(t, hostOf(t, c.st.MLflowURL))
	noRetry := 0
	studio := c.st.NewStudio(t, apitest.Options{MLflowURL: "http://" + proxy.Addr(), Retries: &noRetry})
	routes := matrixRoutes()
	fixtures := outageFixtures(t, c, routes)
	probe := map[string]any{"experiment_id": fixtures[0].ExpID}
	studio.MustCall(t, c.user(creator), get, "/experiments/get", probe)

	proxy.Cut()
	requireOutage(t, c, studio, routes, fixtures, http.StatusBadGateway, "MLflow")
	code, body := readyz(t, studio)
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusServiceUnavailable || checks["mlflow"] == "ok" || checks["cerberus"] != "ok" {
		t.Errorf("/readyz without MLflow: %d %v, want 503 naming mlflow only", code, body)
	}

	proxy.Restore()
	testenv.WaitFor(t, 10*time.Second, "ml_studio serving again after MLflow came back", func() error {
		if r := studio.Call(t, c.user(creator), get, "/experiments/get", probe); r.Status != http.StatusOK {
			return &statusError{r}
		}
		return nil
	})
}

// TestMLflowErrorsPassThrough: MLflow's own error answers reach the caller
// as MLflow wrote them.
func TestMLflowErrorsPassThrough(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	alice := c.user(creator)
	unknownRun := strings.Repeat("0", 20) + testenv.RandomSuffix()
	direct := c.st.MLflow(t, get, "/runs/get", map[string]any{"run_id": unknownRun})
	if direct.Status != http.StatusNotFound {
		t.Fatalf("MLflow itself: %s, want 404", direct)
	}
	for _, tc := range []struct {
		method, path string
		params       map[string]any
	}{
		{get, "/runs/get", map[string]any{"run_id": unknownRun}},
		{post, "/runs/set-tag", map[string]any{"run_id": unknownRun, "key": "k", "value": "v"}},
		{get, "/artifacts/list", map[string]any{"run_id": unknownRun}},
		{get, "/artifacts/download", map[string]any{"run_id": unknownRun, "path": "a.txt"}},
	} {
		t.Run("unknown run "+tc.path, func(t *testing.T) {
			r := c.studio.Call(t, alice, tc.method, tc.path, tc.params)
			if r.Status != http.StatusNotFound || !bytes.Equal(r.Body, direct.Body) {
				t.Errorf("%s\nwant MLflow's own 404: %s", r, direct.Body)
			}
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	// A filter MLflow refuses with a message of its own (one naming no
	// Python set, whose order changes from one MLflow worker to another).
	badFilter := "tags.owner = unquoted"
	for _, tc := range []struct {
		method, path, mlflowPath string
	}{
		{post, "/experiments/search", "/experiments/search"},
		{get, "/models/search", "/registered-models/search"},
		{get, "/models/versions/search", "/model-versions/search"},
	} {
		t.Run("bad filter "+tc.path, func(t *testing.T) {
			r := c.studio.Call(t, alice, tc.method, tc.path, map[string]any{"filter": badFilter})
			want := c.st.MLflow(t, tc.method, tc.mlflowPath, map[string]any{"filter": badFilter, "max_results": 10})
			if want.Status != http.StatusBadRequest || !strings.Contains(string(want.Body), "INVALID_PARAMETER_VALUE") {
				t.Fatalf("MLflow itself: %s, want 400 INVALID_PARAMETER_VALUE", want)
			}
			if r.Status != http.StatusBadRequest || !bytes.Equal(r.Body, want.Body) {
				t.Errorf("%s\nwant MLflow's own answer: %s", r, want)
			}
		})
	}
	t.Run("bad filter /runs/search", func(t *testing.T) {
		fx := newFixture(t, c)
		params := map[string]any{"experiment_ids": []string{fx.ExpID}, "filter": badFilter}
		r := c.studio.Call(t, alice, post, "/runs/search", params)
		want := c.st.MLflow(t, post, "/runs/search", params)
		if r.Status != http.StatusBadRequest || !bytes.Equal(r.Body, want.Body) {
			t.Errorf("%s\nwant MLflow's own answer: %s", r, want)
		}
	})
}

// TestRevocation: with a decision cache of 1 s a revoked user is refused
// within that second; without a cache, on the very next call. Both kinds of
// check are covered: one element (experiments/get, Require) and a filtered
// list (runs/search, Allowed), which share the cache.
func TestRevocation(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	type check struct {
		name string
		// passes makes the call and reports whether the caller still sees
		// the experiment: a 200 for get, a run in the answer for search.
		passes func(t *testing.T, studio *apitest.Studio, u *apitest.User) bool
	}
	checks := []check{
		{"experiments/get", func(t *testing.T, studio *apitest.Studio, u *apitest.User) bool {
			r := studio.Call(t, u, get, "/experiments/get", map[string]any{"experiment_id": fx.ExpID})
			if r.Status != http.StatusOK && r.Status != http.StatusForbidden {
				t.Fatalf("%s, want 200 or 403", r)
			}
			return r.Status == http.StatusOK
		}},
		{"runs/search", func(t *testing.T, studio *apitest.Studio, u *apitest.User) bool {
			r := studio.MustCall(t, u, post, "/runs/search", map[string]any{"experiment_ids": []string{fx.ExpID}})
			return listLength(t, r, "runs") > 0
		}},
	}

	for _, ck := range checks {
		t.Run("cache 1s/"+ck.name, func(t *testing.T) {
			const ttl = time.Second
			studio := c.st.NewStudio(t, apitest.Options{DecisionCache: ttl})
			u := c.st.NewUser(t, "revoked")
			c.st.Grant(t, fx.experimentElement, "read", u)
			if !ck.passes(t, studio, u) {
				t.Fatal("refused before the revocation")
			}
			cached := time.Now() // the decision entered the cache before this
			c.st.Revoke(t, fx.experimentElement, "read", u)
			revoked := time.Now()
			// The answer is cached: the call right after the revocation still
			// passes (this is what the TTL bounds).
			if !ck.passes(t, studio, u) && time.Since(cached) < ttl/2 {
				t.Error("no decision cache at work: refused right after the revocation")
			}
			var lastAllowed time.Time // when the last call that passed was sent
			for {
				sent := time.Now()
				if !ck.passes(t, studio, u) {
					break
				}
				lastAllowed = sent
				if time.Since(revoked) > 3*time.Second {
					t.Fatalf("still allowed %s after the revocation", time.Since(revoked))
				}
				time.Sleep(20 * time.Millisecond)
			}
			// No call sent more than the TTL after the decision was cached passed
			// (measured at sending, so slow answers under -race do not count).
			if late := lastAllowed.Sub(cached); late > ttl {
				t.Errorf("a call sent %s after the decision was cached still passed; want refusals after %s", late, ttl)
			}
		})
	}

	t.Run("cache off", func(t *testing.T) {
		u := c.st.NewUser(t, "revoked")
		c.st.Grant(t, fx.experimentElement, "read", u)
		for _, ck := range checks {
			if !ck.passes(t, c.studio, u) {
				t.Fatalf("%s refused before the revocation", ck.name)
			}
		}
		search := map[string]any{"filter": "name = '" + fx.ExpName + "'"}
		if n := listLength(t, c.studio.MustCall(t, u, post, "/experiments/search", search), "experiments"); n != 1 {
			t.Fatalf("search before the revocation: %d experiments, want 1", n)
		}
		c.st.Revoke(t, fx.experimentElement, "read", u)
		for _, ck := range checks {
			if ck.passes(t, c.studio, u) {
				t.Errorf("%s: first call after the revocation passed", ck.name)
			}
		}
		if n := listLength(t, c.studio.MustCall(t, u, post, "/experiments/search", search), "experiments"); n != 0 {
			t.Errorf("search after the revocation: %d experiments, want 0", n)
		}
	})
}
