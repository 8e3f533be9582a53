package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/pkg/config"
	"github.com/ml-studio/ml-studio/pkg/requestid"
	"github.com/ml-studio/ml-studio/pkg/server"
)

const service = "testsvc"

// watchdog bounds every wait, so a regression fails the test instead of
// hanging it; it is far above any normal duration and asserts no speed.
const watchdog = 20 * time.Second

func testConfig() server.Config {
	return server.Config{
		Host:              "127.0.0.1",
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       30 * time.Second,
		ShutdownTimeout:   30 * time.Second,
		ReadyTimeout:      10 * time.Second,
	}
}

type fixture struct {
	s    *server.Server
	logs *observer.ObservedLogs
}

// newServer builds a server whose log is recorded, with a few routes.
func newServer(t *testing.T, cfg server.Config, checks ...server.Check) *fixture {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	s := server.New(cfg, zap.New(core), service, checks...)
	e := s.Engine()
	e.GET("/items/:id", apierror.Handler(func(c *gin.Context) error {
		if c.Param("id") == "missing" {
			return apierror.NotFound("item %s not found", c.Param("id"))
		}
		c.String(http.StatusOK, "item "+c.Param("id"))
		return nil
	}))
	e.POST("/items", func(c *gin.Context) { c.String(http.StatusCreated, "created") })
	e.GET("/id", func(c *gin.Context) {
		// Both the request's context and gin's (which falls back to it) carry the id.
		c.String(http.StatusOK, requestid.FromContext(c.Request.Context())+"|"+requestid.FromContext(c))
	})
	e.GET("/panic", func(*gin.Context) { panic("boom: password=hunter2") })
	e.GET("/panic-after-write", func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		panic("late boom")
	})
	e.GET("/abort", func(*gin.Context) { panic(http.ErrAbortHandler) })
	e.GET("/polled/:ok", server.Quiet, apierror.Handler(func(c *gin.Context) error {
		if c.Param("ok") != "ok" {
			return apierror.Unavailable(nil, "not now")
		}
		c.String(http.StatusOK, "polled")
		return nil
	}))
	return &fixture{s: s, logs: logs}
}

// serve runs one request through the engine; the middleware has finished
// when it returns.
func (f *fixture) serve(method, target string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	f.s.Engine().ServeHTTP(w, req)
	return w
}

// errorBody checks body is exactly {"error": "..."} and returns the message.
func errorBody(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", body, err)
	}
	msg, ok := m["error"].(string)
	if len(m) != 1 || !ok {
		t.Fatalf("body = %s, want exactly {\"error\": \"...\"}", body)
	}
	return msg
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		name   string
		header []string // nil: no header
		keep   bool
	}{
		{"missing", nil, false},
		{"valid", []string{"req-123_abc.DEF:9"}, true},
		{"uuid", []string{"6f1c9a52-7a0e-4c0b-9d36-1f1f3b2f8e4d"}, true},
		{"empty", []string{""}, false},
		{"space", []string{"two words"}, false},
		{"quote", []string{`a"b`}, false},
		{"newline", []string{"a\nforged=1"}, false},
		{"too long", []string{strings.Repeat("a", 129)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newServer(t, testConfig())
			h := http.Header{}
			if tt.header != nil {
				h[http.CanonicalHeaderKey(requestid.Header)] = tt.header
			}
			w := f.serve(http.MethodGet, "/id", h)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", w.Code)
			}
			got := w.Header().Get(requestid.Header)
			if tt.keep && got != tt.header[0] {
				t.Errorf("X-Request-ID = %q, want the caller's %q", got, tt.header[0])
			}
			if !tt.keep {
				if !requestid.Valid(got) {
					t.Errorf("X-Request-ID = %q, want a generated valid id", got)
				}
				if tt.header != nil && got == tt.header[0] {
					t.Errorf("X-Request-ID = %q: the invalid id was echoed", got)
				}
			}
			if want := got + "|" + got; w.Body.String() != want {
				t.Errorf("ids in the contexts = %q, want %q", w.Body.String(), want)
			}
			entries := f.logs.FilterMessage("request").All()
			if len(entries) != 1 {
				t.Fatalf("%d access log lines, want 1", len(entries))
			}
			if logged := entries[0].ContextMap()["request_id"]; logged != got {
				t.Errorf("logged request_id = %v, want %q", logged, got)
			}
		})
	}
}

// TestAccessLogLeavesOutTheCaller: the access line's caller is always the
// middleware, so it is not looked up, even on a logger that adds callers
// (the production one does).
func TestAccessLogLeavesOutTheCaller(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	s := server.New(testConfig(), zap.New(core, zap.AddCaller()), service)
	w := httptest.NewRecorder()
	s.Engine().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/nowhere", nil))
	entries := logs.FilterMessage("request").All()
	if len(entries) != 1 {
		t.Fatalf("%d access log lines, want 1", len(entries))
	}
	if entries[0].Caller.Defined {
		t.Errorf("the access line names its caller %s", entries[0].Caller)
	}
}

func TestRequestIDGeneratedPerRequest(t *testing.T) {
	f := newServer(t, testConfig())
	a := f.serve(http.MethodGet, "/id", nil).Header().Get(requestid.Header)
	b := f.serve(http.MethodGet, "/id", nil).Header().Get(requestid.Header)
	if a == "" || a == b {
		t.Errorf("generated ids %q and %q, want two distinct ids", a, b)
	}
}

func TestPanicRecovery(t *testing.T) {
	f := newServer(t, testConfig())
	ts := httptest.NewServer(f.s.Engine())
	t.Cleanup(ts.Close)
	client := ts.Client()

	get := func(path string) (int, []byte, error) {
		resp, err := client.Get(ts.URL + path)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}

	for range 3 { // the server keeps serving after each panic
		status, body, err := get("/panic")
		if err != nil {
			t.Fatalf("GET /panic: %v", err)
		}
		if status != http.StatusInternalServerError {
			t.Errorf("status = %d, want 500", status)
		}
		if msg := errorBody(t, body); msg != "internal server error" {
			t.Errorf("error = %q, want internal server error", msg)
		}
		for _, leak := range []string{"boom", "hunter2", "goroutine", ".go:", "panic"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("body %q leaks %q", body, leak)
			}
		}
		if status, _, err := get("/healthz"); err != nil || status != http.StatusOK {
			t.Fatalf("after a panic, /healthz = %d, %v", status, err)
		}
	}

	panics := f.logs.FilterMessage("panic").All()
	if len(panics) != 3 {
		t.Fatalf("%d panic log lines, want 3", len(panics))
	}
	fields := panics[0].ContextMap()
	if stack, _ := fields["stack"].(string); !strings.Contains(stack, "goroutine") {
		t.Errorf("panic log has no stack: %v", fields["stack"])
	}
	if p, _ := fields["panic"].(string); !strings.Contains(p, "boom") {
		t.Errorf("panic log = %v, want the panic value", fields["panic"])
	}
	if id, _ := fields["request_id"].(string); !requestid.Valid(id) {
		t.Errorf("panic log request_id = %q", id)
	}
}

func TestPanicAfterWrite(t *testing.T) {
	f := newServer(t, testConfig())
	w := f.serve(http.MethodGet, "/panic-after-write", nil)
	// The status line is already sent: the answer is left as written.
	if w.Code != http.StatusOK || w.Body.String() != "partial" {
		t.Errorf("got %d %q, want 200 \"partial\"", w.Code, w.Body.String())
	}
	if n := len(f.logs.FilterMessage("panic").All()); n != 1 {
		t.Errorf("%d panic log lines, want 1", n)
	}
}

func TestAbortHandlerPanicDropsConnection(t *testing.T) {
	f := newServer(t, testConfig())
	ts := httptest.NewServer(f.s.Engine())
	t.Cleanup(ts.Close)
	client := ts.Client()

	if resp, err := client.Get(ts.URL + "/abort"); err == nil {
		resp.Body.Close()
		t.Fatalf("GET /abort = %d, want the connection dropped", resp.StatusCode)
	}
	resp, err := client.Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatalf("GET /healthz after an aborted request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	// /healthz does not run the readiness checks.
	f := newServer(t, testConfig(), server.Check{Name: "db", Run: func(context.Context) error { return errors.New("down") }})
	w := f.serve(http.MethodGet, "/healthz", nil)
	if w.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", w.Code)
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["status"] != "ok" {
		t.Errorf("body = %s (%v), want {\"status\":\"ok\"}", w.Body.String(), err)
	}
}

type readyBody struct {
	Status string            `json:"status"`
	Error  string            `json:"error"`
	Checks map[string]string `json:"checks"`
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	tests := []struct {
		name         string
		readyTimeout time.Duration
		checks       func(t *testing.T) []server.Check
		wantStatus   int
		wantFailed   []string // checks named in the error
	}{
		{
			name:         "no checks",
			readyTimeout: 10 * time.Second,
			checks:       func(*testing.T) []server.Check { return nil },
			wantStatus:   http.StatusOK,
		},
		{
			name:         "all pass",
			readyTimeout: 10 * time.Second,
			checks: func(*testing.T) []server.Check {
				return []server.Check{
					{Name: "db", Run: ok},
					{Name: "cache", Run: func(ctx context.Context) error {
						if _, has := ctx.Deadline(); !has {
							return errors.New("the check's context has no deadline")
						}
						return nil
					}},
				}
			},
			wantStatus: http.StatusOK,
		},
		{
			name:         "one fails",
			readyTimeout: 10 * time.Second,
			checks: func(*testing.T) []server.Check {
				return []server.Check{
					{Name: "db", Run: ok},
					{Name: "cache", Run: func(context.Context) error { return errors.New("cache down") }},
				}
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"cache"},
		},
		{
			name:         "two fail",
			readyTimeout: 10 * time.Second,
			checks: func(*testing.T) []server.Check {
				fail := func(context.Context) error { return errors.New("down") }
				return []server.Check{{Name: "db", Run: fail}, {Name: "mlflow", Run: fail}, {Name: "cache", Run: ok}}
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"db", "mlflow"},
		},
		{
			name:         "slow check respecting its context",
			readyTimeout: 100 * time.Millisecond,
			checks: func(*testing.T) []server.Check {
				return []server.Check{
					{Name: "db", Run: ok},
					{Name: "slow", Run: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }},
				}
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"slow"},
		},
		{
			name:         "check ignoring its context",
			readyTimeout: 100 * time.Millisecond,
			checks: func(t *testing.T) []server.Check {
				stuck := make(chan struct{})
				t.Cleanup(func() { close(stuck) })
				return []server.Check{
					{Name: "db", Run: ok},
					{Name: "hang", Run: func(context.Context) error { <-stuck; return nil }},
				}
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"hang"},
		},
		{
			name:         "panicking check",
			readyTimeout: 10 * time.Second,
			checks: func(*testing.T) []server.Check {
				return []server.Check{{Name: "db", Run: ok}, {Name: "broken", Run: func(context.Context) error { panic("nil map") }}}
			},
			wantStatus: http.StatusServiceUnavailable,
			wantFailed: []string{"broken"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ReadyTimeout = tt.readyTimeout
			checks := tt.checks(t)
			f := newServer(t, cfg, checks...)

			answered := make(chan *httptest.ResponseRecorder, 1)
			go func() { answered <- f.serve(http.MethodGet, "/readyz", nil) }()
			var w *httptest.ResponseRecorder
			select {
			case w = <-answered:
			case <-time.After(watchdog):
				t.Fatalf("/readyz did not answer within %s (ReadyTimeout %s)", watchdog, tt.readyTimeout)
			}

			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d: %s", w.Code, tt.wantStatus, w.Body.String())
			}
			var body readyBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if len(body.Checks) != len(checks) {
				t.Errorf("checks = %v, want one result per check (%d)", body.Checks, len(checks))
			}
			failed := make(map[string]bool)
			for _, name := range tt.wantFailed {
				failed[name] = true
				if !strings.Contains(body.Error, name) {
					t.Errorf("error %q does not name the failing check %q", body.Error, name)
				}
			}
			for _, chk := range checks {
				got, reported := body.Checks[chk.Name]
				switch {
				case !reported:
					t.Errorf("check %q missing from %v", chk.Name, body.Checks)
				case failed[chk.Name] && got == "ok":
					t.Errorf("check %q = ok, want its failure", chk.Name)
				case !failed[chk.Name] && got != "ok":
					t.Errorf("check %q = %q, want ok", chk.Name, got)
					if strings.Contains(body.Error, chk.Name) {
						t.Errorf("error %q names the passing check %q", body.Error, chk.Name)
					}
				}
			}
			if tt.wantStatus == http.StatusOK && (body.Status != "ready" || body.Error != "") {
				t.Errorf("body = %s, want status ready", w.Body.String())
			}
		})
	}
}

func TestReadyzReportsCheckError(t *testing.T) {
	f := newServer(t, testConfig(), server.Check{Name: "db", Run: func(context.Context) error {
		return errors.New("dial tcp: connection refused")
	}})
	w := f.serve(http.MethodGet, "/readyz", nil)
	var body readyBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Checks["db"] != "dial tcp: connection refused" {
		t.Errorf("checks[db] = %q, want the check's error", body.Checks["db"])
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantAllow  string
	}{
		{"unknown path", http.MethodGet, "/nope", http.StatusNotFound, ""},
		{"unknown nested path", http.MethodGet, "/items/1/parts", http.StatusNotFound, ""},
		{"wrong method on a route", http.MethodDelete, "/items/1", http.StatusMethodNotAllowed, "GET"},
		{"post to healthz", http.MethodPost, "/healthz", http.StatusMethodNotAllowed, "GET"},
		{"get on a post route", http.MethodGet, "/items", http.StatusMethodNotAllowed, "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newServer(t, testConfig())
			w := f.serve(tt.method, tt.path, nil)
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			msg := errorBody(t, w.Body.Bytes())
			if !strings.Contains(msg, tt.method) || !strings.Contains(msg, tt.path) {
				t.Errorf("error %q does not name %s %s", msg, tt.method, tt.path)
			}
			if tt.wantAllow != "" && !strings.Contains(w.Header().Get("Allow"), tt.wantAllow) {
				t.Errorf("Allow = %q, want it to list %s", w.Header().Get("Allow"), tt.wantAllow)
			}
		})
	}
}

// sample is one line of the Prometheus text format.
type sample struct {
	labels map[string]string
	value  float64
}

var (
	sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrape GETs /metrics and returns its samples by metric name.
func scrape(t *testing.T, f *fixture) map[string][]sample {
	t.Helper()
	w := f.serve(http.MethodGet, "/metrics", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("/metrics = %d", w.Code)
	}
	out := make(map[string][]sample)
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := sampleLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("cannot parse metrics line %q", line)
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		labels := make(map[string]string)
		for _, p := range labelPair.FindAllStringSubmatch(m[2], -1) {
			labels[p[1]] = p[2]
		}
		out[m[1]] = append(out[m[1]], sample{labels, v})
	}
	return out
}

func TestMetrics(t *testing.T) {
	f := newServer(t, testConfig())
	requests := []struct {
		method, path string
		route        string // the label the request must be counted under
		status       int
	}{
		{http.MethodGet, "/items/1", "/items/:id", 200},
		{http.MethodGet, "/items/2", "/items/:id", 200},
		{http.MethodGet, "/items/3", "/items/:id", 200},
		{http.MethodGet, "/items/missing", "/items/:id", 404},
		{http.MethodPost, "/items", "/items", 201},
		{http.MethodGet, "/panic", "/panic", 500},
		{http.MethodGet, "/nope/a", "unmatched", 404},
		{http.MethodGet, "/nope/b", "unmatched", 404},
		{http.MethodGet, "/wp-login.php", "unmatched", 404},
		{http.MethodDelete, "/items/1", "unmatched", 405},
		{http.MethodGet, "/healthz", "/healthz", 200},
	}
	type countKey struct{ route, method, status string }
	type latencyKey struct{ route, method string }
	wantCount := make(map[countKey]float64)
	wantLatency := make(map[latencyKey]float64)
	for _, r := range requests {
		if w := f.serve(r.method, r.path, nil); w.Code != r.status {
			t.Fatalf("%s %s = %d, want %d", r.method, r.path, w.Code, r.status)
		}
		wantCount[countKey{r.route, r.method, strconv.Itoa(r.status)}]++
		wantLatency[latencyKey{r.route, r.method}]++
	}

	samples := scrape(t, f)

	gotCount := make(map[countKey]float64)
	for _, s := range samples["http_requests_total"] {
		if s.labels["service"] != service {
			t.Errorf("http_requests_total%v: service label, want %q", s.labels, service)
		}
		if len(s.labels) != 4 {
			t.Errorf("http_requests_total%v: want exactly service, route, method and status labels", s.labels)
		}
		gotCount[countKey{s.labels["route"], s.labels["method"], s.labels["status"]}] = s.value
	}
	if len(gotCount) != len(wantCount) {
		t.Errorf("http_requests_total has %d series, want %d: %v", len(gotCount), len(wantCount), gotCount)
	}
	for k, want := range wantCount {
		if got := gotCount[k]; got != want {
			t.Errorf("http_requests_total{route=%q,method=%q,status=%q} = %v, want %v", k.route, k.method, k.status, got, want)
		}
	}

	gotLatency := make(map[latencyKey]float64)
	buckets := 0
	for _, s := range samples["http_request_duration_seconds_count"] {
		gotLatency[latencyKey{s.labels["route"], s.labels["method"]}] = s.value
		if _, has := s.labels["status"]; has {
			t.Errorf("latency series %v has a status label", s.labels)
		}
	}
	for _, s := range samples["http_request_duration_seconds_bucket"] {
		if s.labels["route"] == "/items/:id" && s.labels["method"] == http.MethodGet {
			buckets++
			if s.labels["le"] == "+Inf" && s.value != wantLatency[latencyKey{"/items/:id", "GET"}] {
				t.Errorf("+Inf bucket = %v, want every request", s.value)
			}
		}
	}
	if buckets == 0 {
		t.Error("no http_request_duration_seconds_bucket series for /items/:id")
	}
	if len(samples["http_request_duration_seconds_sum"]) != len(wantLatency) {
		t.Errorf("%d latency sums, want %d", len(samples["http_request_duration_seconds_sum"]), len(wantLatency))
	}
	if len(gotLatency) != len(wantLatency) {
		t.Errorf("http_request_duration_seconds has %d series, want %d: %v", len(gotLatency), len(wantLatency), gotLatency)
	}
	for k, want := range wantLatency {
		if got := gotLatency[k]; got != want {
			t.Errorf("http_request_duration_seconds_count{route=%q,method=%q} = %v, want %v", k.route, k.method, got, want)
		}
	}

	// No raw path ever becomes a label value.
	for name, ss := range samples {
		for _, s := range ss {
			for _, v := range s.labels {
				if strings.Contains(v, "/items/1") || strings.Contains(v, "/nope") || strings.Contains(v, "wp-login") {
					t.Errorf("%s%v has a raw path as a label", name, s.labels)
				}
			}
		}
	}
	if len(samples["go_goroutines"]) == 0 {
		t.Error("no Go runtime metrics")
	}
}

func TestMetricsPerServer(t *testing.T) {
	a := newServer(t, testConfig())
	b := newServer(t, testConfig())
	a.serve(http.MethodGet, "/items/1", nil)

	extra := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_extra_total", Help: "a service's own metric"})
	b.s.Registry().MustRegister(extra)
	extra.Add(3)

	if n := len(scrape(t, b)["http_requests_total"]); n != 0 {
		t.Errorf("server b reports %d request series for requests made to server a", n)
	}
	got := scrape(t, b)["test_extra_total"]
	if len(got) != 1 || got[0].value != 3 {
		t.Errorf("test_extra_total = %v, want 3", got)
	}
	if n := len(scrape(t, a)["test_extra_total"]); n != 0 {
		t.Error("a metric registered on b shows on a")
	}
}

func TestAccessLog(t *testing.T) {
	tests := []struct {
		method, path string
		header       string
		wantRoute    string
		wantStatus   int
		wantLevel    zapcore.Level
		wantError    string // the cause recorded by apierror.Respond
	}{
		{http.MethodGet, "/items/1", "trace-1", "/items/:id", 200, zapcore.InfoLevel, ""},
		{http.MethodPost, "/items", "", "/items", 201, zapcore.InfoLevel, ""},
		{http.MethodGet, "/items/missing", "", "/items/:id", 404, zapcore.WarnLevel, "item missing not found"},
		{http.MethodGet, "/nope", "bad id", "unmatched", 404, zapcore.WarnLevel, "no route for GET /nope"},
		{http.MethodPut, "/items", "", "unmatched", 405, zapcore.WarnLevel, "method PUT not allowed on /items"},
		{http.MethodGet, "/panic", "", "/panic", 500, zapcore.ErrorLevel, ""},
		{http.MethodGet, "/healthz", "", "/healthz", 200, zapcore.DebugLevel, ""},
		{http.MethodGet, "/readyz", "", "/readyz", 200, zapcore.DebugLevel, ""},
		{http.MethodGet, "/polled/ok", "", "/polled/:ok", 200, zapcore.DebugLevel, ""},
		{http.MethodGet, "/polled/no", "", "/polled/:ok", 503, zapcore.ErrorLevel, "not now"},
	}
	f := newServer(t, testConfig())
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			f.logs.TakeAll()
			h := http.Header{}
			if tt.header != "" {
				h.Set(requestid.Header, tt.header)
			}
			w := f.serve(tt.method, tt.path, h)

			lines := f.logs.FilterMessage("request").All()
			if len(lines) != 1 {
				t.Fatalf("%d access log lines, want 1", len(lines))
			}
			e := lines[0]
			if e.Level != tt.wantLevel {
				t.Errorf("level = %s, want %s", e.Level, tt.wantLevel)
			}
			fields := e.ContextMap()
			want := map[string]any{
				"method":     tt.method,
				"route":      tt.wantRoute,
				"path":       tt.path,
				"status":     int64(tt.wantStatus),
				"request_id": w.Header().Get(requestid.Header),
				"bytes":      int64(w.Body.Len()),
			}
			for k, v := range want {
				if fields[k] != v {
					t.Errorf("field %s = %#v, want %#v", k, fields[k], v)
				}
			}
			if latency, ok := fields["latency"].(time.Duration); !ok || latency < 0 {
				t.Errorf("latency = %#v, want a duration", fields["latency"])
			}
			if _, ok := fields["client_ip"].(string); !ok {
				t.Errorf("client_ip = %#v, want a string", fields["client_ip"])
			}
			if got, _ := fields["error"].(string); !strings.Contains(got, tt.wantError) || (tt.wantError == "") != (got == "") {
				t.Errorf("error field = %q, want %q", got, tt.wantError)
			}
		})
	}
}

// eventually polls cond until it holds or the watchdog expires.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(watchdog)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within %s", what, watchdog)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func receive[T any](t *testing.T, what string, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(watchdog):
		t.Fatalf("%s did not happen within %s", what, watchdog)
		panic("unreachable")
	}
}

type result struct {
	status int
	body   string
	err    error
}

func get(client *http.Client, url string) result {
	resp, err := client.Get(url)
	if err != nil {
		return result{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(body), err}
}

// blocking adds a route whose handler signals when it starts and answers
// only once released.
func blocking(t *testing.T, f *fixture) (started <-chan struct{}, release func()) {
	start := make(chan struct{}, 1)
	rel := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(rel) }) }
	t.Cleanup(release)
	f.s.Engine().GET("/block", func(c *gin.Context) {
		start <- struct{}{}
		<-rel
		c.String(http.StatusOK, "finished")
	})
	return start, release
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func TestServeGracefulShutdown(t *testing.T) {
	f := newServer(t, testConfig())
	started, release := blocking(t, f)
	ln := listen(t)
	addr := ln.Addr().String()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.s.Serve(ctx, ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	inflight := make(chan result, 1)
	go func() { inflight <- get(client, "http://"+addr+"/block") }()
	receive(t, "the request reaching the handler", started)

	cancel()
	eventually(t, "the listener closing", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v while a request was in flight", err)
	case r := <-inflight:
		t.Fatalf("the in-flight request ended before its handler was released: %+v", r)
	default:
	}

	release()
	r := receive(t, "the in-flight request", inflight)
	if r.err != nil || r.status != http.StatusOK || r.body != "finished" {
		t.Errorf("in-flight request = %d %q %v, want 200 \"finished\"", r.status, r.body, r.err)
	}
	if err := receive(t, "Serve returning", served); err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if n := f.logs.FilterMessage("stopped").Len(); n != 1 {
		t.Errorf("%d \"stopped\" log lines, want 1", n)
	}
}

func TestServeShutdownTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.ShutdownTimeout = 50 * time.Millisecond
	f := newServer(t, cfg)
	started, release := blocking(t, f)
	ln := listen(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- f.s.Serve(ctx, ln) }()

	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	inflight := make(chan result, 1)
	go func() { inflight <- get(client, "http://"+ln.Addr().String()+"/block") }()
	receive(t, "the request reaching the handler", started)

	cancel()
	// The handler is still blocked: the grace period runs out.
	err := receive(t, "Serve returning", served)
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want the grace period's deadline error", err)
	}
	release()
	receive(t, "the in-flight request", inflight)
}

func TestServeListenerError(t *testing.T) {
	f := newServer(t, testConfig())
	ln := listen(t)
	ln.Close()
	served := make(chan error, 1)
	go func() { served <- f.s.Serve(context.Background(), ln) }()
	if err := receive(t, "Serve returning", served); err == nil {
		t.Error("Serve on a closed listener = nil, want an error")
	}
}

func TestRun(t *testing.T) {
	f := newServer(t, testConfig())

	ln := listen(t)
	busy := ln.Addr().String()
	t.Cleanup(func() { ln.Close() })
	if err := f.s.Run(context.Background(), busy); err == nil || !strings.Contains(err.Error(), busy) {
		t.Errorf("Run on a busy address = %v, want an error naming %s", err, busy)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan error, 1)
	go func() { done <- f.s.Run(ctx, "127.0.0.1:0") }()
	if err := receive(t, "Run returning", done); err != nil {
		t.Errorf("Run with an ended context = %v, want nil", err)
	}
}

func TestListen(t *testing.T) {
	tests := []struct {
		host string
		port uint16
		want string
	}{
		{"127.0.0.1", 8080, "127.0.0.1:8080"},
		{"0.0.0.0", 1, "0.0.0.0:1"},
		{"", 9000, ":9000"},
		{"::1", 443, "[::1]:443"},
		{"localhost", 65535, "localhost:65535"},
	}
	for _, tt := range tests {
		if got := server.Listen(tt.host, config.Port(tt.port)); got != tt.want {
			t.Errorf("Listen(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestClientIPIgnoresForwardedForFromUntrustedPeers(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		want    string
	}{
		{"no proxy trusted", nil, "192.0.2.10"},
		{"the peer is a trusted proxy", []string{"192.0.2.10"}, "203.0.113.7"},
		// compose's "${NETWORK_CONTAINERS},${TRUSTED_PROXIES:-}" may leave blanks
		{"blanks around and after the entries", []string{" 198.51.100.0/24", " 192.0.2.0/24 ", ""}, "203.0.113.7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := server.New(server.Config{TrustedProxies: tt.trusted}, zap.NewNop(), "test")
			var got string
			srv.Engine().GET("/ip", func(c *gin.Context) { got = c.ClientIP() })
			req := httptest.NewRequest(http.MethodGet, "/ip", nil)
			req.RemoteAddr = "192.0.2.10:1234"
			req.Header.Set("X-Forwarded-For", "203.0.113.7")
			srv.Engine().ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.want {
				t.Fatalf("client ip %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckProxies(t *testing.T) {
	tests := []struct {
		proxies []string
		ok      bool
	}{
		{nil, true},
		{[]string{"10.0.0.0/8", " 127.0.0.1", "::1", "fd00::/8", ""}, true},
		{[]string{"10.0.0.0/33"}, false},
		{[]string{"127.0.0.1", "ui"}, false},
		{[]string{"10.0.0.1-10.0.0.9"}, false},
	}
	for _, tt := range tests {
		err := server.Config{TrustedProxies: tt.proxies}.CheckProxies("TEST")
		switch {
		case tt.ok && err != nil:
			t.Errorf("%q refused: %v", tt.proxies, err)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "TEST_TRUSTED_PROXIES")):
			t.Errorf("%q: error %v, want one naming TEST_TRUSTED_PROXIES", tt.proxies, err)
		}
	}
}
