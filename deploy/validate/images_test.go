package validate

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Without a container engine, the Go images are checked by doing what their
// Dockerfiles do: the build stage's COPY (through .dockerignore), WORKDIR,
// ENV and RUN steps run in a scratch folder standing for the image's root,
// and the binaries the final stage copies are then started with the final
// stage's ENV plus the compose file's or the Helm chart's settings, and
// checked with the image's own HEALTHCHECK command.

// stageRoot maps the image's absolute paths into a scratch folder.
type stageRoot string

func (r stageRoot) path(p string) string { return filepath.Join(string(r), filepath.FromSlash(p)) }

// buildStage runs stage's instructions in a scratch root; only what the Go
// images use is supported (COPY from the context, WORKDIR, ENV, RUN in
// shell form).
func buildStage(t *testing.T, d Dockerfile, stage int) stageRoot {
	t.Helper()
	ignore, err := LoadDockerignore(repoRoot())
	if err != nil {
		t.Fatal(err)
	}
	root := stageRoot(t.TempDir())
	wd := "/"
	env := map[string]string{}
	for _, in := range d.Stages[stage].Instructions {
		switch in.Cmd {
		case "from", "arg", "label", "expose":
		case "workdir":
			wd = path.Join(wd, in.Args[0])
			if err := os.MkdirAll(root.path(wd), 0o755); err != nil {
				t.Fatal(err)
			}
		case "env":
			for k, v := range (Stage{Instructions: []Instruction{in}}).Env() {
				env[k] = v
			}
		case "copy":
			if _, from := in.Flag("from"); from {
				t.Fatalf("line %d: COPY --from in the build stage is not simulated", in.Line)
			}
			srcs, dest := in.Args[:len(in.Args)-1], in.Args[len(in.Args)-1]
			if !path.IsAbs(dest) {
				dest = path.Join(wd, dest) + map[bool]string{true: "/"}[strings.HasSuffix(dest, "/")]
			}
			for _, src := range srcs {
				copyFromContext(t, ignore, path.Clean(src), root, dest)
			}
		case "run":
			if in.JSON {
				t.Fatalf("line %d: RUN in exec form is not simulated", in.Line)
			}
			cmd := exec.Command("sh", "-c", strings.Join(in.Args, " "))
			cmd.Dir = root.path(wd)
			// The host's Go caches, the image's ENV; no workspace or flags of the host.
			cmd.Env = environ(env, "GOWORK", "GOFLAGS", "GOENV")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("line %d: RUN %s: %v\n%s", in.Line, strings.Join(in.Args, " "), err, out)
			}
		default:
			t.Fatalf("line %d: %s in the build stage is not simulated", in.Line, strings.ToUpper(in.Cmd))
		}
	}
	return root
}

// copyFromContext copies src (relative to the repo, the build context) as
// COPY does: a folder's content into dest, a file to dest (or into dest/).
func copyFromContext(t *testing.T, ignore *Dockerignore, src string, root stageRoot, dest string) {
	t.Helper()
	from := repoPath(filepath.FromSlash(src))
	info, err := os.Stat(from)
	if err != nil {
		t.Fatalf("COPY %s: %v", src, err)
	}
	if !info.IsDir() {
		to := dest
		if strings.HasSuffix(dest, "/") {
			to = path.Join(dest, path.Base(src))
		}
		copyFile(t, from, root.path(to))
		return
	}
	err = filepath.WalkDir(from, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repoRoot(), p)
		if ignore.Ignored(filepath.ToSlash(rel)) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		inner, _ := filepath.Rel(from, p)
		to := root.path(path.Join(dest, filepath.ToSlash(inner)))
		if e.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		if !e.Type().IsRegular() {
			return nil
		}
		copyFile(t, p, to)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = in.Close() }()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// image is an image built as its Dockerfile says: its final stage, and
// where each path the final stage copies (from the build stage or the
// context) is on this machine.
type image struct {
	final Stage
	files map[string]string // image path -> file here
}

func buildImage(t *testing.T, name string) image {
	t.Helper()
	d := parseFile(t, name)
	if len(d.Stages) < 2 {
		t.Fatalf("%s: %d stages, want build stage(s) + final", name, len(d.Stages))
	}
	// The build stages the final stage copies from, each run once.
	roots := map[string]stageRoot{}
	stageRootOf := func(from string, line int) stageRoot {
		if r, ok := roots[strings.ToLower(from)]; ok {
			return r
		}
		for i, s := range d.Stages[:len(d.Stages)-1] {
			if s.Name != "" && strings.EqualFold(s.Name, from) {
				roots[s.Name] = buildStage(t, d, i)
				return roots[s.Name]
			}
		}
		t.Fatalf("%s line %d: COPY --from=%s is not a build stage", name, line, from)
		return ""
	}
	img := image{final: d.Final(), files: map[string]string{}}
	for _, in := range img.final.Instructions {
		if in.Cmd != "copy" {
			continue
		}
		src, dest := in.Args[0], in.Args[len(in.Args)-1]
		from, fromStage := in.Flag("from")
		if !fromStage {
			img.files[dest] = repoPath(filepath.FromSlash(src))
			continue
		}
		root := stageRootOf(from, in.Line)
		if _, err := os.Stat(root.path(src)); err != nil {
			t.Fatalf("%s line %d: the build stage %s did not make %s: %v", name, in.Line, from, src, err)
		}
		img.files[dest] = root.path(src)
	}
	return img
}

// file is where an image path is in the scratch build: a file the final
// stage copies, or one inside a folder it copies (COPY --from=build /out/ /).
func (img image) file(t *testing.T, p string) string {
	t.Helper()
	if f, ok := img.files[p]; ok {
		return f
	}
	best := ""
	for dest := range img.files {
		dir := strings.TrimSuffix(dest, "/") + "/"
		if strings.HasPrefix(p, dir) && len(dir) > len(best) {
			best = dir
		}
	}
	if best != "" {
		base := img.files[best]
		if _, ok := img.files[best]; !ok {
			base = img.files[strings.TrimSuffix(best, "/")]
		}
		f := filepath.Join(base, filepath.FromSlash(strings.TrimPrefix(p, best)))
		if _, err := os.Stat(f); err == nil {
			return f
		}
	}
	t.Fatalf("the image has no %s", p)
	return ""
}

// healthcheck runs a HEALTHCHECK / compose healthcheck command (exec form)
// with the image's binaries.
func (img image) healthcheck(t *testing.T, env map[string]string, args []string) (int, string) {
	t.Helper()
	cmd := exec.Command(img.file(t, args[0]), args[1:]...)
	cmd.Env = envList(env)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func (img image) dockerHealthcheck(t *testing.T) []string {
	t.Helper()
	hc, ok := img.final.Last("healthcheck")
	if !ok || !hc.JSON || hc.Args[0] != "CMD" {
		t.Fatalf("want HEALTHCHECK CMD [...] in exec form (distroless has no shell), got %s", hc.Text)
	}
	return hc.Args[1:]
}

func envList(env map[string]string) []string {
	var out []string
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// waitHealthy repeats a healthcheck command until it passes.
func (img image) waitHealthy(t *testing.T, p *process, env map[string]string, args []string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		if err := p.alive(); err != nil {
			t.Fatal(err)
		}
		code, out := img.healthcheck(t, env, args)
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("healthcheck %v still failing after %s: %s", args, limit, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// composeEnv is a compose service's environment, interpolated from a .env
// generated from .env.example.
func composeEnv(t *testing.T, svc string) (map[string]string, []string) {
	t.Helper()
	p, _ := loadCompose(t)
	s := service(t, p, svc)
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env, s.HealthCheck.Test[1:]
}

// chartEnv is a component's ConfigMap in the chart's default rendering.
func chartEnv(t *testing.T, component string) map[string]string {
	t.Helper()
	out, err := HelmTemplate(helmBin(t), chartDir(), release, namespace, "--kube-version", kubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := DecodeManifests(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if cm, ok := m.Object.(*corev1.ConfigMap); ok && m.Name == release+"-"+component {
			return cm.Data
		}
	}
	t.Fatalf("no ConfigMap %s-%s", release, component)
	return nil
}

func withPort(args []string, from, to int) []string {
	out := append([]string(nil), args...)
	for i := range out {
		out[i] = strings.ReplaceAll(out[i], fmt.Sprintf(":%d/", from), fmt.Sprintf(":%d/", to))
	}
	return out
}

func TestCerberusImage(t *testing.T) {
	slow(t, "builds the image's binaries")
	img := buildImage(t, "cerberus.Dockerfile")
	base := img.final.Env()
	if base["CERBERUS_HOST"] != "0.0.0.0" {
		t.Errorf("the image must set CERBERUS_HOST=0.0.0.0, has %q", base["CERBERUS_HOST"])
	}
	data := img.file(t, "/data") // the image's SQLite default lives here
	bin := img.file(t, "/usr/local/bin/cerberus")

	t.Run("image defaults", func(t *testing.T) {
		port := freePort(t)
		env := merge(base, map[string]string{
			"CERBERUS_PORT":         fmt.Sprint(port),
			"CERBERUS_DATABASE_DSN": strings.Replace(base["CERBERUS_DATABASE_DSN"], "/data", data, 1),
			"CERBERUS_BCRYPT_COST":  "4",
		})
		p := start(t, data, envList(env), bin)
		img.waitHealthy(t, p, env, img.dockerHealthcheck(t), 30*time.Second)
		// The compose healthcheck (/readyz: the database answers) passes too.
		_, composeCheck := composeEnv(t, "cerberus")
		if code, out := img.healthcheck(t, env, withPort(composeCheck, 5000, port)); code != 0 {
			t.Errorf("compose healthcheck %v: exit %d %s", composeCheck, code, out)
		}
		if !strings.Contains(p.out.String(), "First admin created") {
			t.Errorf("no generated first admin on standard output:\n%s", p.out.String())
		}
	})

	t.Run("compose settings", func(t *testing.T) {
		env, _ := composeEnv(t, "cerberus")
		// There is no db here (its name is swapped for a closed local port, so
		// nothing is looked up): the settings must be accepted (not exit 2, a
		// configuration error) and the database wait then gives up (exit 1).
		dsn := env["CERBERUS_DATABASE_DSN"]
		if !strings.Contains(dsn, "@db:3306/") {
			t.Fatalf("CERBERUS_DATABASE_DSN %q does not name db:3306", dsn)
		}
		env = merge(base, env, map[string]string{
			"CERBERUS_PORT":          fmt.Sprint(freePort(t)),
			"CERBERUS_DATABASE_WAIT": "1s",
			"CERBERUS_DATABASE_DSN":  strings.Replace(dsn, "@db:3306/", fmt.Sprintf("@127.0.0.1:%d/", freePort(t)), 1),
		})
		p := start(t, t.TempDir(), envList(env), bin)
		if code := p.wait(t, 30*time.Second); code != 1 || strings.Contains(p.out.String(), "configuration") || !strings.Contains(p.out.String(), "database did not answer") {
			t.Errorf("exit %d, want 1 (database unreachable), not a configuration error:\n%s", code, p.out.String())
		}
	})

	t.Run("chart settings", func(t *testing.T) {
		port := freePort(t)
		dir := t.TempDir()
		env := merge(base, chartEnv(t, "cerberus"), map[string]string{
			"CERBERUS_PORT":           fmt.Sprint(port),
			"CERBERUS_DATABASE_DSN":   "sqlite:" + filepath.Join(dir, "auth.db"),
			"CERBERUS_ADMIN_PASSWORD": "an-admin-password",
			"CERBERUS_BCRYPT_COST":    "4",
		})
		p := start(t, dir, envList(env), bin)
		img.waitHealthy(t, p, env, img.dockerHealthcheck(t), 30*time.Second)
		if strings.Contains(p.out.String(), "an-admin-password") {
			t.Errorf("the admin password was printed")
		}
	})
}

func TestMLStudioImage(t *testing.T) {
	slow(t, "builds the image's binaries")
	img := buildImage(t, "ml_studio.Dockerfile")
	base := img.final.Env()
	if base["ML_STUDIO_HOST"] != "0.0.0.0" {
		t.Errorf("the image must set ML_STUDIO_HOST=0.0.0.0, has %q", base["ML_STUDIO_HOST"])
	}
	bin := img.file(t, "/usr/local/bin/ml_studio")
	composeSettings, composeCheck := composeEnv(t, "ml_studio")
	// The settings are accepted and the process is healthy (/healthz asks no
	// upstream, so cerberus and mlflow need not resolve here).
	for name, settings := range map[string]map[string]string{
		"image defaults":   nil,
		"compose settings": composeSettings,
		"chart settings":   chartEnv(t, "ml-studio"),
	} {
		t.Run(name, func(t *testing.T) {
			env := merge(base, settings, map[string]string{"ML_STUDIO_PORT": fmt.Sprint(freePort(t))})
			p := start(t, t.TempDir(), envList(env), bin)
			img.waitHealthy(t, p, env, img.dockerHealthcheck(t), 20*time.Second)
		})
	}
	// Upstreams that refuse connections: alive, not ready, so the compose
	// healthcheck (/readyz) holds back the services that depend on it.
	t.Run("not ready without upstreams", func(t *testing.T) {
		port, closed := freePort(t), freePort(t)
		env := merge(base, composeSettings, map[string]string{
			"ML_STUDIO_PORT":         fmt.Sprint(port),
			"ML_STUDIO_CERBERUS_URL": fmt.Sprintf("http://127.0.0.1:%d", closed),
			"ML_STUDIO_MLFLOW_URL":   fmt.Sprintf("http://127.0.0.1:%d", closed),
		})
		p := start(t, t.TempDir(), envList(env), bin)
		img.waitHealthy(t, p, env, img.dockerHealthcheck(t), 20*time.Second)
		code, out := img.healthcheck(t, env, withPort(composeCheck, 5001, port))
		if code != 1 || !strings.Contains(out, "503") {
			t.Errorf("compose healthcheck (/readyz) without cerberus and MLflow: exit %d %q, want 1 and a 503", code, out)
		}
	})
}

// mlflowImage is the MLflow image's final stage and its start script.
func mlflowImage(t *testing.T) (Stage, string) {
	t.Helper()
	d := parseFile(t, "mlflow.Dockerfile")
	final := d.Final()
	cmd, ok := final.Last("cmd")
	if !ok || !cmd.JSON || len(cmd.Args) != 1 || cmd.Args[0] != "/usr/local/bin/mlflow-server" {
		t.Fatalf("CMD %v, want [\"/usr/local/bin/mlflow-server\"]", cmd.Args)
	}
	for _, in := range d.ContextSources() {
		if in.Args[len(in.Args)-1] == "/usr/local/bin/mlflow-server" {
			return final, repoPath(filepath.FromSlash(in.Args[0]))
		}
	}
	t.Fatal("the image does not copy its start script to /usr/local/bin/mlflow-server")
	return Stage{}, ""
}

// The start script turns the image's, compose's and testcontainers'
// settings into the flags of deploy/local/mlflow.sh.
func TestMLflowStartScript(t *testing.T) {
	final, script := mlflowImage(t)
	base := final.Env()
	stub := t.TempDir()
	record := filepath.Join(stub, "args")
	if err := os.WriteFile(filepath.Join(stub, "mlflow"), []byte("#!/bin/sh\nprintf '%s\\n' \"$@\" > \""+record+"\"\nenv >> \""+record+".env\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, env map[string]string) (string, string) {
		t.Helper()
		_ = os.Remove(record + ".env")
		cmd := exec.Command("sh", script)
		cmd.Env = envList(merge(env, map[string]string{"PATH": stub + ":/usr/bin:/bin"}))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		args, _ := os.ReadFile(record)
		envOut, _ := os.ReadFile(record + ".env")
		return strings.Join(strings.Fields(string(args)), " "), string(envOut)
	}
	composeSettings, _ := composeEnv(t, "mlflow")
	for name, c := range map[string]struct {
		env    map[string]string
		want   []string
		absent []string
	}{
		"image defaults": {env: base, want: []string{
			"server --host 0.0.0.0 --port 5050 --workers 2 --backend-store-uri sqlite:////mlflow/db/mlflow.db --serve-artifacts --artifacts-destination /mlflow/artifacts --allowed-hosts mlflow,mlflow:*,localhost,localhost:*,127.0.0.1,127.0.0.1:*,[::1],[[]::1]:*",
			"--uvicorn-opts --loop uvloop", // no ~40 ms on reused connections
		}},
		"uvicorn's own defaults": {env: merge(base, map[string]string{"MLFLOW_UVICORN_OPTS": ""}), absent: []string{"--uvicorn-opts"}},
		"compose": {env: merge(base, composeSettings), want: []string{
			"--backend-store-uri postgresql+psycopg2://blendata:" + strings.TrimPrefix(strings.Split(composeSettings["MLFLOW_BACKEND_STORE_URI"], "@")[0], "postgresql+psycopg2://blendata:") + "@pg-db:5432/mlflow",
			"--artifacts-destination /mlflow/artifacts --allowed-hosts " + composeSettings["MLFLOW_SERVER_ALLOWED_HOSTS"],
		}},
		// pkg/testenv passes a plain postgresql:// URI.
		"testcontainers": {env: merge(base, map[string]string{"MLFLOW_BACKEND_STORE_URI": "postgresql://blendata:blendata@pg-db:5432/mlflow"}), want: []string{
			"--backend-store-uri postgresql+psycopg2://blendata:blendata@pg-db:5432/mlflow ",
		}},
		"postgres scheme, CORS, workers": {env: merge(base, map[string]string{
			"MLFLOW_BACKEND_STORE_URI": "postgres://u:p@h/db", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://ml.example.com", "MLFLOW_WORKERS": "4",
		}), want: []string{"--workers 4 ", "--backend-store-uri postgresql+psycopg2://u:p@h/db ", "--cors-allowed-origins https://ml.example.com"}},
	} {
		t.Run(name, func(t *testing.T) {
			args, env := run(t, c.env)
			for _, w := range c.want {
				if !strings.Contains(args+" ", w) {
					t.Errorf("mlflow %s\nwant it to contain %q", args, w)
				}
			}
			for _, a := range c.absent {
				if strings.Contains(args, a) {
					t.Errorf("mlflow %s\nwant no %q", args, a)
				}
			}
			if !strings.Contains(env, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false") {
				t.Errorf("job execution not turned off")
			}
		})
	}
	// db-upgrade upgrades the same store, with the psycopg2 driver too.
	cmd := exec.Command("sh", script, "db-upgrade")
	cmd.Env = envList(merge(base, map[string]string{"MLFLOW_BACKEND_STORE_URI": "postgresql://u:p@pg-db:5432/mlflow", "PATH": stub + ":/usr/bin:/bin"}))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("db-upgrade: %v %s", err, out)
	}
	if args, _ := os.ReadFile(record); strings.Join(strings.Fields(string(args)), " ") != "db upgrade postgresql+psycopg2://u:p@pg-db:5432/mlflow" {
		t.Errorf("db-upgrade ran mlflow %q", args)
	}
	// Without a URI at all, it stops with a message.
	env := merge(base, map[string]string{"PATH": stub + ":/usr/bin:/bin"})
	delete(env, "MLFLOW_BACKEND_STORE_URI")
	cmd = exec.Command("sh", script)
	cmd.Env = envList(env)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "MLFLOW_BACKEND_STORE_URI") {
		t.Errorf("without MLFLOW_BACKEND_STORE_URI: %v %s", err, out)
	}
}

// The start script with the real, pinned MLflow (the virtualenv of
// deploy/local/mlflow.sh, from the same lock as the image): it serves, its
// Host check accepts the service name and refuses others, artifacts go to
// the destination, and the image's and compose's healthchecks pass.
func TestMLflowServerWithTheImageSettings(t *testing.T) {
	slow(t, "starts MLflow")
	venv := repoPath(".venv", "mlflow", "bin")
	if _, err := os.Stat(filepath.Join(venv, "mlflow")); err != nil {
		missing(t, "the MLflow virtualenv is missing: deploy/local/mlflow.sh install")
	}
	final, script := mlflowImage(t)
	dir := t.TempDir()
	port := freePort(t)
	env := merge(final.Env(), map[string]string{
		"PATH":                         venv + ":/usr/bin:/bin",
		"HOME":                         dir,
		"MLFLOW_PORT":                  fmt.Sprint(port),
		"MLFLOW_WORKERS":               "2", // several workers: uvicorn binds the socket itself
		"MLFLOW_HOST":                  "127.0.0.1",
		"MLFLOW_BACKEND_STORE_URI":     "sqlite:///" + filepath.Join(dir, "mlflow.db"),
		"MLFLOW_ARTIFACTS_DESTINATION": filepath.Join(dir, "artifacts"),
	})
	// The schema upgrade the README documents, on a new store.
	up := exec.Command("sh", script, "db-upgrade")
	up.Dir, up.Env = dir, envList(env)
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("mlflow-server db-upgrade: %v\n%s", err, out)
	}
	p := start(t, dir, envList(env), "sh", script)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitHTTP(t, base+"/health", http.StatusOK, 150*time.Second, p.alive)

	python := func(args []string) error {
		cmd := exec.Command(filepath.Join(venv, args[0]), args[1:]...)
		cmd.Env = envList(env)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	hc, _ := final.Last("healthcheck")
	if err := python(hc.Args[1:]); err != nil {
		t.Errorf("the image's HEALTHCHECK: %v", err)
	}
	_, composeCheck := composeEnv(t, "mlflow")
	if err := python(withPort(composeCheck, 5050, port)); err != nil {
		t.Errorf("compose healthcheck: %v", err)
	}

	call := func(method, path, host, body string) (int, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for host, want := range map[string]int{
		"mlflow:5050":                     200, // ml_studio in compose
		"mlflow":                          200,
		fmt.Sprintf("localhost:%d", port): 200,
		"evil.example.com":                403, // DNS rebinding
	} {
		if code, body := call("POST", "/api/2.0/mlflow/experiments/search", host, `{"max_results":1}`); code != want {
			t.Errorf("Host %s: %d %s, want %d", host, code, body, want)
		}
	}
	// A reused connection answers without the ~40 ms delayed-ACK wait of
	// uvicorn's default loop (Nagle on, since its socket is not marked
	// IPPROTO_TCP): every one of its answers would take at least 40 ms, so
	// the fastest of 20 tells, however loaded the machine.
	keep := &http.Client{Timeout: 30 * time.Second}
	fastest := time.Hour
	for i := range 21 {
		start := time.Now()
		resp, err := keep.Get(base + "/health")
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if i > 0 { // the first opens the connection the others reuse
			fastest = min(fastest, time.Since(start))
		}
	}
	if fastest >= 30*time.Millisecond {
		t.Errorf("GET /health on a reused connection took at least %s: MLflow keeps Nagle on (MLFLOW_UVICORN_OPTS)", fastest)
	}
	// --serve-artifacts writes into MLFLOW_ARTIFACTS_DESTINATION.
	if code, body := call("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/run/artifacts/hello.txt", "mlflow:5050", "hello"); code != 200 {
		t.Fatalf("artifact upload: %d %s", code, body)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "artifacts", "0", "run", "artifacts", "hello.txt")); err != nil || string(b) != "hello" {
		t.Errorf("artifact not in the destination: %q %v", b, err)
	}
}

// The ui image: its build stages (npm ci, npm run build on ui/ as the
// context gives it; uiserver and healthcheck) run here, then the built app
// served by the final stage's uiserver with the image's and compose's
// settings, checked by its HEALTHCHECK.
func TestUIImage(t *testing.T) {
	slow(t, "builds the web app")
	if _, err := os.Stat(repoPath("ui", "package.json")); err != nil {
		missing(t, "ui/ has no package.json yet")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		missing(t, "npm not found")
	}
	img := buildImage(t, "ui.Dockerfile")
	base := img.final.Env()
	bin := img.file(t, "/usr/local/bin/uiserver")
	dist := img.file(t, base["UI_DIST"]+"/index.html")
	// ml_studio: healthy on /healthz (for the ui's /readyz), 418 and its name elsewhere.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			_, _ = io.WriteString(w, `{"status":"ok"}`)
			return
		}
		w.Header().Set("X-Upstream", "ml_studio")
		w.Header().Set("X-Seen-Forwarded-For", r.Header.Get("X-Forwarded-For"))
		w.WriteHeader(http.StatusTeapot)
	}))
	t.Cleanup(api.Close)
	composeSettings, composeCheck := composeEnv(t, "ui")
	if got := composeSettings["UI_ML_STUDIO_URL"]; got != "http://ml-studio:5001" {
		t.Errorf("compose UI_ML_STUDIO_URL %q, want http://ml-studio:5001 (ml_studio's alias)", got)
	}
	port := freePort(t)
	env := merge(base, composeSettings, map[string]string{
		"UI_PORT":          fmt.Sprint(port),
		"UI_DIST":          filepath.Dir(dist),
		"UI_ML_STUDIO_URL": api.URL,
	})
	p := start(t, t.TempDir(), envList(env), bin)
	img.waitHealthy(t, p, env, img.dockerHealthcheck(t), 20*time.Second)
	if len(composeCheck) > 0 {
		if code, out := img.healthcheck(t, env, withPort(composeCheck, 3000, port)); code != 0 {
			t.Errorf("compose healthcheck %v: exit %d %s", composeCheck, code, out)
		}
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	index := do(t, "GET", url+"/", nil, nil)
	asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(index.body)
	if index.status != 200 || asset == "" {
		t.Fatalf("GET /: %d, no /assets/*.js in %q", index.status, index.body)
	}
	if g := do(t, "GET", url+asset, nil, nil); g.status != 200 || !strings.Contains(g.header.Get("Content-Type"), "javascript") {
		t.Errorf("GET %s: %d %s", asset, g.status, g.header.Get("Content-Type"))
	}
	if g := do(t, "GET", url+"/experiments/1", nil, nil); g.body != index.body {
		t.Errorf("a route of the app did not serve index.html")
	}
	if g := do(t, "GET", url+"/api/2.0/mlflow/experiments/search", nil, nil); g.status != http.StatusTeapot || g.header.Get("X-Upstream") != "ml_studio" || g.header.Get("X-Seen-Forwarded-For") != "127.0.0.1" {
		t.Errorf("/api not relayed to ml_studio with the client's address: %d %v", g.status, g.header)
	}
	if g := do(t, "GET", url+"/", nil, nil); g.header.Get("X-Frame-Options") != "DENY" || g.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers missing: %v", g.header)
	}
	if g := do(t, "GET", url+"/assets/missing.js", nil, nil); g.status != 404 {
		t.Errorf("a missing asset: %d, want 404 (not the app)", g.status)
	}
	// Nothing else is relayed: cerberus is not reachable through the ui.
	if g := do(t, "GET", url+"/cerberus/api/users", nil, nil); g.body != index.body {
		t.Errorf("/cerberus/: %d, want the app's index", g.status)
	}
}
