package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/server"
)

func TestServesTheAppAndRelaysTheAPI(t *testing.T) {
	dist := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dist, "assets"), 0o755))
	must(os.WriteFile(filepath.Join(dist, "index.html"), []byte("<html>app</html>"), 0o644))
	must(os.WriteFile(filepath.Join(dist, "assets", "main-abc.js"), []byte("console.log(1)"), 0o644))
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "backend "+r.Method+" "+r.URL.RequestURI()+" auth="+r.Header.Get("Authorization")+" xff="+r.Header.Get("X-Forwarded-For"))
	}))
	defer backend.Close()
	target, _ := url.Parse(backend.URL)
	srv := server.New(server.Config{}, zap.NewNop(), "ui")
	Register(srv.Engine(), dist, target)
	front := httptest.NewServer(srv.Engine())
	defer front.Close()

	tests := []struct {
		method, path, want, cache string
		status                    int
	}{
		{"GET", "/", "<html>app</html>", "no-cache", 200},
		{"GET", "/experiments/12/runs", "<html>app</html>", "no-cache", 200},
		{"GET", "/assets/main-abc.js", "console.log(1)", "immutable", 200},
		{"GET", "/../../etc/passwd", "invalid URL path", "", 400}, // refused before any file is looked at
		{"POST", "/api/experiments/search?x=1", "backend POST /api/experiments/search?x=1 auth=Bearer t xff=127.0.0.1", "", 200},
		{"GET", "/ajax-api/2.0/mlflow/runs/get", "backend GET /ajax-api/2.0/mlflow/runs/get auth=Bearer t", "", 200},
		{"GET", "/healthz", `"ok"`, "", 200},
		{"POST", "/somewhere", "method not allowed", "", 405},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, front.URL+tt.path, nil)
			req.Header.Set("Authorization", "Bearer t")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) || !strings.Contains(resp.Header.Get("Cache-Control"), tt.cache) {
				t.Fatalf("%d %q cache %q", resp.StatusCode, body, resp.Header.Get("Cache-Control"))
			}
		})
	}
}
