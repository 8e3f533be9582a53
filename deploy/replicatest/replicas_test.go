//go:build replicas && linux

package replicatest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/apicall"
	"github.com/ml-studio/ml-studio/deploy/servers"
	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// propagationGoal is issue #16's: an access change made through one
// replica is honoured through every other within a second.
const propagationGoal = time.Second

// TestMain removes the containers of the testcontainers path, if any.
func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// replicas is the running set: two of each service and their round-robins.
type replicas struct {
	root       string
	stack      *servers.Stack
	mlflowURL  string
	cerberus   [2]*servers.Service
	studios    [2]*servers.Service
	cerberusRR *servers.RoundRobin
	studioRR   *servers.RoundRobin
}

func TestReplicas(t *testing.T) {
	rs := start(t)
	t.Run("sessions and tokens", rs.sessionsAndTokens)
	t.Run("access changes", rs.accessChanges)
	t.Run("read your writes", rs.readYourWrites)
	t.Run("suites", func(t *testing.T) {
		t.Run("authorization matrix", func(t *testing.T) { t.Parallel(); rs.matrix(t) })
		t.Run("stock client", func(t *testing.T) { t.Parallel(); rs.stockClient(t) })
	})
}

func start(t *testing.T) *replicas {
	t.Helper()
	root, err := servers.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "replicatest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs kept in %s", dir)
			return
		}
		_ = os.RemoveAll(dir)
	})
	rs := &replicas{root: root, mlflowURL: strings.TrimRight(testenv.MLflowURL(t), "/")}
	dsn := testenv.NewMySQLDatabase(t)
	bins, err := servers.Build(t.Context(), root, dir)
	if err != nil {
		t.Fatal(err)
	}
	rs.stack = &servers.Stack{Dir: dir, Bin: bins, DSN: dsn, MLflowURL: rs.mlflowURL,
		AdminPassword: "admin-" + apicall.Random(), Registrar: "registrar-" + apicall.Random()}

	// Both cerberus start at once on the empty database, as the replicas of
	// a new installation do: they take turns migrating, one makes the admin.
	for i := range rs.cerberus {
		c, err := rs.stack.Cerberus(fmt.Sprintf("cerberus-%d", i+1))
		rs.cerberus[i] = launch(t, c, err)
	}
	rs.ready(t, rs.cerberus[:])
	if rs.cerberusRR, err = servers.NewRoundRobin(rs.cerberus[0].URL, rs.cerberus[1].URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.cerberusRR.Close() })
	// ml_studio with its production settings: decisions held up to 2 s,
	// the access revision polled every 100 ms, through the round-robin.
	for i := range rs.studios {
		s, err := rs.stack.Studio(fmt.Sprintf("ml_studio-%d", i+1), rs.cerberusRR.URL)
		rs.studios[i] = launch(t, s, err)
	}
	rs.ready(t, rs.studios[:])
	if rs.studioRR, err = servers.NewRoundRobin(rs.studios[0].URL, rs.studios[1].URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rs.studioRR.Close() })
	return rs
}

// launch starts a service (not waiting for it) and stops it when the test ends.
func launch(t *testing.T, s *servers.Service, err error) *servers.Service {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if code, err := s.Stop(15 * time.Second); err != nil || code != 0 {
			t.Errorf("%s: exit %d after SIGTERM (%v)", s.Name, code, err)
		}
	})
	return s
}

func (rs *replicas) ready(t *testing.T, list []*servers.Service) {
	t.Helper()
	for _, s := range list {
		if err := servers.WaitOK(t.Context(), s.URL+"/readyz", 60*time.Second, s.Proc); err != nil {
			t.Fatal(err)
		}
	}
}

// ---- what replicas keep -------------------------------------------------------

// target is one replica as a client reaches it.
type target struct{ name, url string }

func (rs *replicas) cerberusTargets() []target {
	return []target{{"cerberus-1", rs.cerberus[0].URL}, {"cerberus-2", rs.cerberus[1].URL}}
}

func (rs *replicas) studioTargets() []target {
	return []target{{"ml_studio-1", rs.studios[0].URL}, {"ml_studio-2", rs.studios[1].URL}}
}

// sessionsAndTokens: a session or an API token made on one replica is
// known to every other; signing out or revoking on one ends it on every
// other within the goal.
func (rs *replicas) sessionsAndTokens(t *testing.T) {
	c1, c2 := rs.cerberus[0].URL, rs.cerberus[1].URL
	s1, s2 := rs.studios[0].URL, rs.studios[1].URL
	admin := apicall.Login(t, hc, c1, "admin", rs.stack.AdminPassword)
	name, password := "carol-"+apicall.Random()[:8], "pw-"+apicall.Random()
	apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, c2+"/api/users", admin, map[string]string{"username": name, "password": password}))
	session := apicall.Login(t, hc, s1, name, password) // relayed by ml_studio-1
	var tok struct {
		ID    uint64 `json:"id"`
		Token string `json:"token"`
	}
	apicall.Decode(t, apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, s2+"/api/tokens", session, map[string]string{"name": "replicas"})), &tok)

	everywhere := append(append(rs.cerberusTargets(), rs.studioTargets()...), target{"the round-robin", rs.studioRR.URL})
	for _, secret := range []string{session, tok.Token} {
		for _, tg := range everywhere {
			r := apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, tg.url+"/api/auth/me", secret, nil))
			if !strings.Contains(string(r.Body), `"`+name+`"`) {
				t.Errorf("%s: %s is not %s", tg.name, r, name)
			}
			// ml_studio's MLflow surface: authenticated with the decision.
			if strings.HasPrefix(tg.name, "ml_studio") {
				apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, tg.url+"/api/2.0/mlflow/experiments/search?max_results=1", secret, nil))
			}
		}
	}

	// The token revoked on cerberus-1, the session signed out on
	// cerberus-2: each is refused everywhere else within the goal, and
	// the other credential keeps working.
	changes := []struct {
		what    string
		secret  string
		other   string
		change  func() apicall.Reply
		through []target
	}{
		{"the API token revoked on cerberus-1", tok.Token, session,
			func() apicall.Reply {
				return apicall.Must(t, http.StatusNoContent, apicall.Do(t, hc, "", http.MethodDelete, fmt.Sprintf("%s/api/tokens/%d", c1, tok.ID), session, nil))
			},
			[]target{{"cerberus-2", c2}, {"ml_studio-1", s1}, {"ml_studio-2", s2}}},
		{"the session signed out on cerberus-2", session, "",
			func() apicall.Reply {
				return apicall.Must(t, http.StatusNoContent, apicall.Do(t, hc, "", http.MethodPost, c2+"/api/auth/logout", session, nil))
			},
			[]target{{"cerberus-1", c1}, {"ml_studio-1", s1}, {"ml_studio-2", s2}}},
	}
	for _, ch := range changes {
		t.Run(ch.what, func(t *testing.T) {
			// Each replica answers the credential first, so that what it
			// holds in memory is what the change must undo.
			for _, tg := range ch.through {
				apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, probePath(tg), ch.secret, nil))
				apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, probePath(tg), ch.secret, nil))
			}
			ch.change()
			at := time.Now()
			for _, tg := range ch.through {
				took := waitStatus(t, probePath(tg), ch.secret, http.StatusUnauthorized, at)
				t.Logf("%s: refused by %s (answered %s after the change)", ch.what, tg.name, took.Round(time.Millisecond))
			}
			if ch.other != "" {
				for _, tg := range everywhere {
					apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, tg.url+"/api/auth/me", ch.other, nil))
				}
			}
		})
	}
}

// probePath is the authenticated call made on a replica: cerberus's own
// /api/auth/me, or an MLflow call through ml_studio (its decision).
func probePath(tg target) string {
	if strings.HasPrefix(tg.name, "cerberus") {
		return tg.url + "/api/auth/me"
	}
	return tg.url + "/api/2.0/mlflow/experiments/search?max_results=1"
}

// accessChanges: a grant given through cerberus-1 is honoured by
// cerberus-2 and by both ml_studio within the goal, and a revocation
// through cerberus-2 likewise by cerberus-1 and both ml_studio; once a
// replica honours a change, no later request goes back on it.
func (rs *replicas) accessChanges(t *testing.T) {
	c1, c2 := rs.cerberus[0].URL, rs.cerberus[1].URL
	admin := apicall.Login(t, hc, c1, "admin", rs.stack.AdminPassword)
	alice, bob := rs.newUser(t, admin, "alice"), rs.newUser(t, admin, "bob")
	apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, c2+"/api/grants", admin,
		map[string]string{"element": "project:default", "operation": "create", "user": alice.name}))
	expName := "replicas-" + apicall.Random()
	var exp struct {
		ID string `json:"experiment_id"`
	}
	// alice's create goes through one ml_studio and one cerberus; her
	// experiment is hers on every replica.
	var created apicall.Reply
	waitFor(t, "alice's create on project:default reaching the replicas", func() bool {
		created = apicall.Do(t, hc, "", http.MethodPost, rs.studioRR.URL+"/api/2.0/mlflow/experiments/create", alice.token, map[string]string{"name": expName})
		return created.Status == http.StatusOK
	})
	apicall.Decode(t, created, &exp)
	element := "experiment:" + exp.ID
	getPath := "/api/2.0/mlflow/experiments/get?experiment_id=" + exp.ID
	for _, tg := range rs.studioTargets() {
		waitStatus(t, tg.url+getPath, alice.token, http.StatusOK, time.Now())
	}

	decide := func(base string) bool {
		var d struct {
			Allowed bool `json:"allowed"`
		}
		apicall.Decode(t, apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodPost, base+"/api/authorize", "",
			map[string]string{"token": bob.token, "component": "ml_studio", "element": element, "operation": "read"})), &d)
		return d.Allowed
	}
	// bob's answer on a replica: true when it lets him read alice's experiment.
	bobReads := func(t *testing.T, tg target) bool {
		if strings.HasPrefix(tg.name, "cerberus") {
			return decide(tg.url)
		}
		r := apicall.Do(t, hc, "", http.MethodGet, tg.url+getPath, bob.token, nil)
		switch r.Status {
		case http.StatusOK:
			if !strings.Contains(string(r.Body), expName) {
				t.Fatalf("%s: %s is not alice's experiment", tg.name, r)
			}
			return true
		case http.StatusForbidden:
			return false
		}
		t.Fatalf("%s: %s, want 200 or 403", tg.name, r)
		return false
	}
	steps := []struct {
		what    string
		path    string // on cerberus, as the admin
		via     string
		want    bool
		through []target
	}{
		{"read granted through cerberus-1", "/api/grants", c1, true, []target{{"cerberus-2", c2}, rs.studioTargets()[0], rs.studioTargets()[1]}},
		{"read revoked through cerberus-2", "/api/grants/revoke", c2, false, []target{{"cerberus-1", c1}, rs.studioTargets()[0], rs.studioTargets()[1]}},
	}
	for _, st := range steps {
		t.Run(st.what, func(t *testing.T) {
			// Every replica answers first (a few times: each ml_studio asks
			// through the round-robin, so most likely both cerberus), so
			// each holds the answer the change must replace.
			for _, tg := range st.through {
				for range 4 {
					if got := bobReads(t, tg); got == st.want {
						t.Fatalf("%s: bob's read is already %v before the change", tg.name, got)
					}
				}
			}
			r := apicall.Do(t, hc, "", http.MethodPost, st.via+st.path, admin, map[string]string{"element": element, "operation": "read", "user": bob.name})
			if r.Status != http.StatusCreated && r.Status != http.StatusNoContent {
				t.Fatalf("%s", r)
			}
			at := time.Now()
			for _, tg := range st.through {
				var took time.Duration
				for {
					sent := time.Now()
					if bobReads(t, tg) == st.want {
						took = time.Since(at)
						break
					}
					if sent.Sub(at) > propagationGoal {
						t.Fatalf("%s: a request sent %s after %s was not honoured", tg.name, sent.Sub(at).Round(time.Millisecond), st.what)
					}
					time.Sleep(5 * time.Millisecond)
				}
				t.Logf("%s: honoured by %s (answered %s after the change)", st.what, tg.name, took.Round(time.Millisecond))
			}
			// Once honoured, it stays: every request through the
			// round-robins (both ml_studio, both cerberus) agrees.
			for range 20 {
				if got := bobReads(t, target{"the ml_studio round-robin", rs.studioRR.URL}); got != st.want {
					t.Fatalf("the ml_studio round-robin went back on %q", st.what)
				}
				if got := decide(rs.cerberusRR.URL); got != st.want {
					t.Fatalf("the cerberus round-robin went back on %q", st.what)
				}
			}
			// Each ml_studio says on /metrics which revision it has heard of.
			latest := r.Header.Get("X-Access-Revision-Latest")
			for _, tg := range rs.studioTargets() {
				m := apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodGet, tg.url+"/metrics", "", nil))
				if got := metric(string(m.Body), "ml_studio_access_revision"); got < atoi(t, latest) {
					t.Errorf("%s: ml_studio_access_revision %d, behind the change's %s", tg.name, got, latest)
				}
			}
		})
	}
}

// readYourWrites: what a client creates through one ml_studio it uses at
// once through the other, as the stock client does through a load
// balancer (create_experiment then start_run; register_model's model then
// its version): each replica's cerberus asked may not have read the change
// log since.
func (rs *replicas) readYourWrites(t *testing.T) {
	admin := apicall.Login(t, hc, rs.cerberus[0].URL, "admin", rs.stack.AdminPassword)
	alice := rs.newUser(t, admin, "alice")
	apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, rs.cerberus[0].URL+"/api/grants", admin,
		map[string]string{"element": "project:default", "operation": "create", "user": alice.name}))
	s1, s2 := rs.studios[0].URL, rs.studios[1].URL
	refused := 0
	for i := range 20 {
		via, then := s1, s2
		if i%2 == 1 {
			via, then = s2, s1
		}
		var exp struct {
			ID string `json:"experiment_id"`
		}
		apicall.Decode(t, apicall.Must(t, http.StatusOK, apicall.Do(t, hc, "", http.MethodPost, via+"/api/2.0/mlflow/experiments/create", alice.token,
			map[string]string{"name": "ryw-" + apicall.Random()})), &exp)
		r := apicall.Do(t, hc, "", http.MethodPost, then+"/api/2.0/mlflow/runs/create", alice.token, map[string]any{"experiment_id": exp.ID})
		if r.Status != http.StatusOK {
			refused++
			t.Errorf("experiment %s created through one ml_studio, a run in it through the other: %s", exp.ID, r)
		}
	}
	t.Logf("%d of 20 runs refused right after their experiment's creation through the other replica", refused)
}

type account struct{ name, token string }

// newUser makes a user and an API token of theirs on the cerberus round-robin.
func (rs *replicas) newUser(t *testing.T, admin, prefix string) account {
	t.Helper()
	a := account{name: prefix + "-" + apicall.Random()[:8]}
	password := "pw-" + apicall.Random()
	apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, rs.cerberusRR.URL+"/api/users", admin, map[string]string{"username": a.name, "password": password}))
	session := apicall.Login(t, hc, rs.cerberusRR.URL, a.name, password)
	var tok struct {
		Token string `json:"token"`
	}
	apicall.Decode(t, apicall.Must(t, http.StatusCreated, apicall.Do(t, hc, "", http.MethodPost, rs.cerberusRR.URL+"/api/tokens", session, map[string]string{"name": "replicas"})), &tok)
	a.token = tok.Token
	return a
}

// ---- the suites, through the round-robins --------------------------------------

// suiteEnv points apitest (Go) and conftest.py (pytest) at the replicas.
func (rs *replicas) suiteEnv() []string {
	return append(os.Environ(),
		"ML_STUDIO_TEST_STUDIO_URL="+rs.studioRR.URL,
		"ML_STUDIO_TEST_CERBERUS_URL="+rs.cerberusRR.URL,
		"ML_STUDIO_TEST_ADMIN_PASSWORD="+rs.stack.AdminPassword,
		"ML_STUDIO_TEST_REGISTRAR_SECRET="+rs.stack.Registrar,
		"ML_STUDIO_TEST_CERBERUS_REPLICAS="+rs.cerberus[0].URL+","+rs.cerberus[1].URL,
		"ML_STUDIO_TEST_STUDIO_REPLICAS="+rs.studios[0].URL+","+rs.studios[1].URL,
		"ML_STUDIO_TEST_MLFLOW_URL="+rs.mlflowURL,
	)
}

// matrixTests are ml_studio's tests that run against an external stack.
var matrixTests = []string{"TestAuthorizationMatrix", "TestAccountRoutesRelayToCerberus"}

func (rs *replicas) matrix(t *testing.T) {
	// -race as make go-test builds it, so that its compiled packages are reused.
	cmd := exec.CommandContext(t.Context(), "go", "test", "-race", "-count=1", "-v",
		"-run", "^("+strings.Join(matrixTests, "|")+")$", "./services/ml_studio/internal/api/")
	cmd.Dir, cmd.Env = rs.root, rs.suiteEnv()
	began := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the authorization matrix through the replicas: %v\n%s", err, failures(out))
	}
	for _, name := range matrixTests {
		if !bytes.Contains(out, []byte("--- PASS: "+name+" ")) {
			t.Errorf("%s did not pass (skipped or not run):\n%s", name, tail(out, 40))
		}
	}
	if n := bytes.Count(out, []byte("--- SKIP")); n > 0 {
		t.Errorf("%d tests skipped through the replicas:\n%s", n, failures(out))
	}
	t.Logf("%s through the replicas: %d subtests passed in %s", strings.Join(matrixTests, ", "),
		bytes.Count(out, []byte("--- PASS")), time.Since(began).Round(time.Second))
}

var pytestSummary = regexp.MustCompile(`(?m)^=* ?(\d+) passed(.*) in [0-9.]+s`)

func (rs *replicas) stockClient(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), "deploy/local/pytest-env.sh", "run", "test_stock_client.py", "-q", "-rfEs")
	cmd.Dir, cmd.Env = rs.root, rs.suiteEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the stock client's two-user tests through the replicas: %v\n%s", err, tail(out, 80))
	}
	m := pytestSummary.FindSubmatch(out)
	if m == nil || bytes.Contains(m[2], []byte("skipped")) {
		t.Fatalf("the stock client's tests did not all pass through the replicas:\n%s", tail(out, 40))
	}
	t.Logf("tests/python/test_stock_client.py through the replicas: %s", bytes.TrimSpace(m[0]))
}

// failures is the lines of go test's output about failures.
func failures(out []byte) string {
	var keep []string
	for _, l := range strings.Split(string(out), "\n") {
		if !strings.Contains(l, "--- PASS") && !strings.HasPrefix(strings.TrimSpace(l), "=== ") {
			keep = append(keep, l)
		}
	}
	if len(keep) > 200 {
		keep = append(keep[:200], fmt.Sprintf("… %d more lines", len(keep)-200))
	}
	return strings.Join(keep, "\n")
}

func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ---- HTTP ----------------------------------------------------------------------

var hc = &http.Client{Timeout: 30 * time.Second}

// waitStatus polls url until it answers want, failing the test when a
// request sent more than the goal after since does not; it returns when,
// after since, the answer wanted came.
func waitStatus(t *testing.T, url, token string, want int, since time.Time) time.Duration {
	t.Helper()
	for {
		sent := time.Now()
		r := apicall.Do(t, hc, "", http.MethodGet, url, token, nil)
		if r.Status == want {
			return time.Since(since)
		}
		if sent.Sub(since) > propagationGoal {
			t.Fatalf("%s: sent %s after the change, answered %d, want %d", url, sent.Sub(since).Round(time.Millisecond), r.Status, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitFor polls cond for up to the goal.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(propagationGoal)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, propagationGoal)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// metric reads an unlabelled metric of Prometheus's text format (-1: absent).
func metric(text, name string) int64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err == nil {
				return int64(f)
			}
		}
	}
	return -1
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatalf("access revision %q: %v", s, err)
	}
	return n
}
