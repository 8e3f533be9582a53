//go:build faults && linux

package faulttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

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
		AdminPassword: "admin-" + random(), Registrar: "registrar-" + random()}
	return nil
}

func random() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// startService starts a service and stops it when the test ends.
func startService(t *testing.T, s *servers.Service, err error) *servers.Service {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = s.Stop(15 * time.Second) })
	if err := s.StartReady(t.Context(), 60*time.Second); err != nil {
		t.Fatal(err)
	}
	return s
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
	w.cerberus = startService(t, c, err)
	s, err := st.Studio("ml_studio-"+t.Name(), w.cerberus.URL, studioEnv...)
	w.studio = startService(t, s, err)
	w.admin = login(t, w.studio.URL, "admin", st.AdminPassword)
	for _, u := range []*user{&w.alice, &w.bob} {
		u.name, u.password = "bob-"+random()[:8], "pw-"+random()
		if u == &w.alice {
			u.name = "alice-" + random()[:8]
		}
		must(t, http.StatusCreated, do(t, w.studio.URL, http.MethodPost, "/api/users", w.admin, map[string]string{"username": u.name, "password": u.password}))
		session := login(t, w.studio.URL, u.name, u.password)
		var tok struct {
			Token string `json:"token"`
		}
		decode(t, must(t, http.StatusCreated, do(t, w.studio.URL, http.MethodPost, "/api/tokens", session, map[string]string{"name": "faults"})), &tok)
		u.token = tok.Token
		must(t, http.StatusCreated, do(t, w.studio.URL, http.MethodPost, "/api/grants", w.admin,
			map[string]string{"element": "project:default", "operation": "create", "user": u.name}))
		u.expName = "faults-" + u.name
		var exp struct {
			ID string `json:"experiment_id"`
		}
		decode(t, must(t, http.StatusOK, do(t, w.studio.URL, http.MethodPost, "/api/2.0/mlflow/experiments/create", u.token, map[string]string{"name": u.expName})), &exp)
		u.expID = exp.ID
	}
	return w
}

// reply is an answer read whole.
type reply struct {
	method, path string
	status       int
	body         []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s = %d %s", r.method, r.path, r.status, snippet(r.body))
}

func snippet(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

var setupClient = &http.Client{Timeout: 30 * time.Second}

// send makes one request with a JSON body (when not nil) and a Bearer token.
func send(ctx context.Context, hc *http.Client, base, method, path, token string, body any) (reply, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return reply{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return reply{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return reply{method: method, path: path}, err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	return reply{method: method, path: path, status: resp.StatusCode, body: data}, err
}

func do(t *testing.T, base, method, path, token string, body any) reply {
	t.Helper()
	r, err := send(t.Context(), setupClient, base, method, path, token, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func must(t *testing.T, want int, r reply) reply {
	t.Helper()
	if r.status != want {
		t.Fatalf("%s, want %d", r, want)
	}
	return r
}

func decode(t *testing.T, r reply, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("%s: %v", r, err)
	}
}

func login(t *testing.T, base, name, password string) string {
	t.Helper()
	var s struct {
		Token string `json:"token"`
	}
	decode(t, must(t, http.StatusOK, do(t, base, http.MethodPost, "/api/auth/login", "", map[string]string{"username": name, "password": password})), &s)
	return s.Token
}

// result is one request of the load and what its client saw.
type result struct {
	probe      string
	sent, done time.Time
	reply
	err error
}

// probe is one client of the load: it sends call again and again, pause
// apart, on its own HTTP client.
type probe struct {
	name  string
	pause time.Duration
	hc    *http.Client
	call  func(ctx context.Context, hc *http.Client) (reply, error)
}

// get is a probe reading path on base as token, on a keep-alive client.
func get(name, base, path, token string) probe {
	return probe{name: name, pause: 10 * time.Millisecond, hc: &http.Client{Timeout: 30 * time.Second},
		call: func(ctx context.Context, hc *http.Client) (reply, error) {
			return send(ctx, hc, base, http.MethodGet, path, token, nil)
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
				r.reply, r.err = p.call(ctx, p.hc)
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
			if r.err == nil && r.status == status {
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
		k := fmt.Sprint(r.status)
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
func errorMessage(r reply) (code, msg string, ok bool) {
	var body map[string]any
	if json.Unmarshal(r.body, &body) != nil {
		return "", "", false
	}
	if strings.HasPrefix(r.path, "/api/2.0/mlflow/") {
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
