//go:build composetest

package composetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/deploy/validate"
)

// The test's own project, ports and subnet: it runs beside `make
// compose-up` (project ml-studio) and the local servers of make test
// (:3306, :5432, :5050) without touching them.
const project = "ml-studio-composetest"

var ports = map[string]string{
	"DB_HOST_PORT":        "13306",
	"PG_DB_HOST_PORT":     "15432",
	"MLFLOW_HOST_PORT":    "15050",
	"CERBERUS_HOST_PORT":  "15000",
	"ML_STUDIO_HOST_PORT": "15001",
	"UI_HOST_PORT":        "13000",
	"PROXY_HOST_PORT":     "18080",
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

type stack struct {
	t    *testing.T
	root string
	data string // COMPOSE_DATA
	env  map[string]string
	file string // the .env of the test project
}

// script runs deploy/containers/<name> with the test project's settings.
func (s *stack) script(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(s.root, "deploy", "containers", name), args...)
	cmd.Dir = s.root
	cmd.Env = append(os.Environ(),
		"ENV_FILE="+s.file, "COMPOSE_PROJECT="+project, "COMPOSE_DATA="+s.data)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (s *stack) must(name string, args ...string) string {
	s.t.Helper()
	start := time.Now()
	out, err := s.script(name, args...)
	s.t.Logf("%s %s (%s):\n%s", name, strings.Join(args, " "), time.Since(start).Round(time.Second), out)
	if err != nil {
		s.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// engine runs the container engine compose.sh chose (podman here).
func (s *stack) engine(args ...string) string {
	s.t.Helper()
	bin := "podman"
	if os.Getenv("ENGINE_FORCE") == "docker" || (os.Getenv("ENGINE_FORCE") == "" && exec.Command("docker", "info").Run() == nil) {
		bin = "docker"
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+filepath.Join(s.root, "deploy", "containers", "containers.conf"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (s *stack) url(portVar string) string { return "http://127.0.0.1:" + s.env[portVar] }

type reply struct {
	status int
	body   string
	header http.Header
}

func get(t *testing.T, url string) reply {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header}
}

func newStack(t *testing.T) *stack {
	root := repoRoot()
	s := &stack{t: t, root: root, data: filepath.Join(root, ".data", "compose-test")}
	if err := os.MkdirAll(s.data, 0o700); err != nil {
		t.Fatal(err)
	}
	// A fresh .env from .env.example: random secrets, the test's ports and subnet.
	dir := t.TempDir()
	envPath, _, err := validate.GenerateEnv(filepath.Join(root, ".env.example"), dir)
	if err != nil {
		t.Fatal(err)
	}
	overrides := map[string]string{
		"NETWORK_SUBNET":     "172.30.93.0/24",
		"NETWORK_GATEWAY":    "172.30.93.1",
		"NETWORK_CONTAINERS": "172.30.93.128/25",
		"PUBLIC_BIND":        "127.0.0.1",
		"INTERNAL_BIND":      "127.0.0.1",
		"IMAGE_TAG":          "local",
	}
	for k, v := range ports {
		overrides[k] = v
	}
	s.file = filepath.Join(s.data, ".env")
	s.env = rewriteEnv(t, envPath, s.file, overrides)
	return s
}

// rewriteEnv copies the env file from to to with overrides, and returns its values.
func rewriteEnv(t *testing.T, from, to string, overrides map[string]string) map[string]string {
	t.Helper()
	in, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(in))
	for sc.Scan() {
		line := sc.Text()
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			if o, ok := overrides[k]; ok {
				v = o
				line = k + "=" + v
			}
			values[k] = v
		}
		out.WriteString(line + "\n")
	}
	if err := os.WriteFile(to, []byte(out.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return values
}

// ours lists what the engine still holds of the test project.
func (s *stack) ours() (containers, networks, volumes []string) {
	fields := func(out string) []string { return strings.Fields(out) }
	containers = fields(s.engine("ps", "-a", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Names}}"))
	for _, n := range fields(s.engine("network", "ls", "--format", "{{.Name}}")) {
		if strings.HasPrefix(n, project+"_") {
			networks = append(networks, n)
		}
	}
	for _, v := range fields(s.engine("volume", "ls", "--format", "{{.Name}}")) {
		if strings.HasPrefix(v, project+"_") {
			volumes = append(volumes, v)
		}
	}
	return
}

func (s *stack) containerEnv(service string) map[string]string {
	s.t.Helper()
	id := strings.TrimSpace(s.engine("ps", "-a", "--filter", "label=com.docker.compose.project="+project,
		"--filter", "label=com.docker.compose.service="+service, "--format", "{{.ID}}"))
	if id == "" {
		s.t.Fatalf("no container for %s", service)
	}
	var env []string
	if err := json.Unmarshal([]byte(s.engine("inspect", "--format", "{{json .Config.Env}}", strings.Fields(id)[0])), &env); err != nil {
		s.t.Fatal(err)
	}
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// pythonClient runs stock_client_check.py with the pinned stock client.
func (s *stack) pythonClient(mode string) {
	s.t.Helper()
	py := filepath.Join(s.root, ".venv", "pytest", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		s.t.Fatalf("%s: %v (deploy/local/pytest-env.sh install makes it; make test-compose runs it)", py, err)
	}
	admin, err := os.ReadFile(filepath.Join(s.data, "admin-password"))
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join(s.root, "deploy", "containers", "stock_client_check.py"), mode)
	cmd.Env = append(os.Environ(),
		"ML_STUDIO_URL="+s.url("ML_STUDIO_HOST_PORT"),
		"CERBERUS_URL="+s.url("CERBERUS_HOST_PORT"),
		"ADMIN_USERNAME="+s.env["CERBERUS_ADMIN_USERNAME"],
		"ADMIN_PASSWORD="+strings.TrimSpace(string(admin)),
		"STATE="+filepath.Join(s.data, "client-state.json"))
	out, err := cmd.CombinedOutput()
	s.t.Logf("stock client %s:\n%s", mode, out)
	if err != nil {
		s.t.Fatalf("stock client %s: %v", mode, err)
	}
}

func TestComposedStack(t *testing.T) {
	s := newStack(t)
	// Whatever a failed earlier run left of this project goes first.
	// A volume left over would hand the fresh passwords of this run an old
	// database, and cerberus would wait on it until the health timeout.
	if out, err := s.script("compose.sh", "purge"); err != nil {
		t.Logf("purge before the run: %v\n%s", err, out)
	}
	if c, n, v := s.ours(); len(c)+len(n)+len(v) != 0 {
		t.Fatalf("before the run, purge left containers %v, networks %v, volumes %v", c, n, v)
	}
	t.Cleanup(func() {
		if t.Failed() {
			// The services the others wait on come last, nearest the verdict.
			for _, svc := range []string{"ui", "ml_studio", "mlflow", "pg-db", "db", "cerberus"} {
				out, _ := s.script("compose.sh", "logs", svc)
				t.Logf("--- logs %s (tail)\n%s", svc, tail(out, 30))
			}
		}
		if out, err := s.script("compose.sh", "purge"); err != nil {
			t.Errorf("purge: %v\n%s", err, out)
		}
	})

	start := time.Now()
	s.must("compose.sh", "up")
	t.Logf("first compose up (images + start + healthy): %s", time.Since(start).Round(time.Second))

	t.Run("health", func(t *testing.T) {
		for _, v := range []string{"CERBERUS_HOST_PORT", "ML_STUDIO_HOST_PORT", "UI_HOST_PORT"} {
			r := get(t, s.url(v)+"/healthz")
			if r.status != 200 || strings.TrimSpace(r.body) != `{"status":"ok"}` {
				t.Errorf("%s /healthz: %d %q", v, r.status, r.body)
			}
			if r := get(t, s.url(v)+"/readyz"); r.status != 200 {
				t.Errorf("%s /readyz: %d %q", v, r.status, r.body)
			}
		}
		if r := get(t, s.url("MLFLOW_HOST_PORT")+"/health"); r.status != 200 {
			t.Errorf("mlflow /health: %d %q", r.status, r.body)
		}
	})

	// The Go images are a static binary, the healthcheck probe and CA
	// certificates on scratch; the healthchecks compose.sh waited for ran
	// that probe in each.
	t.Run("Go images at most 30 MB", func(t *testing.T) {
		for _, svc := range []string{"cerberus", "ml_studio", "ui"} {
			image := strings.TrimSpace(s.engine("ps", "--filter", "label=com.docker.compose.project="+project,
				"--filter", "label=com.docker.compose.service="+svc, "--format", "{{.Image}}"))
			size, err := strconv.ParseInt(strings.TrimSpace(s.engine("image", "inspect", "--format", "{{.Size}}", image)), 10, 64)
			if err != nil {
				t.Fatalf("%s: size of %s: %v", svc, image, err)
			}
			t.Logf("%s: %s, %.1f MB", svc, image, float64(size)/1e6)
			if size > 30_000_000 {
				t.Errorf("%s: image %s is %.1f MB, want at most 30 MB", svc, image, float64(size)/1e6)
			}
		}
	})

	t.Run("ui from its own container", func(t *testing.T) {
		index := get(t, s.url("UI_HOST_PORT")+"/")
		asset := regexp.MustCompile(`/assets/[^"]+\.js`).FindString(index.body)
		if index.status != 200 || asset == "" {
			t.Fatalf("GET /: %d, no /assets/*.js in %q", index.status, tail(index.body, 5))
		}
		if r := get(t, s.url("UI_HOST_PORT")+asset); r.status != 200 {
			t.Errorf("GET %s: %d", asset, r.status)
		}
		// /api relayed to ml_studio: without credentials, its refusal.
		if r := get(t, s.url("UI_HOST_PORT")+"/api/2.0/mlflow/experiments/search?max_results=1"); r.status != 401 {
			t.Errorf("/api through the ui without credentials: %d %q, want ml_studio's 401", r.status, r.body)
		}
		image := strings.TrimSpace(s.engine("ps", "--filter", "label=com.docker.compose.project="+project,
			"--filter", "label=com.docker.compose.service=ui", "--format", "{{.Image}}"))
		if !strings.Contains(image, "ml-studio/ui:") {
			t.Errorf("the ui runs image %q, want ml-studio/ui", image)
		}
	})

	t.Run("secrets from .env", func(t *testing.T) {
		cerb, ml := s.containerEnv("cerberus"), s.containerEnv("ml_studio")
		secret := s.env["REGISTRAR_SECRET"]
		if len(secret) < 16 || cerb["CERBERUS_REGISTRAR_SECRET"] != secret || ml["ML_STUDIO_REGISTRAR_SECRET"] != secret {
			t.Errorf("the registrar secret of .env does not reach both cerberus and ml_studio")
		}
		if kek := s.env["MLFLOW_CRYPTO_KEK_PASSPHRASE"]; kek == "" || s.containerEnv("mlflow")["MLFLOW_CRYPTO_KEK_PASSPHRASE"] != kek {
			t.Errorf("MLflow does not encrypt the AI gateway's secrets with the passphrase of .env")
		}
		if !strings.Contains(cerb["CERBERUS_DATABASE_DSN"], ":"+s.env["MYSQL_PASSWORD"]+"@db:3306/") {
			t.Errorf("cerberus's DSN does not carry MYSQL_PASSWORD of .env")
		}
		// The databases accept the passwords of .env, and refuse others.
		mysql := func(pw string) error {
			c := exec.Command("mysql", "-h", "127.0.0.1", "-P", s.env["DB_HOST_PORT"], "-u", "blendata", "-e", "SELECT COUNT(*) FROM `user`", "auth")
			c.Env = append(os.Environ(), "MYSQL_PWD="+pw)
			out, err := c.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v %s", err, out)
			}
			return nil
		}
		psql := func(pw string) error {
			c := exec.Command("psql", "-h", "127.0.0.1", "-p", s.env["PG_DB_HOST_PORT"], "-U", "blendata", "-d", "mlflow", "-tAc", "SELECT count(*) FROM experiments")
			c.Env = append(os.Environ(), "PGPASSWORD="+pw, "PGCONNECT_TIMEOUT=10")
			out, err := c.CombinedOutput()
			if err != nil {
				return fmt.Errorf("%v %s", err, out)
			}
			return nil
		}
		if err := mysql(s.env["MYSQL_PASSWORD"]); err != nil {
			t.Errorf("MySQL with MYSQL_PASSWORD of .env: %v", err)
		}
		if mysql("wrong-password") == nil {
			t.Errorf("MySQL accepted a wrong password")
		}
		if err := psql(s.env["POSTGRES_PASSWORD"]); err != nil {
			t.Errorf("PostgreSQL with POSTGRES_PASSWORD of .env: %v", err)
		}
		if psql("wrong-password") == nil {
			t.Errorf("PostgreSQL accepted a wrong password")
		}
	})

	t.Run("stock client and two users", func(t *testing.T) { s.pythonClient("seed") })
	if t.Failed() {
		return
	}

	// down keeps the volumes (and nothing else); up finds the data again.
	s.must("compose.sh", "down")
	containers, networks, volumes := s.ours()
	if len(containers) != 0 || len(networks) != 0 {
		t.Errorf("after down: containers %v, networks %v remain", containers, networks)
	}
	if len(volumes) != 3 {
		t.Errorf("after down: volumes %v, want the three named volumes", volumes)
	}
	start = time.Now()
	s.must("compose.sh", "up")
	t.Logf("second compose up (warm): %s", time.Since(start).Round(time.Second))
	t.Run("data survives down and up", func(t *testing.T) { s.pythonClient("verify") })

	// purge (down -v) leaves nothing of the project.
	s.must("compose.sh", "purge")
	containers, networks, volumes = s.ours()
	if len(containers)+len(networks)+len(volumes) != 0 {
		t.Errorf("after purge: containers %v, networks %v, volumes %v remain", containers, networks, volumes)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
