package validate

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func composeFile() string { return repoPath("docker-compose.yml") }

// loadCompose loads docker-compose.yml with a .env generated from
// .env.example, every profile on.
func loadCompose(t *testing.T) (*types.Project, map[string]string) {
	t.Helper()
	env, generated, err := GenerateEnv(repoPath(".env.example"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := LoadCompose(context.Background(), composeFile(), ComposeOptions{EnvFiles: []string{env}, Profiles: []string{"*"}})
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return p, generated
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

func TestComposeServicesAndPorts(t *testing.T) {
	p, _ := loadCompose(t)
	want := map[string]string{"db": "3306", "pg-db": "5432", "mlflow": "5050", "cerberus": "5000", "ml_studio": "5001", "ui": "3000", "proxy": "8080"}
	names := p.ServiceNames()
	sort.Strings(names)
	var wantNames []string
	for n := range want {
		wantNames = append(wantNames, n)
	}
	sort.Strings(wantNames)
	if !slices.Equal(names, wantNames) {
		t.Errorf("services %v, want %v", names, wantNames)
	}
	for name, port := range want {
		s := service(t, p, name)
		if len(s.Ports) != 1 || s.Ports[0].Published != port || s.Ports[0].Target != mustAtoi(t, port) {
			t.Errorf("%s publishes %+v, want %s:%s", name, s.Ports, port, port)
		}
	}
	// The proxy is optional: off unless its profile is asked for.
	if got := service(t, p, "proxy").Profiles; !slices.Equal(got, []string{"proxy"}) {
		t.Errorf("proxy profiles %v, want [proxy]", got)
	}
	envFile, _, err := GenerateEnv(repoPath(".env.example"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain, err := LoadCompose(context.Background(), composeFile(), ComposeOptions{EnvFiles: []string{envFile}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(plain.ServiceNames(), "proxy") || len(plain.ServiceNames()) != 6 {
		t.Errorf("without profiles: %v, want the six services", plain.ServiceNames())
	}
}

func mustAtoi(t *testing.T, s string) uint32 {
	t.Helper()
	var n uint32
	for _, r := range s {
		n = n*10 + uint32(r-'0')
	}
	return n
}

func TestComposeDatabases(t *testing.T) {
	p, generated := loadCompose(t)
	db, pg := service(t, p, "db"), service(t, p, "pg-db")
	for k, v := range map[string]string{"MYSQL_DATABASE": "auth", "MYSQL_USER": "blendata", "MYSQL_PASSWORD": generated["MYSQL_PASSWORD"], "MYSQL_ROOT_PASSWORD": generated["MYSQL_ROOT_PASSWORD"]} {
		if got := env(db, k); got != v {
			t.Errorf("db %s = %q, want %q", k, got, v)
		}
	}
	for k, v := range map[string]string{"POSTGRES_DB": "mlflow", "POSTGRES_USER": "blendata", "POSTGRES_PASSWORD": generated["POSTGRES_PASSWORD"]} {
		if got := env(pg, k); got != v {
			t.Errorf("pg-db %s = %q, want %q", k, got, v)
		}
	}
	for _, s := range []types.ServiceConfig{db, pg} {
		if err := CheckPinned(s.Image); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
	}
	// The images testcontainers uses (pkg/testenv) are the same releases.
	testenv, err := os.ReadFile(repoPath("pkg", "testenv", "containers.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range []string{db.Image, pg.Image} {
		if !strings.Contains(string(testenv), `"`+img+`"`) {
			t.Errorf("%s differs from pkg/testenv's image", img)
		}
	}
	// The services connect with the same passwords, through the service names.
	if got, want := env(service(t, p, "cerberus"), "CERBERUS_DATABASE_DSN"), "mysql://blendata:"+generated["MYSQL_PASSWORD"]+"@db:3306/auth"; got != want {
		t.Errorf("CERBERUS_DATABASE_DSN = %q, want %q", got, want)
	}
	if got, want := env(service(t, p, "mlflow"), "MLFLOW_BACKEND_STORE_URI"), "postgresql+psycopg2://blendata:"+generated["POSTGRES_PASSWORD"]+"@pg-db:5432/mlflow"; got != want {
		t.Errorf("MLFLOW_BACKEND_STORE_URI = %q, want %q", got, want)
	}
}

func TestComposeServiceSettings(t *testing.T) {
	p, _ := loadCompose(t)
	for svc, kv := range map[string]map[string]string{
		"cerberus":  {"CERBERUS_HOST": "0.0.0.0", "CERBERUS_PORT": "5000"},
		"ml_studio": {"ML_STUDIO_HOST": "0.0.0.0", "ML_STUDIO_PORT": "5001", "ML_STUDIO_CERBERUS_URL": "http://cerberus:5000", "ML_STUDIO_MLFLOW_URL": "http://mlflow:5050", "ML_STUDIO_DECISION_CACHE": "2s"},
		"mlflow":    {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false", "MLFLOW_ARTIFACTS_DESTINATION": "/mlflow/artifacts", "MLFLOW_SERVER_SECRETS_CACHE_TTL": "10"},
		"ui":        {"UI_PORT": "3000", "UI_ML_STUDIO_URL": "http://ml-studio:5001"},
	} {
		s := service(t, p, svc)
		for k, v := range kv {
			if got := env(s, k); got != v {
				t.Errorf("%s %s = %q, want %q", svc, k, got, v)
			}
		}
	}
	allowed := strings.Split(env(service(t, p, "mlflow"), "MLFLOW_SERVER_ALLOWED_HOSTS"), ",")
	for _, h := range []string{"mlflow", "mlflow:*", "localhost:*"} {
		if !slices.Contains(allowed, h) {
			t.Errorf("MLFLOW_SERVER_ALLOWED_HOSTS lacks %s: %v", h, allowed)
		}
	}
	if aliases := service(t, p, "ml_studio").Networks["default"]; aliases == nil || !slices.Contains(aliases.Aliases, "ml-studio") {
		t.Errorf("ml_studio needs the network alias ml-studio (used by ui and proxy)")
	}
	// The built services use the Dockerfiles, with the repo root as context.
	for svc, file := range map[string]string{"mlflow": "mlflow", "cerberus": "cerberus", "ml_studio": "ml_studio", "ui": "ui"} {
		b := service(t, p, svc).Build
		if b == nil || b.Context != repoRoot() || b.Dockerfile != "deploy/docker/"+file+".Dockerfile" {
			t.Errorf("%s build = %+v, want context . and deploy/docker/%s.Dockerfile", svc, b, file)
		}
	}
	if err := CheckPinned(service(t, p, "proxy").Image); err != nil {
		t.Error(err)
	}
	// The proxy's config file is there.
	for _, v := range service(t, p, "proxy").Volumes {
		if v.Type == types.VolumeTypeBind {
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("proxy mounts %s: %v", v.Source, err)
			}
		}
	}
}

func TestComposeHealthAndOrder(t *testing.T) {
	p, _ := loadCompose(t)
	for _, s := range p.Services {
		hc := s.HealthCheck
		if hc == nil || hc.Disable || len(hc.Test) < 2 || (hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL") {
			t.Errorf("%s: no healthcheck (%+v)", s.Name, hc)
			continue
		}
		if hc.Interval == nil || hc.Timeout == nil || hc.StartPeriod == nil || hc.Retries == nil {
			t.Errorf("%s: healthcheck without interval, timeout, start_period and retries", s.Name)
		}
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s depends on %s with condition %q, want service_healthy", s.Name, dep, d.Condition)
			}
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("%s: restart %q", s.Name, s.Restart)
		}
	}
	deps := func(name string) []string {
		var out []string
		for d := range service(t, p, name).DependsOn {
			out = append(out, d)
		}
		sort.Strings(out)
		return out
	}
	for svc, want := range map[string][]string{
		"mlflow": {"pg-db"}, "cerberus": {"db"}, "ml_studio": {"cerberus", "mlflow"}, "ui": {"ml_studio"}, "proxy": {"ml_studio", "ui"},
	} {
		if got := deps(svc); !slices.Equal(got, want) {
			t.Errorf("%s depends on %v, want %v", svc, got, want)
		}
	}
	// The Go images' healthchecks run the binary their Dockerfile installs.
	for _, svc := range []string{"cerberus", "ml_studio"} {
		test := service(t, p, svc).HealthCheck.Test
		if test[1] != "/usr/local/bin/healthcheck" || !strings.HasSuffix(test[2], "/readyz") {
			t.Errorf("%s healthcheck %v, want the healthcheck binary on /readyz", svc, test)
		}
	}
}

func TestComposeVolumes(t *testing.T) {
	p, _ := loadCompose(t)
	for svc, want := range map[string]struct{ volume, target string }{
		"db":     {"mysql-data", "/var/lib/mysql"},
		"pg-db":  {"postgres-data", "/var/lib/postgresql/data"},
		"mlflow": {"mlflow-artifacts", "/mlflow/artifacts"},
	} {
		s := service(t, p, svc)
		if !slices.ContainsFunc(s.Volumes, func(v types.ServiceVolumeConfig) bool {
			return v.Type == types.VolumeTypeVolume && v.Source == want.volume && v.Target == want.target
		}) {
			t.Errorf("%s does not mount the named volume %s at %s: %+v", svc, want.volume, want.target, s.Volumes)
		}
		if _, ok := p.Volumes[want.volume]; !ok {
			t.Errorf("volume %s is not declared", want.volume)
		}
	}
	// MLFLOW_ARTIFACTS_DESTINATION is the volume.
	if got := env(service(t, p, "mlflow"), "MLFLOW_ARTIFACTS_DESTINATION"); got != "/mlflow/artifacts" {
		t.Errorf("MLFLOW_ARTIFACTS_DESTINATION = %q", got)
	}
}

// secretName matches variables that hold a secret (not settings about
// secrets, such as MLFLOW_SERVER_SECRETS_CACHE_TTL).
var secretName = regexp.MustCompile(`(?i)PASSWORD|PASSPHRASE|SECRET(_KEY)?$|TOKEN|_DSN$|STORE_URI$`)

// No secret is written in docker-compose.yml: every password-like variable
// (and every connection string, which carries one) is interpolated from
// .env, and compose refuses to start without the required ones.
func TestComposeHasNoSecretLiteral(t *testing.T) {
	model, err := LoadComposeModel(context.Background(), composeFile(), ComposeOptions{Raw: true, Profiles: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	services, _ := model["services"].(map[string]any)
	if len(services) < 7 {
		t.Fatalf("raw model has %d services", len(services))
	}
	interpolation := regexp.MustCompile(`\$\{[^}]*\}`)
	checked := 0
	for name, s := range services {
		environment, _ := s.(map[string]any)["environment"].(map[string]any)
		for k, raw := range environment {
			if !secretName.MatchString(k) {
				continue
			}
			checked++
			v, _ := raw.(string)
			if !strings.Contains(v, "${") {
				t.Errorf("%s: %s is written in the file (%v); take it from .env", name, k, raw)
				continue
			}
			// Only interpolations may carry a password: in
			// mysql://blendata:${MYSQL_PASSWORD...}@db:3306/auth the user
			// part ends where the interpolation starts.
			for _, part := range interpolation.Split(v, -1) {
				if userinfo, _, ok := strings.Cut(part, "@"); ok && strings.Count(userinfo, ":") > 1 {
					t.Errorf("%s: %s holds credentials: %q", name, k, v)
				}
			}
		}
	}
	if checked < 6 {
		t.Errorf("only %d secret-like variables found: the check is not looking", checked)
	}
	// The generated values appear nowhere in the file itself.
	text, err := os.ReadFile(composeFile())
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(repoPath(".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(example), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(v, Placeholder) {
			if strings.Contains(string(text), v) {
				t.Errorf("docker-compose.yml contains .env.example's placeholder of %s", k)
			}
			if !strings.Contains(string(text), "${"+k+":?") {
				t.Errorf("docker-compose.yml does not require %s (${%s:?message})", k, k)
			}
		}
	}
	// Without a .env, compose stops and names the missing variable.
	empty := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(empty, []byte("# nothing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = LoadCompose(context.Background(), composeFile(), ComposeOptions{EnvFiles: []string{empty}})
	if err == nil || !strings.Contains(err.Error(), "PASSWORD") || !strings.Contains(err.Error(), ".env") {
		t.Errorf("loading without .env: %v, want a message naming the missing password and .env", err)
	}
}

// .env.example documents every variable the compose file reads.
func TestEnvExampleCoversComposeVariables(t *testing.T) {
	text, err := os.ReadFile(composeFile())
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile(repoPath(".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, line := range strings.Split(string(example), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			defined[k] = true
		}
	}
	// Strip $$ (a literal $ for the container's shell) first.
	used := regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`).FindAllStringSubmatch(strings.ReplaceAll(string(text), "$$", ""), -1)
	for _, m := range used {
		if !defined[m[1]] {
			t.Errorf("docker-compose.yml reads ${%s}, which .env.example does not document", m[1])
		}
	}
	if len(used) == 0 {
		t.Fatal("no variable found in docker-compose.yml")
	}
}

func TestGenerateEnv(t *testing.T) {
	dir := t.TempDir()
	example := filepath.Join(dir, "example")
	if err := os.WriteFile(example, []byte("# A=change-me\nA=change-me-a\nB=keep\nC=change-me-c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path, gen, err := GenerateEnv(example, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) != 2 || gen["A"] == gen["C"] || !strings.Contains(string(got), "B=keep\n") || !strings.Contains(string(got), "A="+gen["A"]+"\n") || !strings.HasPrefix(string(got), "# A=change-me\n") {
		t.Errorf("generated %v:\n%s", gen, got)
	}
}
