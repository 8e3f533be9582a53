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

// TestSingleSignOnRedirectsReachTheBrowser: cerberus's redirects to the
// identity provider and back, and the sign-in cookie, reach the browser as
// cerberus sent them; ml_studio follows none of them itself.
func TestSingleSignOnRedirectsReachTheBrowser(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "cerberus_sso", Value: "verifier", Path: "/api/auth/oidc", HttpOnly: true, SameSite: http.SameSiteLaxMode})
		switch r.URL.Path {
		case "/api/auth/oidc/login":
			http.Redirect(w, r, "http://127.0.0.1:1/realms/r/protocol/openid-connect/auth?state=s", http.StatusFound)
		default:
			http.Redirect(w, r, "/signin?sso_ticket=t", http.StatusFound)
		}
	}))
	defer fake.Close()
	hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
	srv := server.New(server.Config{}, zaptest.NewLogger(t), "ml_studio")
	api.Register(srv.Engine(), &api.Deps{MLflow: mlflow.New("http://127.0.0.1:1", hc, hc), Access: access.NewAuthorizer(denyAll{}, 0),
		DefaultProject: "default", CerberusURL: fake.URL, CerberusTransport: hc})
	front := httptest.NewServer(srv.Engine())
	defer front.Close()
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]string{
		"/api/auth/oidc/login?next=%2F":          "http://127.0.0.1:1/realms/r/protocol/openid-connect/auth?state=s",
		"/api/auth/oidc/callback?state=s&code=c": "/signin?sso_ticket=t",
	} {
		resp, err := browser.Get(front.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
			t.Errorf("%s: %d to %q, want 302 to %q", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
		if c := resp.Header.Get("Set-Cookie"); !strings.Contains(c, "cerberus_sso=verifier") || !strings.Contains(c, "HttpOnly") {
			t.Errorf("%s: Set-Cookie %q", path, c)
		}
	}
}
