package api_test

import (
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
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/mlflow"
)

// TestCerberusSeesTheClientAddress: the audit's F5. Cerberus throttles
// failed logins per client address, so every call ml_studio makes for a
// person — a relayed sign-in, and the decision that checks basic
// credentials on the seed API and on the MLflow surface — names that
// person's address: the TCP peer, or what a trusted proxy
// (ML_STUDIO_TRUSTED_PROXIES) forwarded for; never what anyone else claims.
func TestCerberusSeesTheClientAddress(t *testing.T) {
	type seen struct{ xff, realIP string }
	var (
		mu  sync.Mutex
		got map[string]seen // by path
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = seen{r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Real-Ip")}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/auth/login" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"wrong username or password"}`))
			return
		}
		_, _ = w.Write([]byte(`{"allowed":false,"reason":"no grant"}`))
	}))
	defer fake.Close()

	// The test's client connects from 127.0.0.1.
	tests := []struct {
		name    string
		trusted []string // ML_STUDIO_TRUSTED_PROXIES
		header  http.Header
		want    string
	}{
		{"no proxy: the TCP peer", nil, nil, "127.0.0.1"},
		{"an untrusted peer's X-Forwarded-For is ignored", nil, http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "127.0.0.1"},
		{"an untrusted peer's X-Real-IP is ignored", nil, http.Header{"X-Real-Ip": {"203.0.113.9"}}, "127.0.0.1"},
		{"another proxy is no trusted one", []string{"10.0.0.0/8"}, http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "127.0.0.1"},
		{"a trusted proxy's X-Forwarded-For names the client", []string{"127.0.0.1"}, http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"the rightmost address no trusted proxy added", []string{"127.0.0.1", "10.0.0.0/8"},
			http.Header{"X-Forwarded-For": {"198.51.100.1, 203.0.113.9, 10.1.2.3"}}, "203.0.113.9"},
		{"a trusted proxy without X-Forwarded-For is the client", []string{"127.0.0.1"}, nil, "127.0.0.1"},
	}
	calls := []struct {
		name, method, path, body, cerberusPath string
	}{
		{"relayed sign-in", http.MethodPost, "/api/auth/login", `{"username":"alice","password":"wrong"}`, "/api/auth/login"},
		{"seed API with basic credentials", http.MethodGet, "/api/experiments/get?experiment_id=1", "", "/api/authorize"},
		{"MLflow surface with basic credentials", http.MethodGet, "/api/2.0/mlflow/experiments/get?experiment_id=1", "", "/api/authorize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := httpclient.New(httpclient.Defaults(), zap.NewNop())
			srv := server.New(server.Config{TrustedProxies: tt.trusted}, zaptest.NewLogger(t), "ml_studio")
			api.Register(srv.Engine(), &api.Deps{
				MLflow:         mlflow.New("http://127.0.0.1:1", hc, hc),
				Access:         access.NewAuthorizer(cerberus.New(fake.URL, hc, ""), 0),
				DefaultProject: "default",
				CerberusURL:    fake.URL, CerberusTransport: hc,
			})
			front := httptest.NewServer(srv.Engine())
			defer front.Close()
			for _, c := range calls {
				mu.Lock()
				got = map[string]seen{}
				mu.Unlock()
				req, err := http.NewRequest(c.method, front.URL+c.path, strings.NewReader(c.body))
				if err != nil {
					t.Fatal(err)
				}
				req.SetBasicAuth("alice", "wrong")
				for k, vs := range tt.header {
					req.Header[k] = vs
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = resp.Body.Close()
				mu.Lock()
				s, ok := got[c.cerberusPath]
				mu.Unlock()
				switch {
				case !ok:
					t.Errorf("%s: %d without calling cerberus's %s", c.name, resp.StatusCode, c.cerberusPath)
				case s.xff != tt.want:
					t.Errorf("%s: cerberus got X-Forwarded-For %q, want %q", c.name, s.xff, tt.want)
				case s.realIP != "":
					t.Errorf("%s: cerberus got X-Real-IP %q", c.name, s.realIP)
				}
			}
		})
	}
}
