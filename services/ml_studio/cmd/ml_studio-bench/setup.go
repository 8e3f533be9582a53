package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The targets, in the order of the tables.
const (
	direct      = "direct"       // keep-alive clients, as asked
	directFresh = "direct-fresh" // a new connection per request
	studio      = "ml_studio"
	basicAuth   = "basic-auth"
)

// benchUser is the non-admin user of the timed calls, in cerberus and in
// MLflow's basic-auth app alike.
const benchUser = "bench-user"

// allowedHosts is deploy/local/mlflow.sh's --allowed-hosts default.
const allowedHosts = "localhost,localhost:*,127.0.0.1,127.0.0.1:*,[::1],[[]::1]:*"

// pprofEnv names the address of the pprof listener added by -profile.
const pprofEnv = "ML_STUDIO_BENCH_PPROF"

// bench is one run: its servers, its data and its results.
type bench struct {
	o           options
	log         func(format string, args ...any)
	quiet       string
	loadAtStart string
	started     time.Time

	dir   string
	procs []*proc
	// servers
	mlflow, basic, cerberus, studio             *proc
	mlflowURL, basicURL, cerberusURL, studioURL string
	pprofURL                                    string
	versions                                    map[string]string
	// credentials
	adminPassword, basicAdminPassword, registrar string
	userPassword, token                          string
	basicGrantPath                               string
	// data
	expID, otherExpID string
	traceNonce        uint32            // makes the run's trace ids its own
	sparsePrefix      string            // names the experiments of search-experiments
	logRuns           map[string]string // target → the run log-batch writes to

	setupHTTP *http.Client
	profiling sync.WaitGroup
	diag      diagnostics
	phases    []*phase
	mem       memory
}

// setUp builds the binaries, starts the servers, creates the users and
// seeds the experiment, then checks every timed call once.
func (b *bench) setUp(ctx context.Context) error {
	b.started = time.Now()
	// Fresh connections: on asyncio's loop MLflow's keep-alive answers are
	// slow (see diagnostics).
	b.setupHTTP = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	b.versions = map[string]string{}
	var err error
	if b.dir, err = os.MkdirTemp("", "ml_studio-bench-*"); err != nil {
		return err
	}
	b.log("working in %s (load average %s)", b.dir, b.loadAtStart)
	b.adminPassword, b.basicAdminPassword, b.userPassword = secret("admin-"), secret("admin-"), secret("user-")
	b.registrar = secret("registrar-")

	if err := b.build(ctx); err != nil {
		return err
	}
	// The plain server first: it creates the SQLite schema the basic-auth app then shares.
	if b.mlflow, b.mlflowURL, err = b.startMLflow(ctx, direct, nil); err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	if !b.o.skipBasicAuth {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.basic, b.basicURL, errs[0] = b.startMLflow(ctx, basicAuth, []string{"--app-name", "basic-auth"})
		}()
	}
	errs[1] = b.startStudio(ctx)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	b.versions["mlflow"] = b.mlflowVersion(ctx)
	if err := b.createUsers(ctx); err != nil {
		return err
	}
	if err := b.seed(ctx); err != nil {
		return err
	}
	if err := b.verify(ctx); err != nil {
		return err
	}
	b.log("set-up done in %s", time.Since(b.started).Round(time.Second))
	return nil
}

// cleanup stops every server (all at once) and removes the folder.
func (b *bench) cleanup() {
	var wg sync.WaitGroup
	for _, p := range b.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.stop(15 * time.Second)
		}()
	}
	wg.Wait()
	if b.dir == "" {
		return
	}
	if b.o.keep {
		b.log("kept %s (logs, databases)", b.dir)
		return
	}
	if err := os.RemoveAll(b.dir); err != nil {
		b.log("remove %s: %v", b.dir, err)
	}
}

func secret(prefix string) string {
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	return prefix + hex.EncodeToString(buf)
}

// build compiles cerberus and ml_studio from this tree (unless given).
func (b *bench) build(ctx context.Context) error {
	binDir := filepath.Join(b.dir, "bin")
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return err
	}
	type target struct {
		pkg  string
		dst  *string
		args []string
	}
	var overlay []string
	if b.o.profileDir != "" {
		path, err := b.pprofOverlay()
		if err != nil {
			return err
		}
		overlay = []string{"-overlay", path}
	}
	for _, t := range []target{
		{"./services/cerberus/cmd/cerberus", &b.o.cerberusBin, nil},
		{"./services/ml_studio/cmd/ml_studio", &b.o.studioBin, overlay},
	} {
		if *t.dst != "" && len(t.args) == 0 {
			continue
		}
		out := filepath.Join(binDir, filepath.Base(t.pkg))
		start := time.Now()
		args := append(append([]string{"build"}, t.args...), "-o", out, t.pkg)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = b.o.repo
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		*t.dst = out
		b.log("built %s in %s", t.pkg, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// pprofOverlay writes a go build overlay adding a pprof listener to
// ml_studio's main package, started only when ML_STUDIO_BENCH_PPROF is set.
// The source tree is not touched.
func (b *bench) pprofOverlay() (string, error) {
	src := filepath.Join(b.dir, "bench_pprof.go")
	code := `package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if addr := os.Getenv("` + pprofEnv + `"); addr != "" {
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
}
`
	if err := os.WriteFile(src, []byte(code), 0o600); err != nil {
		return "", err
	}
	target := filepath.Join(b.o.repo, "services", "ml_studio", "cmd", "ml_studio", "zz_bench_pprof.go")
	data, _ := json.Marshal(map[string]any{"Replace": map[string]string{target: src}})
	path := filepath.Join(b.dir, "overlay.json")
	return path, os.WriteFile(path, data, 0o600)
}

// startMLflow starts an MLflow server as deploy/local/mlflow.sh does, on
// the shared SQLite store, and waits until it answers.
func (b *bench) startMLflow(ctx context.Context, name string, extra []string) (*proc, string, error) {
	port, err := freePort()
	if err != nil {
		return nil, "", err
	}
	dir := filepath.Join(b.dir, "mlflow-"+name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	env := append(cleanEnv("MLFLOW_"),
		"MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false",
		"MLFLOW_DISABLE_TELEMETRY=true")
	auth := ""
	if name == direct && b.o.directExtras {
		extras, err := b.basicAuthExtras(ctx)
		if err != nil {
			return nil, "", err
		}
		env = append(env, "PYTHONPATH="+extras)
	}
	if name == basicAuth {
		ini := filepath.Join(dir, "basic_auth.ini")
		conf := fmt.Sprintf("[mlflow]\ndefault_permission = NO_PERMISSIONS\ndatabase_uri = sqlite:///%s\nadmin_username = admin\nadmin_password = %s\n",
			filepath.Join(dir, "basic_auth.db"), b.basicAdminPassword)
		if b.o.basicCacheTTL > 0 {
			conf += fmt.Sprintf("auth_cache_ttl_seconds = %d\n", b.o.basicCacheTTL)
		}
		if err := os.WriteFile(ini, []byte(conf), 0o600); err != nil {
			return nil, "", err
		}
		extras, err := b.basicAuthExtras(ctx)
		if err != nil {
			return nil, "", err
		}
		// The app refuses to start without a CSRF secret shared by its workers.
		env = append(env, "MLFLOW_AUTH_CONFIG_PATH="+ini, "PYTHONPATH="+extras, "MLFLOW_FLASK_SERVER_SECRET_KEY="+secret("csrf-"))
		auth = basicHeader("admin", b.basicAdminPassword)
	}
	args := append([]string{b.o.mlflowBin, "server",
		"--host", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--workers", strconv.Itoa(b.o.workers),
		"--backend-store-uri", b.backendStore(),
		"--serve-artifacts",
		"--artifacts-destination", filepath.Join(b.dir, "artifacts"),
		"--allowed-hosts", allowedHosts,
	}, extra...)
	if b.o.uvicornOpts != "" {
		args = append(args, "--uvicorn-opts", b.o.uvicornOpts)
	}
	p, err := startProc("mlflow "+name, dir, filepath.Join(b.dir, "mlflow-"+name+".log"), env, b.pinned(mlflowCPUs, args)...)
	if err != nil {
		return nil, "", err
	}
	b.procs = append(b.procs, p)
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	start := time.Now()
	err = b.waitReady(ctx, p, b.o.startTimeout, func() error {
		if _, body, err := b.send(ctx, http.MethodGet, url+"/health", "", nil); err != nil || string(body) != "OK" {
			return fmt.Errorf("health: %v %q", err, body)
		}
		return b.expect(ctx, http.StatusOK, http.MethodPost, url+"/api/2.0/mlflow/experiments/search", auth, map[string]any{"max_results": 1}, nil)
	})
	if err != nil {
		return nil, "", err
	}
	b.log("MLflow (%s) ready on %s after %s", name, url, time.Since(start).Round(time.Second))
	return p, url, nil
}

// Packages of mlflow[auth]: the basic-auth app refuses to start without
// Flask-WTF. The pinned venv (deploy/local/mlflow-requirements.txt) has them
// since the lock pins them; these are for a venv made from an older lock.
var basicAuthPackages = []string{"Flask-WTF==1.3.0", "WTForms==3.3.2"}

// basicAuthExtras is a folder given to the basic-auth server as PYTHONPATH.
// When the venv already imports basicAuthPackages it stays empty; otherwise
// they are installed there with the venv's pip on first use, so that
// .venv/mlflow itself stays as mlflow.sh installed it.
func (b *bench) basicAuthExtras(ctx context.Context) (string, error) {
	dir := filepath.Join(b.o.repo, ".venv", "mlflow-basic-auth")
	python := filepath.Join(filepath.Dir(b.o.mlflowBin), "python")
	check := exec.CommandContext(ctx, python, "-c", "import flask_wtf, wtforms")
	check.Env = append(os.Environ(), "PYTHONPATH="+dir)
	if check.Run() == nil {
		return dir, nil
	}
	b.log("installing %s into %s (mlflow[auth] extras the pinned venv lacks)", strings.Join(basicAuthPackages, " "), dir)
	args := append([]string{"-m", "pip", "install", "--no-input", "--disable-pip-version-check", "-q", "--no-deps", "--upgrade", "--target", dir}, basicAuthPackages...)
	if out, err := exec.CommandContext(ctx, python, args...).CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install %s: %v\n%s", strings.Join(basicAuthPackages, " "), err, out)
	}
	return dir, nil
}

// startStudio starts cerberus on a fresh SQLite file, then ml_studio.
func (b *bench) startStudio(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	dir := filepath.Join(b.dir, "cerberus")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	env := append(cleanEnv("CERBERUS_", "ML_STUDIO_"),
		"CERBERUS_HOST=127.0.0.1",
		"CERBERUS_PORT="+strconv.Itoa(port),
		"CERBERUS_DATABASE_DSN=sqlite:"+filepath.Join(dir, "auth.db"),
		"CERBERUS_ADMIN_USERNAME=admin",
		"CERBERUS_ADMIN_PASSWORD="+b.adminPassword,
		"CERBERUS_REGISTRAR_SECRET="+b.registrar)
	if b.cerberus, err = startProc("cerberus", dir, filepath.Join(b.dir, "cerberus.log"), env, b.pinned(otherCPUs(), []string{b.o.cerberusBin})...); err != nil {
		return err
	}
	b.procs = append(b.procs, b.cerberus)
	b.cerberusURL = "http://127.0.0.1:" + strconv.Itoa(port)
	if err := b.waitReady(ctx, b.cerberus, 60*time.Second, func() error {
		return b.expect(ctx, http.StatusOK, http.MethodGet, b.cerberusURL+"/readyz", "", nil, nil)
	}); err != nil {
		return err
	}

	if port, err = freePort(); err != nil {
		return err
	}
	env = append(cleanEnv("CERBERUS_", "ML_STUDIO_"),
		"ML_STUDIO_HOST=127.0.0.1",
		"ML_STUDIO_PORT="+strconv.Itoa(port),
		"ML_STUDIO_CERBERUS_URL="+b.cerberusURL,
		"ML_STUDIO_MLFLOW_URL="+b.mlflowURL,
		"ML_STUDIO_REGISTRAR_SECRET="+b.registrar)
	if b.o.decisionCache != "" {
		env = append(env, "ML_STUDIO_DECISION_CACHE="+b.o.decisionCache)
	}
	env = append(env, b.o.studioEnv...)
	if b.o.profileDir != "" {
		pp, err := freePort()
		if err != nil {
			return err
		}
		b.pprofURL = "http://127.0.0.1:" + strconv.Itoa(pp)
		env = append(env, pprofEnv+"=127.0.0.1:"+strconv.Itoa(pp))
	}
	if b.studio, err = startProc("ml_studio", b.dir, filepath.Join(b.dir, "ml_studio.log"), env, b.pinned(otherCPUs(), []string{b.o.studioBin})...); err != nil {
		return err
	}
	b.procs = append(b.procs, b.studio)
	b.studioURL = "http://127.0.0.1:" + strconv.Itoa(port)
	if err := b.waitReady(ctx, b.studio, 60*time.Second, func() error {
		return b.expect(ctx, http.StatusOK, http.MethodGet, b.studioURL+"/readyz", "", nil, nil)
	}); err != nil {
		return err
	}
	b.log("cerberus on %s and ml_studio on %s ready", b.cerberusURL, b.studioURL)
	return nil
}

// waitReady polls ready until it succeeds, the process exits or timeout passes.
func (b *bench) waitReady(ctx context.Context, p *proc, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := p.exited(); err != nil {
			return err
		}
		err := ready()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready within %s: %v; the end of %s:\n%s", p.name, timeout, err, p.logPath, tail(p.logPath, 25))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func basicHeader(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// send makes one set-up call: body is JSON-encoded unless it is []byte;
// header (optional) is set after the JSON Content-Type.
func (b *bench) send(ctx context.Context, method, url, auth string, body any, header ...http.Header) (int, []byte, error) {
	var reader io.Reader
	switch v := body.(type) {
	case nil:
	case []byte:
		reader = bytes.NewReader(v)
	default:
		data, err := json.Marshal(v)
		if err != nil {
			return 0, nil, err
		}
		reader = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return 0, nil, err
	}
	if reader != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range header {
		for k, v := range h {
			req.Header[k] = v
		}
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := b.setupHTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, data, err
}

// expect makes a call that must answer want; out (if not nil) gets its JSON.
func (b *bench) expect(ctx context.Context, want int, method, url, auth string, body, out any) error {
	status, data, err := b.send(ctx, method, url, auth, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if status != want {
		return fmt.Errorf("%s %s: status %d, want %d: %s", method, url, status, want, snippet(data))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: %v: %s", method, url, err, snippet(data))
		}
	}
	return nil
}

func snippet(data []byte) string {
	s := strings.TrimSpace(string(data))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (b *bench) mlflowVersion(ctx context.Context) string {
	_, data, err := b.send(ctx, http.MethodGet, b.mlflowURL+"/version", "", nil)
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(data))
}

// adminSession is an Authorization header of cerberus's admin.
func (b *bench) adminSession(ctx context.Context) (string, error) {
	var session struct {
		Token string `json:"token"`
	}
	if err := b.expect(ctx, http.StatusOK, http.MethodPost, b.cerberusURL+"/api/auth/login", "",
		map[string]string{"username": "admin", "password": b.adminPassword}, &session); err != nil {
		return "", err
	}
	return "Bearer " + session.Token, nil
}

// createUsers makes the non-admin user in cerberus (with an API token) and
// in the basic-auth app, and the experiments through ml_studio as cerberus's
// admin, so they are registered in cerberus as a notebook's would be.
func (b *bench) createUsers(ctx context.Context) error {
	admin, err := b.adminSession(ctx)
	if err != nil {
		return err
	}
	if err := b.expect(ctx, http.StatusCreated, http.MethodPost, b.cerberusURL+"/api/users", admin,
		map[string]string{"username": benchUser, "password": b.userPassword}, nil); err != nil {
		return err
	}
	var userSession struct {
		Token string `json:"token"`
	}
	if err := b.expect(ctx, http.StatusOK, http.MethodPost, b.cerberusURL+"/api/auth/login", "",
		map[string]string{"username": benchUser, "password": b.userPassword}, &userSession); err != nil {
		return err
	}
	var tok struct {
		Token string `json:"token"`
	}
	if err := b.expect(ctx, http.StatusCreated, http.MethodPost, b.cerberusURL+"/api/tokens", "Bearer "+userSession.Token,
		map[string]string{"name": "ml_studio-bench"}, &tok); err != nil {
		return err
	}
	b.token = tok.Token

	sfx := secret("")[:8]
	nonce, _ := strconv.ParseUint(sfx, 16, 32)
	b.traceNonce = uint32(nonce)
	for _, e := range []struct {
		name string
		id   *string
	}{{"bench-" + sfx, &b.expID}, {"bench-other-" + sfx, &b.otherExpID}} {
		var created struct {
			ID string `json:"experiment_id"`
		}
		if err := b.expect(ctx, http.StatusOK, http.MethodPost, b.studioURL+"/api/2.0/mlflow/experiments/create", admin,
			map[string]string{"name": e.name}, &created); err != nil {
			return err
		}
		*e.id = created.ID
	}
	if err := b.expect(ctx, http.StatusCreated, http.MethodPost, b.cerberusURL+"/api/grants", admin,
		map[string]string{"element": "experiment:" + b.expID, "operation": "edit", "effect": "allow", "user": benchUser}, nil); err != nil {
		return err
	}
	b.log("cerberus: %s has an API token and edit on experiment:%s (created through ml_studio)", benchUser, b.expID)

	if b.basic == nil {
		return nil
	}
	basicAdmin := basicHeader("admin", b.basicAdminPassword)
	if err := b.expect(ctx, http.StatusOK, http.MethodPost, b.basicURL+"/api/2.0/mlflow/users/create", basicAdmin,
		map[string]string{"username": benchUser, "password": b.userPassword}, nil); err != nil {
		return err
	}
	// MLflow 2.x and early 3.x: experiments/permissions/create; 3.18 answers
	// it 404 and grants through the v3 users/permissions/grant instead.
	b.basicGrantPath = "/api/2.0/mlflow/experiments/permissions/create"
	status, data, err := b.send(ctx, http.MethodPost, b.basicURL+b.basicGrantPath, basicAdmin,
		map[string]string{"experiment_id": b.expID, "username": benchUser, "permission": "EDIT"})
	if err != nil {
		return err
	}
	if status == http.StatusNotFound {
		b.basicGrantPath = "/api/3.0/mlflow/users/permissions/grant"
		status, data, err = b.send(ctx, http.MethodPost, b.basicURL+b.basicGrantPath, basicAdmin,
			map[string]string{"username": benchUser, "resource_type": "experiment", "resource_id": b.expID, "permission": "EDIT"})
		if err != nil {
			return err
		}
	}
	if status != http.StatusOK {
		return fmt.Errorf("basic-auth: grant EDIT on experiment %s: status %d: %s", b.expID, status, snippet(data))
	}
	b.log("basic-auth: %s created, EDIT on experiment %s through %s", benchUser, b.expID, b.basicGrantPath)
	return nil
}

// seed creates -runs runs with params, metrics and tags, and one run per
// target for log-batch, started at the epoch so that search-runs (newest
// first) never returns them.
func (b *bench) seed(ctx context.Context) error {
	start := time.Now()
	base := time.Now().Add(-time.Hour).UnixMilli()
	api := b.mlflowURL + "/api/2.0/mlflow"
	createRun := func(name string, startTime int64) (string, error) {
		var out struct {
			Run struct {
				Info struct {
					ID string `json:"run_id"`
				} `json:"info"`
			} `json:"run"`
		}
		err := b.expect(ctx, http.StatusOK, http.MethodPost, api+"/runs/create", "", map[string]any{
			"experiment_id": b.expID, "run_name": name, "start_time": startTime,
			"tags": []map[string]string{{"key": "bench", "value": "seed"}},
		}, &out)
		return out.Run.Info.ID, err
	}
	if err := inParallel(b.o.runs, func(i int) error {
		id, err := createRun(fmt.Sprintf("seed-%04d", i), base+int64(i))
		if err != nil {
			return err
		}
		return b.expect(ctx, http.StatusOK, http.MethodPost, api+"/runs/log-batch", "", seedBatch(id, i, base), nil)
	}); err != nil {
		return fmt.Errorf("seed runs: %w", err)
	}
	seedTrace, into := otlpTrace(b.traceNonce, "seed"), http.Header{"X-Mlflow-Experiment-Id": {b.expID}}
	for i := range b.o.runs {
		status, data, err := b.send(ctx, http.MethodPost, b.mlflowURL+"/v1/traces", "", seedTrace(int64(i)), into)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("status %d: %s", status, snippet(data))
		}
		if err != nil {
			return fmt.Errorf("seed traces: %w", err)
		}
	}
	if slices.Contains(workloads(b.o.only), wlSparse) {
		if err := b.seedSparse(ctx); err != nil {
			return err
		}
	}
	b.logRuns = map[string]string{}
	for i, t := range []string{direct, directFresh, studio, basicAuth} {
		id, err := createRun("log-batch-"+t, int64(i+1))
		if err != nil {
			return err
		}
		b.logRuns[t] = id
	}
	b.log("seeded experiment %s with %d runs (5 params, 5 metrics, 3 tags each) and %d traces (5 spans each) in %s", b.expID, b.o.runs, b.o.runs, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// seedSparse makes -experiments experiments of which the user may read
// -readable-experiments, spread evenly: those are created through ml_studio
// by cerberus's admin (so cerberus knows them) and granted read; the rest
// directly in MLflow, as other people's.
func (b *bench) seedSparse(ctx context.Context) error {
	start := time.Now()
	admin, err := b.adminSession(ctx)
	if err != nil {
		return err
	}
	b.sparsePrefix = "sparse-" + secret("")[:8]
	every := b.o.experiments / b.o.readableExps
	err = inParallel(b.o.experiments, func(i int) error {
		name := fmt.Sprintf("%s-%06d", b.sparsePrefix, i)
		var created struct {
			ID string `json:"experiment_id"`
		}
		readable := i%every == 0 && i/every < b.o.readableExps
		base, auth := b.mlflowURL, ""
		if readable {
			base, auth = b.studioURL, admin
		}
		if err := b.expect(ctx, http.StatusOK, http.MethodPost, base+"/api/2.0/mlflow/experiments/create", auth, map[string]string{"name": name}, &created); err != nil || !readable {
			return err
		}
		return b.expect(ctx, http.StatusCreated, http.MethodPost, b.cerberusURL+"/api/grants", admin,
			map[string]string{"element": "experiment:" + created.ID, "operation": "read", "effect": "allow", "user": benchUser}, nil)
	})
	if err != nil {
		return fmt.Errorf("seed the experiments of %s: %w", wlSparse, err)
	}
	b.log("seeded %d experiments %s-*, %d of them readable by %s, in %s", b.o.experiments, b.sparsePrefix, b.o.readableExps, benchUser,
		time.Since(start).Round(100*time.Millisecond))
	return nil
}

// inParallel calls f for 0..n-1 on four goroutines; the first error wins.
func inParallel(n int, f func(i int) error) error {
	jobs := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func seedBatch(runID string, i int, ts int64) map[string]any {
	var params, metrics []map[string]any
	for k := range 5 {
		params = append(params, map[string]any{"key": fmt.Sprintf("param_%d", k), "value": fmt.Sprintf("value-%d-%d", i, k)})
		metrics = append(metrics, map[string]any{"key": fmt.Sprintf("metric_%d", k), "value": float64(i*10+k) / 7, "timestamp": ts, "step": 0})
	}
	return map[string]any{"run_id": runID, "params": params, "metrics": metrics,
		"tags": []map[string]string{{"key": "team", "value": "bench"}, {"key": "index", "value": strconv.Itoa(i)}}}
}

// verify makes each timed call once and checks its answer, and checks
// that the user is really checked: another experiment is refused.
func (b *bench) verify(ctx context.Context) error {
	for _, ph := range b.plan() {
		var body any
		if ph.body != nil {
			body = ph.body(0)
		}
		status, data, err := b.send(ctx, ph.method, ph.url, ph.auth, body, ph.header)
		if err != nil {
			return fmt.Errorf("%s: %w", ph.label(), err)
		}
		if status != http.StatusOK {
			return fmt.Errorf("%s: status %d: %s", ph.label(), status, snippet(data))
		}
		switch ph.workload {
		case wlGet:
			var out struct {
				Experiment struct {
					ID string `json:"experiment_id"`
				} `json:"experiment"`
			}
			if json.Unmarshal(data, &out) != nil || out.Experiment.ID != b.expID {
				return fmt.Errorf("%s: not experiment %s: %s", ph.label(), b.expID, snippet(data))
			}
		case wlSearch:
			var out struct {
				Runs []json.RawMessage `json:"runs"`
			}
			if json.Unmarshal(data, &out) != nil || len(out.Runs) != b.o.searchResults {
				return fmt.Errorf("%s: %d runs, want %d", ph.label(), len(out.Runs), b.o.searchResults)
			}
			ph.respBytes = len(data)
		case wlSparse:
			var out struct {
				Experiments []json.RawMessage `json:"experiments"`
			}
			if json.Unmarshal(data, &out) != nil || len(out.Experiments) != b.o.searchResults {
				return fmt.Errorf("%s: %d experiments, want %d", ph.label(), len(out.Experiments), b.o.searchResults)
			}
		case wlSearchTraces:
			var out struct {
				Traces []json.RawMessage `json:"traces"`
			}
			if json.Unmarshal(data, &out) != nil || len(out.Traces) != b.o.searchResults {
				return fmt.Errorf("%s: %d traces, want %d", ph.label(), len(out.Traces), b.o.searchResults)
			}
		}
	}
	other := "/api/2.0/mlflow/experiments/get?experiment_id=" + b.otherExpID
	checks := []struct {
		name, url, auth string
	}{
		{studio, b.studioURL + other, "Bearer " + b.token},
		{studio + " (seed path)", b.studioURL + "/api/experiments/get?experiment_id=" + b.otherExpID, "Bearer " + b.token},
	}
	if b.basic != nil {
		checks = append(checks, struct{ name, url, auth string }{basicAuth, b.basicURL + other, basicHeader(benchUser, b.userPassword)})
	}
	for _, c := range checks {
		if err := b.expect(ctx, http.StatusForbidden, http.MethodGet, c.url, c.auth, nil, nil); err != nil {
			return fmt.Errorf("%s must refuse %s an experiment it has no grant on: %w", c.name, benchUser, err)
		}
	}
	b.log("every timed call answers as expected; %s is refused experiment %s by ml_studio and basic-auth", benchUser, b.otherExpID)
	return nil
}

// backendStore is MLflow's store: the one given, or a fresh SQLite file.
func (b *bench) backendStore() string {
	if b.o.backendStore != "" {
		return b.o.backendStore
	}
	return "sqlite:///" + filepath.Join(b.dir, "mlflow.db")
}

// CPU sets of -pin: MLflow alone on the first CPU, the rest elsewhere.
const mlflowCPUs = "0"

func otherCPUs() string { return fmt.Sprintf("1-%d", max(1, runtime.NumCPU()-1)) }

// pinned prefixes argv with taskset when -pin is on (taskset execs the
// program, so the pid stays the server's).
func (b *bench) pinned(cpus string, argv []string) []string {
	if !b.o.pin {
		return argv
	}
	return append([]string{"taskset", "-c", cpus}, argv...)
}
