package cerberus_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

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

// TestRevisions: the client reads the access revision of every answer —
// its own calls, relayed ones (Transport) and polls (Watch) — and tags each
// decision with the revision it reflects; an answer vouching for none
// (no X-Access-Revision) tags nothing and does not count as heard.
func TestRevisions(t *testing.T) {
	var (
		mu            sync.Mutex
		floor, latest string
		polls         int
	)
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if floor != "" {
			w.Header().Set(cerberus.RevisionHeader, floor)
		}
		if latest != "" {
			w.Header().Set(cerberus.LatestRevisionHeader, latest)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/access/revision":
			polls++
			_, _ = w.Write([]byte(`{}`))
		case "/api/authorize":
			_, _ = w.Write([]byte(`{"allowed":true,"reason":"grant"}`))
		case "/api/authorize/batch":
			_, _ = w.Write([]byte(`{"decisions":{"experiment:1":{"allowed":true},"experiment:2":{"allowed":false}}}`))
		case "/api/authorize/readable":
			_, _ = w.Write([]byte(`{"all":false,"names":["experiment:1"]}`))
		default:
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"no"}`))
		}
	}))
	defer fake.Close()
	set := func(f, l string) {
		mu.Lock()
		floor, latest = f, l
		mu.Unlock()
	}
	const cred = cerberus.Credential("Bearer x")
	known := func(n uint64) cerberus.Revision { return cerberus.Revision{N: n, Known: true} }

	tests := []struct {
		name         string
		floor, late  string
		call         func(c *cerberus.Client) (cerberus.Revision, error)
		want         cerberus.Revision
		wantLatest   uint64
		wantHeard    bool
		wantErrorMsg bool
	}{
		{"a decision", "4", "5", func(c *cerberus.Client) (cerberus.Revision, error) {
			d, err := c.Authorize(t.Context(), cred, "experiment:1", "read")
			return d.Revision, err
		}, known(4), 5, true, false},
		{"each decision of a batch", "6", "6", func(c *cerberus.Client) (cerberus.Revision, error) {
			ds, err := c.AuthorizeBatch(t.Context(), cred, []string{"experiment:1", "experiment:2"}, "read")
			if len(ds) != 2 || ds["experiment:1"].Revision != ds["experiment:2"].Revision {
				t.Errorf("batch decisions %+v", ds)
			}
			return ds["experiment:2"].Revision, err
		}, known(6), 6, true, false},
		{"a readable set", "7", "8", func(c *cerberus.Client) (cerberus.Revision, error) {
			r, err := c.Readable(t.Context(), cred, "experiment", "read")
			return r.Revision, err
		}, known(7), 8, true, false},
		{"an answer vouching for nothing", "", "9", func(c *cerberus.Client) (cerberus.Revision, error) {
			d, err := c.Authorize(t.Context(), cred, "experiment:1", "read")
			return d.Revision, err
		}, cerberus.Revision{}, 9, false, false},
		{"a refusal still tells the revision", "3", "10", func(c *cerberus.Client) (cerberus.Revision, error) {
			return cerberus.Revision{N: 3, Known: true}, c.Register(t.Context(), cred, "experiment:1", "")
		}, known(3), 10, true, true},
		{"a relayed write", "", "11", func(c *cerberus.Client) (cerberus.Revision, error) {
			req, _ := http.NewRequest(http.MethodPost, fake.URL+"/api/grants", nil)
			resp, err := c.Transport().RoundTrip(req)
			if err == nil {
				_ = resp.Body.Close()
			}
			return cerberus.Revision{}, err
		}, cerberus.Revision{}, 11, false, false},
		{"a lower latest never lowers what is known", "2", "2", func(c *cerberus.Client) (cerberus.Revision, error) {
			d, err := c.Authorize(t.Context(), cred, "experiment:1", "read")
			return d.Revision, err
		}, known(2), 11, true, false},
	}
	// One client through every case: what it knows adds up.
	client := cerberus.New(fake.URL, httpclient.New(httpclient.Defaults(), zap.NewNop()), "registrar-secret-0123")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set(tt.floor, tt.late)
			before := client.Revisions().Heard()
			got, err := tt.call(client)
			if (err != nil) != tt.wantErrorMsg {
				t.Fatalf("error %v", err)
			}
			if got != tt.want {
				t.Errorf("revision %+v, want %+v", got, tt.want)
			}
			if l := client.Revisions().Latest(); l != tt.wantLatest {
				t.Errorf("latest %d, want %d", l, tt.wantLatest)
			}
			if heard := client.Revisions().Heard().After(before); heard != tt.wantHeard {
				t.Errorf("heard moved: %v, want %v", heard, tt.wantHeard)
			}
		})
	}

	t.Run("Watch polls until its context ends", func(t *testing.T) {
		set("13", "14")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() { defer close(done); client.Watch(ctx, 10*time.Millisecond) }()
		deadline := time.Now().Add(5 * time.Second)
		for client.Revisions().Latest() != 14 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-done
		mu.Lock()
		n := polls
		mu.Unlock()
		if client.Revisions().Latest() != 14 || n == 0 {
			t.Fatalf("latest %d after %d polls, want 14", client.Revisions().Latest(), n)
		}
	})
}
