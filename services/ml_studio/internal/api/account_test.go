package api_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/access"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/api"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// TestAccountRoutesAreRelayedToCerberus: the UI's account and access
// routes reach cerberus with the caller's credentials and address, and
// nothing else of cerberus's API is reachable through ml_studio.
func TestAccountRoutesAreRelayedToCerberus(t *testing.T) {
	var (
		mu  sync.Mutex
		got *http.Request
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = r.Clone(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"from":"cerberus"}`))
	}))
	defer fake.Close()
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	srv := server.New(server.Config{}, zaptest.NewLogger(t), "ml_studio")
	api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New("http://127.0.0.1:1", hc, hc), Access: access.NewAuthorizer(denyAll{}, 0),
		DefaultProject: "default", CerberusURL: fake.URL, CerberusTransport: hc})

	// A real server: the reverse proxy needs a real connection's writer.
	front := httptest.NewServer(srv.Engine())
	defer front.Close()
	tests := []struct {
		method, path string
		relayed      bool
	}{
		{"POST", "/api/auth/login", true},
		{"GET", "/api/auth/me", true},
		{"GET", "/api/auth/providers", true},
		{"GET", "/api/auth/oidc/login?next=%2Fexperiments", true},
		{"GET", "/api/auth/oidc/callback?state=s&code=c", true},
		{"POST", "/api/auth/oidc/session", true},
		{"POST", "/api/tokens", true},
		{"DELETE", "/api/tokens/7", true},
		{"PATCH", "/api/users/alice", true},
		{"PUT", "/api/groups/team/members/bob", true},
		{"POST", "/api/grants/revoke", true},
		{"GET", "/api/elements/access?element=experiment:1", true},
		{"GET", "/api/elements?kind=project", true},
		{"GET", "/api/audit?actor=bob", true},
		{"POST", "/api/elements", false},        // only ml_studio registers what it creates
		{"POST", "/api/elements/rename", false}, // renames follow a model rename
		{"POST", "/api/authorize", true},
		{"POST", "/api/authorize/batch", true},
		{"POST", "/api/authorize/readable", false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			req, _ := http.NewRequest(tt.method, front.URL+tt.path, strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer mls_caller")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			mu.Lock()
			defer mu.Unlock()
			if !tt.relayed {
				if got != nil || resp.StatusCode < 400 {
					t.Fatalf("relayed to cerberus (%d)", resp.StatusCode)
				}
				return
			}
			if got == nil || string(body) != `{"from":"cerberus"}` {
				t.Fatalf("not relayed: %d %s", resp.StatusCode, body)
			}
			if got.URL.RequestURI() != tt.path || got.Method != tt.method {
				t.Errorf("cerberus got %s %s", got.Method, got.URL.RequestURI())
			}
			if got.Header.Get("Authorization") != "Bearer mls_caller" || got.Header.Get("X-Forwarded-For") != "127.0.0.1" {
				t.Errorf("headers %v", got.Header)
			}
		})
	}
}
