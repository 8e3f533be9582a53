package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ml-studio/ml-studio/pkg/httpclient"
	"github.com/ml-studio/ml-studio/pkg/requestid"
)

// watchdog bounds every wait, so a regression fails instead of hanging; it
// is far above any normal duration and asserts no speed.
const watchdog = 20 * time.Second

func testConfig() httpclient.Config {
	return httpclient.Config{
		Timeout:      10 * time.Second,
		RetryMax:     2,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
		MaxIdleConns: 4,
	}
}

// upstream is a test server that counts attempts and TCP connections and
// records what each attempt received.
type upstream struct {
	*httptest.Server
	attempts atomic.Int32
	conns    atomic.Int32

	mu       sync.Mutex
	bodies   []string
	ids      []string
	idHeader []bool
}

func newUpstream(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, attempt int)) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, string(body))
		_, has := r.Header[http.CanonicalHeaderKey(requestid.Header)]
		u.ids = append(u.ids, r.Header.Get(requestid.Header))
		u.idHeader = append(u.idHeader, has)
		u.mu.Unlock()
		handle(w, r, int(u.attempts.Add(1)))
	}))
	u.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			u.conns.Add(1)
		}
	}
	u.Start()
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) received() (bodies, ids []string, idHeader []bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.bodies...), append([]string(nil), u.ids...), append([]bool(nil), u.idHeader...)
}

// failing answers status for the first failures attempts, then 200 "ok".
func failing(status, failures int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, attempt int) {
		if attempt <= failures {
			w.Header().Set("X-Attempt", fmt.Sprint(attempt))
			w.WriteHeader(status)
			fmt.Fprintf(w, "failure %d", attempt)
			return
		}
		fmt.Fprint(w, "ok")
	}
}

func send(t *testing.T, c *httpclient.Client, ctx context.Context, method, url, body string) (*http.Response, string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		resp, err := c.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- answer{resp, string(b), err}
	}()
	select {
	case a := <-done:
		return a.resp, a.body, a.err
	case <-time.After(watchdog):
		t.Fatalf("%s %s did not return within %s", method, url, watchdog)
		return nil, "", nil
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		markIdem     bool
		status       int // the failure status
		failures     int
		wantAttempts int
		wantStatus   int
		wantBody     string
	}{
		{"GET retried on 503 then succeeds", http.MethodGet, false, 503, 2, 3, 200, "ok"},
		{"GET retried on 500", http.MethodGet, false, 500, 1, 2, 200, "ok"},
		{"GET retried on 429", http.MethodGet, false, 429, 1, 2, 200, "ok"},
		{"GET retried on 502", http.MethodGet, false, 502, 2, 3, 200, "ok"},
		{"GET not retried on 404", http.MethodGet, false, 404, 1, 1, 404, "failure 1"},
		{"GET not retried on 400", http.MethodGet, false, 400, 1, 1, 400, "failure 1"},
		{"HEAD retried", http.MethodHead, false, 503, 1, 2, 200, ""},
		{"OPTIONS retried", http.MethodOptions, false, 503, 1, 2, 200, "ok"},
		{"POST not retried on 503", http.MethodPost, false, 503, 1, 1, 503, "failure 1"},
		{"PUT not retried", http.MethodPut, false, 503, 1, 1, 503, "failure 1"},
		{"PATCH not retried", http.MethodPatch, false, 503, 1, 1, 503, "failure 1"},
		{"DELETE not retried", http.MethodDelete, false, 503, 1, 1, 503, "failure 1"},
		{"marked POST retried", http.MethodPost, true, 503, 1, 2, 200, "ok"},
		{"marked POST exhausted", http.MethodPost, true, 503, 10, 3, 503, "failure 3"},
		{"GET exhausted returns the last answer", http.MethodGet, false, 503, 10, 3, 503, "failure 3"},
		{"GET exhausted on 500", http.MethodGet, false, 500, 10, 3, 500, "failure 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUpstream(t, failing(tt.status, tt.failures))
			c := httpclient.New(testConfig(), zap.NewNop())
			ctx := context.Background()
			if tt.markIdem {
				ctx = httpclient.MarkIdempotent(ctx)
			}
			const payload = `{"query":"runs"}`
			body := ""
			if tt.method == http.MethodPost || tt.method == http.MethodPut || tt.method == http.MethodPatch {
				body = payload
			}

			resp, got, err := send(t, c, ctx, tt.method, u.URL+"/x", body)
			if err != nil {
				t.Fatalf("Do = %v, want the upstream's answer", err)
			}
			if n := int(u.attempts.Load()); n != tt.wantAttempts {
				t.Errorf("attempts = %d, want %d", n, tt.wantAttempts)
			}
			if resp.StatusCode != tt.wantStatus || (tt.method != http.MethodHead && got != tt.wantBody) {
				t.Errorf("answer = %d %q, want %d %q", resp.StatusCode, got, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus != 200 {
				// The upstream's own response, not a synthetic one.
				if h := resp.Header.Get("X-Attempt"); h != fmt.Sprint(tt.wantAttempts) {
					t.Errorf("X-Attempt = %q, want the last attempt's %d", h, tt.wantAttempts)
				}
			}
			bodies, _, _ := u.received()
			for i, b := range bodies {
				if b != body {
					t.Errorf("attempt %d received body %q, want %q", i+1, b, body)
				}
			}
		})
	}
}

func TestRetryAfterIsBounded(t *testing.T) {
	// An upstream asking for an hour's pause must not stall the caller.
	u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, attempt int) {
		if attempt == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ok")
	})
	c := httpclient.New(testConfig(), zap.NewNop())
	resp, body, err := send(t, c, context.Background(), http.MethodGet, u.URL, "")
	if err != nil || resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("Do = %v, %v, want 200 ok", resp, err)
	}
	if n := u.attempts.Load(); n != 2 {
		t.Errorf("attempts = %d, want 2", n)
	}
}

func TestExhaustedKeepsRetryAfter(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c := httpclient.New(testConfig(), zap.NewNop())
	resp, _, err := send(t, c, context.Background(), http.MethodGet, u.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "30" {
		t.Errorf("answer = %d Retry-After %q, want the upstream's 503 with Retry-After 30", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	cfg := testConfig()
	cfg.RetryWaitMin, cfg.RetryWaitMax = time.Hour, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.WriteHeader(http.StatusServiceUnavailable)
		cancel() // the caller gives up while the client waits to retry
	})
	c := httpclient.New(cfg, zap.NewNop())
	_, _, err := send(t, c, ctx, http.MethodGet, u.URL, "")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want context.Canceled", err)
	}
	if n := u.attempts.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestRequestIDForwarded(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		ctxID    string
		headerID string // set by the caller on the request
		want     string // "" means no header at all
	}{
		{"GET with id", http.MethodGet, "req-42", "", "req-42"},
		{"POST with id", http.MethodPost, "req-43", "", "req-43"},
		{"caller's header wins", http.MethodGet, "req-44", "explicit", "explicit"},
		{"no id", http.MethodGet, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One failure first, so a retried GET shows the id on every attempt.
			u := newUpstream(t, failing(http.StatusServiceUnavailable, 1))
			c := httpclient.New(testConfig(), zap.NewNop())
			ctx := context.Background()
			if tt.ctxID != "" {
				ctx = requestid.NewContext(ctx, tt.ctxID)
			}
			req, err := http.NewRequestWithContext(ctx, tt.method, u.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.headerID != "" {
				req.Header.Set(requestid.Header, tt.headerID)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()

			_, ids, has := u.received()
			if len(ids) == 0 {
				t.Fatal("the upstream saw no request")
			}
			for i := range ids {
				if ids[i] != tt.want || has[i] != (tt.want != "") {
					t.Errorf("attempt %d: X-Request-ID = %q (present %v), want %q", i+1, ids[i], has[i], tt.want)
				}
			}
			if tt.headerID == "" && req.Header.Get(requestid.Header) != "" {
				t.Error("the caller's request was modified")
			}
		})
	}
}

func TestTimeout(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			release := make(chan struct{})
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				select { // slower than the client's Timeout
				case <-r.Context().Done():
				case <-release:
				}
			})
			t.Cleanup(func() { close(release) }) // runs before u.Close
			cfg := testConfig()
			cfg.Timeout = 100 * time.Millisecond
			cfg.RetryMax = 1
			c := httpclient.New(cfg, zap.NewNop())

			resp, _, err := send(t, c, context.Background(), method, u.URL, "")
			if err == nil {
				t.Fatalf("Do = %d, want a timeout error", resp.StatusCode)
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("Do error = %v, want a timeout", err)
			}
			// A slow upstream is not asked again: a retry would multiply
			// the caller's wait and the upstream's load.
			if n := u.attempts.Load(); n != 1 {
				t.Errorf("attempts = %d, want 1: a timeout is not retried", n)
			}
		})
	}
}

func TestConnectionReuse(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request, attempt int) {
		if r.URL.Path == "/flaky" && attempt%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, strings.Repeat("x", 512)) // drained by the client before the retry
			return
		}
		fmt.Fprint(w, "ok")
	})
	c := httpclient.New(testConfig(), zap.NewNop())
	ctx := requestid.NewContext(context.Background(), "reuse")
	const rounds = 10
	for i := range rounds {
		for _, r := range []struct{ method, path, body string }{
			{http.MethodGet, "/a", ""},
			{http.MethodPost, "/b", "payload"},
			{http.MethodGet, "/flaky", ""},
		} {
			resp, body, err := send(t, c, ctx, r.method, u.URL+r.path, r.body)
			if err != nil || resp.StatusCode != 200 || body != "ok" {
				t.Fatalf("round %d %s %s: %v %v", i, r.method, r.path, resp, err)
			}
		}
		if err := c.Probe(ctx, u.URL+"/healthz"); err != nil {
			t.Fatalf("round %d probe: %v", i, err)
		}
	}
	if n := u.conns.Load(); n < 1 || n > 2 {
		t.Errorf("%d TCP connections for %d sequential requests, want at most 2", n, u.attempts.Load())
	}
}

func TestProbe(t *testing.T) {
	tests := []struct {
		status  int
		wantErr bool
	}{
		{http.StatusOK, false},
		{http.StatusNoContent, true},
		{http.StatusNotFound, true},
		{http.StatusInternalServerError, true},
		{http.StatusServiceUnavailable, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(tt.status) })
			c := httpclient.New(testConfig(), zap.NewNop())
			err := c.Probe(context.Background(), u.URL+"/healthz")
			if (err != nil) != tt.wantErr {
				t.Fatalf("Probe = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), fmt.Sprint(tt.status)) {
				t.Errorf("Probe error %q does not name the status %d", err, tt.status)
			}
		})
	}
}

func TestProbeUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	c := httpclient.New(testConfig(), zap.NewNop())
	if err := c.Probe(context.Background(), "http://"+addr+"/healthz"); err == nil {
		t.Error("Probe of a closed port = nil")
	}
	if err := c.Probe(context.Background(), "://not a url"); err == nil {
		t.Error("Probe of an invalid URL = nil")
	}
}

type otherKey struct{}

func TestIdempotent(t *testing.T) {
	marked := httpclient.MarkIdempotent(context.Background())
	tests := []struct {
		method string
		ctx    context.Context
		want   bool
	}{
		{http.MethodGet, context.Background(), true},
		{http.MethodHead, context.Background(), true},
		{http.MethodOptions, context.Background(), true},
		{http.MethodPost, context.Background(), false},
		{http.MethodPut, context.Background(), false},
		{http.MethodPatch, context.Background(), false},
		{http.MethodDelete, context.Background(), false},
		{http.MethodPost, marked, true},
		{http.MethodPatch, marked, true},
		{http.MethodPost, context.WithValue(marked, otherKey{}, "derived"), true},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(tt.ctx, tt.method, "http://upstream/x", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := httpclient.Idempotent(req); got != tt.want {
			t.Errorf("Idempotent(%s, marked=%v) = %v, want %v", tt.method, tt.ctx == marked, got, tt.want)
		}
	}
}

// endingCtx reports an end through Err once ended, without closing Done. It
// opens, deterministically, the window in which a caller's context ends after
// the upstream answered but before the client decides whether to retry.
type endingCtx struct {
	context.Context
	ended atomic.Bool
}

func (c *endingCtx) Err() error {
	if c.ended.Load() {
		return context.Canceled
	}
	return c.Context.Err()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestContextEndingAfterAnswer(t *testing.T) {
	// net/http reports a RoundTripper that returns both an answer and an
	// error on the standard logger, and drops the answer unclosed.
	var logged lockedBuffer
	prev := log.Writer()
	log.SetOutput(&logged)
	t.Cleanup(func() { log.SetOutput(prev) })

	ctx := &endingCtx{Context: context.Background()}
	u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		ctx.ended.Store(true)
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, "busy")
	})
	c := httpclient.New(testConfig(), zap.NewNop())
	if _, _, err := send(t, c, ctx, http.MethodGet, u.URL, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Do = %v, want context.Canceled", err)
	}
	if n := u.attempts.Load(); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
	if out := logged.String(); strings.Contains(out, "RoundTripper returned a response & error") {
		t.Errorf("the answer was dropped unclosed: %s", out)
	}
}

// TestRoundTripPassesRedirectsOn: as a reverse proxy's transport the client
// answers a redirect as it came (the browser follows it: single sign-on's
// redirect to the identity provider), while Do follows it as a client does.
func TestRoundTripPassesRedirectsOn(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte("another site's page"))
	}))
	defer other.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "c", Value: "v"})
		http.Redirect(w, r, other.URL+"/login", http.StatusFound)
	}))
	defer up.Close()
	c := httpclient.New(httpclient.Defaults(), zap.NewNop())
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		req, _ := http.NewRequest(method, up.URL+"/begin", nil)
		resp, err := c.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != other.URL+"/login" || resp.Header.Get("Set-Cookie") == "" {
			t.Errorf("%s: RoundTrip answered %d, Location %q: want the redirect itself", method, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("RoundTrip followed the redirect %d times", n)
	}
	req, _ := http.NewRequest(http.MethodGet, up.URL+"/begin", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || elsewhere.Load() != 1 {
		t.Errorf("Do: %d, want the redirect followed", resp.StatusCode)
	}
}

// TestOutageLogIsBounded: an upstream that is down fails every attempt of
// every call; the warnings stay a handful, not one per attempt.
func TestOutageLogIsBounded(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	core, logs := observer.New(zap.WarnLevel)
	cfg := testConfig()
	cfg.RetryWaitMin, cfg.RetryWaitMax = time.Millisecond, time.Millisecond
	c := httpclient.New(cfg, zap.New(core))
	const calls = 40
	for range calls {
		if err := c.Probe(context.Background(), "http://"+addr+"/api/access/revision"); err == nil {
			t.Fatal("Probe of a closed port = nil")
		}
	}
	attempts := calls * (cfg.RetryMax + 1)
	if n := logs.FilterMessage("request failed").Len(); n == 0 || n > 5+attempts/100 {
		t.Errorf("%d warnings for %d failed attempts, want 1 to %d", n, attempts, 5+attempts/100)
	}
}
