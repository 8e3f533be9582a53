package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// searchWorld is three users who each create every third object of a set
// with a common name prefix, then see some of the others' through grants.
type searchWorld struct {
	c      *cast
	prefix string
	users  []*apitest.User
}

func newSearchWorld(t *testing.T, c *cast) *searchWorld {
	t.Helper()
	w := &searchWorld{c: c, prefix: "it-search-" + testenv.RandomSuffix()}
	for i := range 3 {
		u := c.st.NewUser(t, fmt.Sprintf("searcher%d", i))
		c.st.Grant(t, "project:default", "create", u)
		w.users = append(w.users, u)
	}
	return w
}

// grantsOf is the interleaved visibility of object i: beyond its creator
// (user i%3), user (i+1)%3 reads every 4th and user (i+2)%3 may edit every
// 5th.
func grantsOf(i int) map[int]string {
	g := map[int]string{}
	if i%4 == 0 {
		g[(i+1)%3] = "read"
	}
	if i%5 == 0 {
		g[(i+2)%3] = "edit"
	}
	return g
}

// create makes n objects through ml_studio, user i%3 creating object i,
// eight at a time, grants them as grantsOf says, and returns for each user
// the set of objects (by key) they may read.
func (w *searchWorld) create(t *testing.T, n int, newObject func(u *apitest.User, i int) (key, element string, err error)) (keys []string, visible []map[string]bool) {
	t.Helper()
	keys = make([]string, n)
	elements := make([]string, n)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	var failed sync.Once
	parallel(8, idx, func(_ int, i int) {
		key, element, err := newObject(w.users[i%3], i)
		if err != nil {
			failed.Do(func() { t.Errorf("create object %d: %v", i, err) })
			return
		}
		keys[i], elements[i] = key, element
	})
	if t.Failed() {
		t.FailNow()
	}
	type grant struct {
		element, op string
		user        *apitest.User
	}
	var grants []grant
	for i := range n {
		for u, op := range grantsOf(i) {
			grants = append(grants, grant{elements[i], op, w.users[u]})
		}
	}
	parallel(8, grants, func(_ int, g grant) {
		r, err := w.c.st.Cerberus(w.c.st.Admin, http.MethodPost, "/api/grants", map[string]string{"element": g.element, "operation": g.op, "user": g.user.Name})
		if err != nil || r.Status != http.StatusCreated {
			failed.Do(func() { t.Errorf("grant: %v %v", r, err) })
		}
	})
	if t.Failed() {
		t.FailNow()
	}
	visible = make([]map[string]bool, 3)
	for u := range 3 {
		visible[u] = map[string]bool{}
	}
	for i, key := range keys {
		visible[i%3][key] = true
		for u := range grantsOf(i) {
			visible[u][key] = true
		}
	}
	return keys, visible
}

// pages walks a filtered search to its end: every page but the last is
// full, and nothing comes twice. It returns every key seen.
func pages(t *testing.T, studio *apitest.Studio, u *apitest.User, method, path string, params map[string]any, listKey, idKey string, size int) []string {
	t.Helper()
	var seen []string
	token := ""
	for page := 0; ; page++ {
		p := map[string]any{"max_results": size}
		for k, v := range params {
			p[k] = v
		}
		if token != "" {
			p["page_token"] = token
		}
		r := studio.MustCall(t, u, method, path, p)
		var body map[string]json.RawMessage
		r.Decode(t, &body)
		var items []map[string]any
		if raw, ok := body[listKey]; ok {
			if err := json.Unmarshal(raw, &items); err != nil {
				t.Fatalf("%s: %q is not a list", r, listKey)
			}
		}
		token = ""
		if raw, ok := body["next_page_token"]; ok {
			_ = json.Unmarshal(raw, &token)
		}
		if token != "" && len(items) != size {
			t.Fatalf("as %s, page %d of %d: %d items and a next page; every page but the last must be full", u, page, size, len(items))
		}
		if len(items) > size {
			t.Fatalf("as %s, page %d: %d items, more than max_results %d", u, page, len(items), size)
		}
		for _, it := range items {
			key, _ := it[idKey].(string)
			if slices.Contains(seen, key) {
				t.Fatalf("as %s, page %d of %d: %q came twice", u, page, size, key)
			}
			seen = append(seen, key)
		}
		if token == "" {
			return seen
		}
		if page > 1000 {
			t.Fatalf("as %s: no last page after 1000 pages", u)
		}
	}
}

func requireSet(t *testing.T, what string, got []string, want map[string]bool) {
	t.Helper()
	var w []string
	for k := range want {
		w = append(w, k)
	}
	sort.Strings(w)
	g := slices.Clone(got)
	sort.Strings(g)
	if !slices.Equal(g, w) {
		missing, extra := 0, 0
		for _, k := range w {
			if !slices.Contains(g, k) {
				missing++
			}
		}
		for _, k := range g {
			if !want[k] {
				extra++
			}
		}
		t.Errorf("%s: %d items, want %d (%d missing, %d not readable)", what, len(g), len(w), missing, extra)
	}
}

// TestSearchExperimentsPagesTheReadableSet: 250 experiments made by three
// users with interleaved grants; every user pages through exactly what they
// may read, in full pages, nothing repeated, at 7 and 100 a page.
func TestSearchExperimentsPagesTheReadableSet(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	w := newSearchWorld(t, c)
	_, visible := w.create(t, 250, func(u *apitest.User, i int) (string, string, error) {
		r, err := c.studio.SendAPI(u, post, "/experiments/create", map[string]any{"name": fmt.Sprintf("%s-%03d", w.prefix, i)})
		if err != nil {
			return "", "", err
		}
		var out struct {
			ID string `json:"experiment_id"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil || out.ID == "" {
			return "", "", fmt.Errorf("%s", r)
		}
		return out.ID, "experiment:" + out.ID, nil
	})
	filter := map[string]any{"filter": "name LIKE '" + w.prefix + "-%'"}
	everything := map[string]bool{}
	for _, v := range visible {
		for k := range v {
			everything[k] = true
		}
	}
	callers := append(slices.Clone(w.users), c.user(admin), c.user(nobody))
	wants := append(slices.Clone(visible), everything, map[string]bool{})
	for ci, u := range callers {
		for _, size := range []int{7, 100} {
			t.Run(fmt.Sprintf("%s/%d", u, size), func(t *testing.T) {
				got := pages(t, c.studio, u, post, "/experiments/search", filter, "experiments", "experiment_id", size)
				requireSet(t, "experiments", got, wants[ci])
			})
		}
	}
}

// TestSearchModelsPagesTheReadableSet: the same for 60 registered models,
// 7 a page.
func TestSearchModelsPagesTheReadableSet(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	w := newSearchWorld(t, c)
	_, visible := w.create(t, 60, func(u *apitest.User, i int) (string, string, error) {
		name := fmt.Sprintf("%s-%03d", w.prefix, i)
		r, err := c.studio.SendAPI(u, post, "/models/create", map[string]any{"name": name})
		if err != nil {
			return "", "", err
		}
		if r.Status != http.StatusOK {
			return "", "", fmt.Errorf("%s", r)
		}
		return name, "registered_model:" + name, nil
	})
	filter := map[string]any{"filter": "name LIKE '" + w.prefix + "-%'"}
	for ui, u := range w.users {
		for _, size := range []int{7, 100} {
			t.Run(fmt.Sprintf("%s/%d", u, size), func(t *testing.T) {
				got := pages(t, c.studio, u, get, "/models/search", filter, "registered_models", "name", size)
				requireSet(t, "models", got, visible[ui])
			})
		}
	}
	t.Run("nobody", func(t *testing.T) {
		got := pages(t, c.studio, c.user(nobody), get, "/models/search", filter, "registered_models", "name", 7)
		requireSet(t, "models", got, map[string]bool{})
	})
}

// TestSearchRunsOnlyInReadableExperiments: runs/search over six experiment
// ids of which each caller may read some returns exactly the runs of those,
// through MLflow's own pages.
func TestSearchRunsOnlyInReadableExperiments(t *testing.T) {
	t.Parallel()
	c := getCast(t)
	w := newSearchWorld(t, c)
	keys, visible := w.create(t, 6, func(u *apitest.User, i int) (string, string, error) {
		r, err := c.studio.SendAPI(u, post, "/experiments/create", map[string]any{"name": fmt.Sprintf("%s-%03d", w.prefix, i)})
		if err != nil {
			return "", "", err
		}
		var out struct {
			ID string `json:"experiment_id"`
		}
		if r.Status != http.StatusOK || json.Unmarshal(r.Body, &out) != nil {
			return "", "", fmt.Errorf("%s", r)
		}
		return out.ID, "experiment:" + out.ID, nil
	})
	runsOf := map[string][]string{}
	for _, exp := range keys {
		for j := range 3 {
			r := c.st.MustMLflow(t, post, "/runs/create", map[string]any{"experiment_id": exp, "run_name": fmt.Sprintf("r%d", j)})
			var out struct {
				Run struct {
					Info struct {
						RunID string `json:"run_id"`
					} `json:"info"`
				} `json:"run"`
			}
			r.Decode(t, &out)
			runsOf[exp] = append(runsOf[exp], out.Run.Info.RunID)
		}
	}
	runIDs := func(t *testing.T, u *apitest.User, size int) []string {
		var got []string
		token := ""
		for range 100 {
			p := map[string]any{"experiment_ids": keys, "max_results": size}
			if token != "" {
				p["page_token"] = token
			}
			var out struct {
				Runs []struct {
					Info struct {
						RunID string `json:"run_id"`
					} `json:"info"`
				} `json:"runs"`
				Next string `json:"next_page_token"`
			}
			c.studio.MustCall(t, u, post, "/runs/search", p).Decode(t, &out)
			for _, r := range out.Runs {
				got = append(got, r.Info.RunID)
			}
			if token = out.Next; token == "" {
				return got
			}
		}
		t.Fatal("no last page after 100")
		return nil
	}
	callers := append(slices.Clone(w.users), c.user(nobody))
	for ui, u := range callers {
		readable := map[string]bool{}
		for _, exp := range keys {
			if ui < len(visible) && visible[ui][exp] {
				for _, id := range runsOf[exp] {
					readable[id] = true
				}
			}
		}
		if ui < len(visible) && (len(visible[ui]) == 0 || len(visible[ui]) == len(keys)) {
			t.Fatalf("%s reads %d of %d experiments: the test needs some of each", u, len(visible[ui]), len(keys))
		}
		for _, size := range []int{2, 1000} {
			t.Run(fmt.Sprintf("%s/%d", u, size), func(t *testing.T) {
				got := runIDs(t, u, size)
				if len(slices.Compact(slices.Sorted(slices.Values(got)))) != len(got) {
					t.Errorf("a run came twice: %v", got)
				}
				requireSet(t, "runs", got, readable)
			})
		}
	}
}

// countingProxy relays to a real server and counts requests by path.
type countingProxy struct {
	URL   string
	mu    sync.Mutex
	paths map[string]int
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &countingProxy{paths: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.paths[r.URL.Path]++
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *countingProxy) count(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.paths[path]
}

// TestSearchRunsDecisionsAreCached: repeated runs/search over the same
// experiments asks the real cerberus once per decision-cache TTL, and on
// every call with the cache off, with the same answer either way. Not
// parallel: any access change elsewhere moves cerberus's access revision,
// which rightly empties the cache, and the count would depend on it.
func TestSearchRunsDecisionsAreCached(t *testing.T) {
	c := getCast(t)
	fx := newFixture(t, c)
	// fx's experiment is readable by the reader; the other id names no
	// experiment cerberus knows, so it is refused.
	ids := []string{fx.ExpID, "987654321"}
	const calls = 8
	tests := []struct {
		name string
		ttl  time.Duration
		want func(elapsed time.Duration) (lo, hi int) // batch calls expected
	}{
		{"cache off", 0, func(time.Duration) (int, int) { return calls, calls }},
		{"cache 5s", 5 * time.Second, func(elapsed time.Duration) (int, int) {
			// once, plus once per TTL the calls outlasted (slow runs under -race)
			return 1, 1 + int(elapsed/(5*time.Second))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newCountingProxy(t, c.st.CerberusURL)
			studio := c.st.NewStudio(t, apitest.Options{CerberusURL: proxy.URL, DecisionCache: tt.ttl})
			start := time.Now()
			for i := range calls {
				var out struct {
					Runs []struct {
						Info struct {
							RunID        string `json:"run_id"`
							ExperimentID string `json:"experiment_id"`
						} `json:"info"`
					} `json:"runs"`
				}
				studio.MustCall(t, c.user(reader), post, "/runs/search", map[string]any{"experiment_ids": ids}).Decode(t, &out)
				if len(out.Runs) != 1 || out.Runs[0].Info.RunID != fx.RunID {
					t.Fatalf("call %d: runs %+v, want only %s", i, out.Runs, fx.RunID)
				}
			}
			lo, hi := tt.want(time.Since(start))
			if n := proxy.count("/api/authorize/batch"); n < lo || n > hi {
				t.Errorf("%d runs/search asked cerberus /api/authorize/batch %d times, want %d to %d", calls, n, lo, hi)
			}
			if n := proxy.count("/api/authorize"); n != 0 {
				t.Errorf("runs/search asked cerberus /api/authorize %d times, want none", n)
			}
		})
	}
}
