package api_test

import (
	"bytes"
	"maps"
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

// TestRevocation: with the decision cache on (its production setting), a
// grant or a revocation made through ml_studio is honoured on the very next
// call, and one made straight at cerberus within a poll of its access
// revision (under a second); without a cache, on the very next call. Every
// kind of check is covered: one element (experiments/get, Require), a
// filtered list (runs/search, Allowed, sharing Require's cache) and a
// readable set (experiments/search, Readable).
func TestRevocation(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	fx := newFixture(t, c)
	type check struct {
		name string
		// passes makes the call and reports whether the caller sees the
		// experiment: a 200 for get, a run or the experiment in the answer
		// for the searches.
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
		{"experiments/search", func(t *testing.T, studio *apitest.Studio, u *apitest.User) bool {
			r := studio.MustCall(t, u, post, "/experiments/search", map[string]any{"filter": "name = '" + fx.ExpName + "'"})
			return listLength(t, r, "experiments") > 0
		}},
	}
	grant := map[string]string{"element": fx.experimentElement, "operation": "read", "effect": "allow"}
	relay := func(t *testing.T, studio *apitest.Studio, path string, u *apitest.User, want int) {
		t.Helper()
		body := maps.Clone(grant)
		body["user"] = u.Name
		if r := studio.Do(t, c.st.Admin, post, path, body, nil); r.Status != want {
			t.Fatalf("%s through ml_studio: %s, want %d", path, r, want)
		}
	}

	t.Run("cached, changed through ml_studio: the very next call", func(t *testing.T) {
		studio := c.st.NewStudio(t, apitest.Options{DecisionCache: 2 * time.Second})
		u := c.st.NewUser(t, "propagated")
		for round := range 3 {
			for _, ck := range checks {
				for range 2 { // the second from the cache
					if ck.passes(t, studio, u) {
						t.Fatalf("round %d, %s: passes before the grant", round, ck.name)
					}
				}
			}
			relay(t, studio, "/api/grants", u, http.StatusCreated)
			for _, ck := range checks {
				if !ck.passes(t, studio, u) {
					t.Errorf("round %d, %s: the first call after the grant was refused", round, ck.name)
				}
				if !ck.passes(t, studio, u) {
					t.Errorf("round %d, %s: the second call after the grant was refused", round, ck.name)
				}
			}
			relay(t, studio, "/api/grants/revoke", u, http.StatusNoContent)
			for _, ck := range checks {
				if ck.passes(t, studio, u) {
					t.Errorf("round %d, %s: the first call after the revocation passed", round, ck.name)
				}
			}
		}
	})

	for _, ck := range checks {
		t.Run("cached, changed at cerberus: within a second/"+ck.name, func(t *testing.T) {
			const goal = time.Second
			studio := c.st.NewStudio(t, apitest.Options{DecisionCache: 2 * time.Second})
			u := c.st.NewUser(t, "revoked")
			// until calls ck until it answers want and says when the last
			// call answering otherwise was sent (zero: none did).
			until := func(want bool, since time.Time) time.Time {
				t.Helper()
				var last time.Time
				for {
					sent := time.Now()
					if ck.passes(t, studio, u) == want {
						return last
					}
					last = sent
					if time.Since(since) > 5*time.Second {
						t.Fatalf("still %v %s after the change", !want, time.Since(since))
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			if ck.passes(t, studio, u) {
				t.Fatal("passes before the grant")
			}
			granted := time.Now()
			c.st.Grant(t, fx.experimentElement, "read", u)
			if late := until(true, granted); late.Sub(granted) > goal {
				t.Errorf("a call sent %s after the grant was still refused; want under %s", late.Sub(granted), goal)
			}
			revoked := time.Now()
			c.st.Revoke(t, fx.experimentElement, "read", u)
			if late := until(false, revoked); late.Sub(revoked) > goal {
				t.Errorf("a call sent %s after the revocation still passed; want under %s", late.Sub(revoked), goal)
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
