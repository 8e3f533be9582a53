package validate

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func nginxBin(t *testing.T) string {
	t.Helper()
	return tool(t, "NGINX_BIN", "bin/tools/nginx/usr/sbin/nginx", "nginx")
}

// upstream is a stub service that records what nginx forwards to it.
type upstream struct {
	name string
	srv  *httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, uri string
	header      http.Header
	bodyLen     int64
}

func newUpstream(t *testing.T, name string) *upstream {
	u := &upstream{name: name}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		u.mu.Lock()
		u.seen = append(u.seen, seenRequest{r.Method, r.RequestURI, r.Header.Clone(), n})
		u.mu.Unlock()
		w.Header().Set("X-Upstream", name)
		w.WriteHeader(http.StatusTeapot)
		_, _ = fmt.Fprintf(w, "%s %s", name, r.RequestURI)
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) addr() string { return strings.TrimPrefix(u.srv.URL, "http://") }

func (u *upstream) last(t *testing.T) seenRequest {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.seen) == 0 {
		t.Fatalf("%s received nothing", u.name)
	}
	return u.seen[len(u.seen)-1]
}

// nginxRun renders a template as the image would, wraps it in a minimal
// nginx.conf of the same shape as the image's (the template is one file of
// conf.d inside http {}), checks it with nginx -t and serves it.
func nginxRun(t *testing.T, templatePath, portVar string, vars map[string]string, replace map[string]string) string {
	t.Helper()
	nginx := nginxBin(t)
	template := filepath.Base(templatePath)
	text, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range TemplateVariables(string(text)) {
		if _, ok := vars[v]; !ok {
			t.Fatalf("%s uses ${%s}, which the test does not set", template, v)
		}
	}
	conf := RenderTemplate(string(text), vars)
	for from, to := range replace {
		if !strings.Contains(conf, from) {
			t.Fatalf("%s has no %q", template, from)
		}
		conf = strings.ReplaceAll(conf, from, to)
	}
	if left := regexp.MustCompile(`\$\{[A-Z_]+\}`).FindString(conf); left != "" {
		t.Fatalf("%s left unrendered", left)
	}
	dir := t.TempDir()
	worldReadable(t, dir)
	if err := os.MkdirAll(filepath.Join(dir, "conf.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "conf.d", "default.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := `pid nginx.pid;
error_log stderr notice;
worker_processes 1;
events { worker_connections 64; }
http {
    types { text/html html; text/css css; application/javascript js; image/svg+xml svg; }
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path tmp/client;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    include conf.d/*.conf;
}
`
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-p", dir + "/", "-c", "nginx.conf", "-e", "stderr"}
	if out, err := exec.Command(nginx, append(args, "-t")...).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t of %s: %v\n%s\n--- rendered:\n%s", template, err, out, conf)
	}
	// NGINX in the environment means inherited sockets to nginx.
	p := start(t, dir, environ(nil, "NGINX"), nginx, append(args, "-g", "daemon off;")...)
	base := "http://127.0.0.1:" + vars[portVar]
	waitHTTP(t, base+"/healthz", http.StatusOK, 10*time.Second, p.alive)
	return base
}

type got struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, body io.Reader, header map[string]string) got {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return got{resp.StatusCode, resp.Header, string(b)}
}

// The variables the image fills in are the ones its Dockerfile or compose
// sets, and NGINX_ENVSUBST_FILTER lets them through.
func TestNginxTemplateVariablesAreProvided(t *testing.T) {
	p, _ := loadCompose(t)
	proxy := service(t, p, "proxy")
	proxyEnv := map[string]string{}
	for k, v := range proxy.Environment {
		if v != nil {
			proxyEnv[k] = *v
		}
	}
	for template, env := range map[string]map[string]string{"proxy.conf.template": proxyEnv} {
		text, err := os.ReadFile(repoPath("deploy", "nginx", template))
		if err != nil {
			t.Fatal(err)
		}
		filter, err := regexp.Compile(env["NGINX_ENVSUBST_FILTER"])
		if err != nil || env["NGINX_ENVSUBST_FILTER"] == "" {
			t.Fatalf("%s: NGINX_ENVSUBST_FILTER %q: %v", template, env["NGINX_ENVSUBST_FILTER"], err)
		}
		if env["NGINX_ENTRYPOINT_LOCAL_RESOLVERS"] == "" {
			t.Errorf("%s: NGINX_ENTRYPOINT_LOCAL_RESOLVERS unset, so ${NGINX_LOCAL_RESOLVERS} stays empty", template)
		}
		vars := TemplateVariables(string(text))
		if len(vars) < 3 {
			t.Fatalf("%s: only %v", template, vars)
		}
		for _, v := range vars {
			if _, ok := env[v]; !ok && v != "NGINX_LOCAL_RESOLVERS" {
				t.Errorf("%s uses ${%s}, which is not set", template, v)
			}
			if !filter.MatchString(v) {
				t.Errorf("%s uses ${%s}, which NGINX_ENVSUBST_FILTER %q leaves alone", template, v, filter)
			}
		}
		// nginx's own variables must not be taken for environment variables.
		for _, own := range []string{"HOSTNAME", "HOME", "PATH", "host", "uri"} {
			if filter.MatchString(own) {
				t.Errorf("NGINX_ENVSUBST_FILTER %q would substitute $%s", filter, own)
			}
		}
	}
	if got := RenderTemplate("a ${X} $X $host $1 ${Y}", map[string]string{"X": "x"}); got != "a x x $host $1 ${Y}" {
		t.Errorf("RenderTemplate = %q", got)
	}
}

func TestNginxProxyProfile(t *testing.T) {
	ui, api := newUpstream(t, "ui"), newUpstream(t, "ml_studio")
	base := nginxRun(t, repoPath("deploy", "nginx", "proxy.conf.template"), "PROXY_PORT", map[string]string{
		"PROXY_PORT":               fmt.Sprint(freePort(t)),
		"PROXY_UI_UPSTREAM":        ui.addr(),
		"PROXY_ML_STUDIO_UPSTREAM": api.addr(),
		"NGINX_LOCAL_RESOLVERS":    "127.0.0.1",
	}, nil)
	for path, want := range map[string]struct {
		up  *upstream
		uri string
	}{
		"/":                                    {ui, "/"},
		"/experiments/7":                       {ui, "/experiments/7"},
		"/api/experiments/get?experiment_id=1": {api, "/api/experiments/get?experiment_id=1"},
		"/api/2.0/mlflow/experiments/search":   {api, "/api/2.0/mlflow/experiments/search"},
		"/api/2.0/mlflow-artifacts/artifacts/1/a":  {api, "/api/2.0/mlflow-artifacts/artifacts/1/a"},
		"/ajax-api/2.0/mlflow/runs/get?run_id=abc": {api, "/ajax-api/2.0/mlflow/runs/get?run_id=abc"},
		"/cerberus/api/users":                      {ui, "/cerberus/api/users"},
	} {
		g := do(t, "GET", base+path, nil, nil)
		if g.status != http.StatusTeapot || g.header.Get("X-Upstream") != want.up.name || want.up.last(t).uri != want.uri {
			t.Errorf("GET %s: %d from %q, want %s %s", path, g.status, g.header.Get("X-Upstream"), want.up.name, want.uri)
		}
	}
	big := bytes.Repeat([]byte("y"), 3<<20)
	if g := do(t, "PUT", base+"/api/2.0/mlflow-artifacts/artifacts/1/model.bin", bytes.NewReader(big), nil); g.status != http.StatusTeapot || api.last(t).bodyLen != int64(len(big)) {
		t.Errorf("a 3 MiB artifact through the proxy: %d, upstream got %d", g.status, api.last(t).bodyLen)
	}
	if h := api.last(t).header.Get("X-Forwarded-Host"); !strings.HasPrefix(h, "127.0.0.1") {
		t.Errorf("X-Forwarded-Host %q", h)
	}
}
