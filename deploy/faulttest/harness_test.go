//go:build faults && linux

package faulttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/apicall"
	"github.com/ml-studio/ml-studio/deploy/servers"
)

// shared is what every test uses: the binaries, one private MariaDB and one
// private MLflow. Each test starts its own cerberus and ml_studio on them.
var shared struct {
	once  sync.Once
	err   error
	root  string
	dir   string
	stack *servers.Stack
	db    *servers.MariaDB
	mlf   *servers.MLflow
}

func TestMain(m *testing.M) {
	code := m.Run()
	ctx := context.Background()
	if shared.mlf != nil {
		if err := shared.mlf.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "stop the private MLflow:", err)
		}
	}
	if shared.db != nil {
		if err := shared.db.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "stop the private MariaDB:", err)
		}
	}
	if shared.dir != "" && code == 0 {
		_ = os.RemoveAll(shared.dir)
	} else if shared.dir != "" {
		fmt.Fprintln(os.Stderr, "logs kept in", shared.dir)
	}
	os.Exit(code)
}

// setUp starts the shared servers on first use; it fails (never skips) the
// test when they cannot start.
func setUp(t *testing.T) *servers.Stack {
	t.Helper()
	shared.once.Do(func() { shared.err = start() })
	if shared.err != nil {
		t.Fatalf("set up: %v", shared.err)
	}
	return shared.stack
}

func start() error {
	ctx := context.Background()
	root, err := servers.Root()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "faulttest-")
	if err != nil {
		return err
	}
	shared.root, shared.dir = root, dir
	bins, err := servers.Build(ctx, root, dir)
	if err != nil {
		return err
	}
	data := filepath.Join(dir, "data")
	port, err := servers.FreePort()
	if err != nil {
		return err
	}
	shared.db = servers.NewMariaDB(root, data, port)
	if err := shared.db.Start(ctx); err != nil {
		shared.db = nil
		return err
	}
	if port, err = servers.FreePort(); err != nil {
		return err
	}
	shared.mlf = servers.NewMLflow(root, data, port)
	if err := shared.mlf.Start(ctx); err != nil {
		shared.mlf = nil
		return err
	}
	shared.stack = &servers.Stack{Dir: dir, Bin: bins, DSN: shared.db.DSN(), MLflowURL: shared.mlf.URL(),
		AdminPassword: "admin-" + apicall.Random(), Registrar: "registrar-" + apicall.Random()}
	return nil
}

// user is an account with an API token and an experiment of its own.
type user struct {
	name, password, token string
	expID, expName        string
}

// world is one cerberus and one ml_studio on the shared servers, signed in
// as the admin, with alice and bob, each owning an experiment.
type world struct {
	cerberus, studio *servers.Service
	admin            string
	alice, bob       user
}

// newWorld starts cerberus and ml_studio (ml_studio's extra settings last).
func newWorld(t *testing.T, studioEnv ...string) *world {
	t.Helper()
	st := setUp(t)
	w := &world{}
	c, err := st.Cerberus("cerberus-" + t.Name())
	w.cerberus = servers.StartedForTest(t, c, err)
	s, err := st.Studio("ml_studio-"+t.Name(), w.cerberus.URL, studioEnv...)
	w.studio = servers.StartedForTest(t, s, err)
	w.admin = apicall.Login(t, setupClient, w.studio.URL, "admin", st.AdminPassword)
	for _, u := range []*user{&w.alice, &w.bob} {
		u.name, u.password = "bob-"+apicall.Random()[:8], "pw-"+apicall.Random()
		if u == &w.alice {
			u.name = "alice-" + apicall.Random()[:8]
		}
		apicall.Must(t, http.StatusCreated, apicall.Do(t, setupClient, w.studio.URL, http.MethodPost, "/api/users", w.admin, map[string]string{"username": u.name, "password": u.password}))
		session := apicall.Login(t, setupClient, w.studio.URL, u.name, u.password)
		var tok struct {
			Token string `json:"token"`
		}
		apicall.Decode(t, apicall.Must(t, http.StatusCreated, apicall.Do(t, setupClient, w.studio.URL, http.MethodPost, "/api/tokens", session, map[string]string{"name": "faults"})), &tok)
		u.token = tok.Token
		apicall.Must(t, http.StatusCreated, apicall.Do(t, setupClient, w.studio.URL, http.MethodPost, "/api/grants", w.admin,
			map[string]string{"element": "project:default", "operation": "create", "user": u.name}))
		u.expName = "faults-" + u.name
		var exp struct {
			ID string `json:"experiment_id"`
		}
		apicall.Decode(t, apicall.Must(t, http.StatusOK, apicall.Do(t, setupClient, w.studio.URL, http.MethodPost, "/api/2.0/mlflow/experiments/create", u.token, map[string]string{"name": u.expName})), &exp)
		u.expID = exp.ID
	}
	return w
}

var setupClient = &http.Client{Timeout: 30 * time.Second}

// result is one request of the load and what its client saw.
type result struct {
	probe      string
	sent, done time.Time
	apicall.Reply
	err error
}

// probe is one client of the load: it sends call again and again, pause
// apart, on its own HTTP client.
type probe struct {
	name  string
	pause time.Duration
	hc    *http.Client
	call  func(ctx context.Context, hc *http.Client) (apicall.Reply, error)
}

// get is a probe reading path on base as token, on a keep-alive client.
func get(name, base, path, token string) probe {
	return probe{name: name, pause: 10 * time.Millisecond, hc: &http.Client{Timeout: 30 * time.Second},
		call: func(ctx context.Context, hc *http.Client) (apicall.Reply, error) {
			return apicall.Send(ctx, hc, base, http.MethodGet, path, token, nil)
		}}
}

// load runs probes until stopped and keeps every result.
type load struct {
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	mu      sync.Mutex
	results []result
}

func startLoad(probes ...probe) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel}
	for _, p := range probes {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				r := result{probe: p.name, sent: time.Now()}
				r.Reply, r.err = p.call(ctx, p.hc)
				r.done = time.Now()
				if ctx.Err() != nil && r.err != nil {
					return // stopped mid-request: not a result
				}
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(p.pause):
				}
			}
		})
	}
	return l
}

// since are the results of the probes named (all when none) sent in [from, to).
func (l *load) since(from, to time.Time, names ...string) []result {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []result
	for _, r := range l.results {
		if r.sent.Before(from) || !r.sent.Before(to) {
			continue
		}
		if len(names) == 0 || contains(names, r.probe) {
			out = append(out, r)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// waitFor polls the results until one of a probe sent after from has the
// status, or timeout passes.
func (l *load) waitFor(t *testing.T, from time.Time, timeout time.Duration, status int, names ...string) time.Time {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, r := range l.since(from, time.Now().Add(time.Hour), names...) {
			if r.err == nil && r.Status == status {
				return r.sent
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %v answered %d within %s", names, status, timeout)
	return time.Time{}
}

func (l *load) stop() []result {
	l.cancel()
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results
}

// count tallies results by status ("error" for a transport error).
func count(rs []result) map[string]int {
	out := map[string]int{}
	for _, r := range rs {
		k := fmt.Sprint(r.Status)
		if r.err != nil {
			k = "error"
		}
		out[k]++
	}
	return out
}

// errorMessage reads an error answer in the shape of the surface it came
// from: MLflow's {"error_code", "message"} under /api/2.0/mlflow, the
// seed's {"error"} elsewhere; ok is false when the body is neither.
func errorMessage(r apicall.Reply) (code, msg string, ok bool) {
	var body map[string]any
	if json.Unmarshal(r.Body, &body) != nil {
		return "", "", false
	}
	if strings.HasPrefix(r.Path, "/api/2.0/mlflow/") {
		code, _ = body["error_code"].(string)
		msg, _ = body["message"].(string)
		return code, msg, len(body) == 2 && code != "" && msg != ""
	}
	msg, _ = body["error"].(string)
	return "", msg, len(body) == 1 && msg != ""
}

// refused reports whether err is a connection the server never took: it
// was refused, or reset before an answer began (it sat in the listener's
// backlog when the listener closed).
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}
