package cerberus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/cerberus"
)

// TestClientSendsTheClientAddress: every call made for a person names their
// address (WithClientIP) as X-Forwarded-For, so cerberus throttles and
// audits that person and not ml_studio; without one, none is sent.
func TestClientSendsTheClientAddress(t *testing.T) {
	var (
		mu  sync.Mutex
		got = map[string][]string{} // X-Forwarded-For by path
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.Method+" "+r.URL.Path] = r.Header.Values("X-Forwarded-For")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/authorize":
			_, _ = w.Write([]byte(`{"allowed":true,"reason":"grant"}`))
		case "/api/authorize/batch":
			_, _ = w.Write([]byte(`{"decisions":{}}`))
		default:
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer fake.Close()
	c := cerberus.New(fake.URL, httpclient.New(httpclient.Defaults(), zap.NewNop()), "registrar-secret-0123")
	const cred = cerberus.Credential("Basic YWxpY2U6cHc=")

	calls := []struct {
		name string
		do   func(ctx context.Context) error
	}{
		{"POST /api/authorize", func(ctx context.Context) error {
			_, err := c.Authorize(ctx, cred, "experiment:1", "read")
			return err
		}},
		{"POST /api/authorize/batch", func(ctx context.Context) error {
			_, err := c.AuthorizeBatch(ctx, cred, []string{"experiment:1"}, "read")
			return err
		}},
		{"POST /api/authorize/readable", func(ctx context.Context) error {
			_, err := c.Readable(ctx, cred, "experiment", "read")
			return err
		}},
		{"POST /api/elements", func(ctx context.Context) error { return c.Register(ctx, cred, "experiment:1", "project:default") }},
		{"POST /api/elements/rename", func(ctx context.Context) error {
			return c.Rename(ctx, cred, "registered_model:a", "registered_model:b")
		}},
		{"DELETE /api/elements", func(ctx context.Context) error { return c.Unregister(ctx, cred, "registered_model:a") }},
	}
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want []string
	}{
		{"with the client's address", cerberus.WithClientIP(context.Background(), "203.0.113.9"), []string{"203.0.113.9"}},
		{"without", context.Background(), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range calls {
				mu.Lock()
				clear(got)
				mu.Unlock()
				if err := call.do(tt.ctx); err != nil {
					t.Fatalf("%s: %v", call.name, err)
				}
				mu.Lock()
				xff, ok := got[call.name]
				mu.Unlock()
				if !ok {
					t.Fatalf("%s was not called", call.name)
				}
				if len(xff) != len(tt.want) || (len(xff) == 1 && xff[0] != tt.want[0]) {
					t.Errorf("%s: X-Forwarded-For %q, want %q", call.name, xff, tt.want)
				}
			}
		})
	}
	if got := cerberus.ClientIP(context.Background()); got != "" {
		t.Errorf("ClientIP of a bare context = %q", got)
	}
}
