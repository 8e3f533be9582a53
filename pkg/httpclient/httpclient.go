// Package httpclient is the outbound HTTP client every service uses: one
// pooled keep-alive transport per upstream, a timeout on every call, the
// caller's request id forwarded, and retries with backoff only for requests
// that cannot write twice.
package httpclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/hashicorp/go-retryablehttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ml-studio/ml-studio/pkg/requestid"
)

// Config tunes one upstream's client.
type Config struct {
	Timeout      time.Duration // whole call, body included; 0 means none (streams), the header timeout still applies
	RetryMax     int           // retries after the first attempt, idempotent requests only
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	MaxIdleConns int // idle keep-alive connections kept to the upstream
	// IdleTimeout is how long an idle connection is kept for reuse (0:
	// 90 s). It must be shorter than the upstream's own keep-alive: a
	// request sent on a connection the upstream is closing that moment is
	// reset, and a POST or PUT cannot be retried.
	IdleTimeout time.Duration
	// NoKeepAlive opens a connection per request: for upstreams that answer
	// reused connections slowly (see ml_studio's ML_STUDIO_MLFLOW_KEEP_ALIVE).
	NoKeepAlive bool
}

// Defaults are sensible settings for a service on the same network.
func Defaults() Config {
	return Config{
		Timeout:      30 * time.Second,
		RetryMax:     2,
		RetryWaitMin: 50 * time.Millisecond,
		RetryWaitMax: 500 * time.Millisecond,
		MaxIdleConns: 64,
		// MLflow's uvicorn closes a connection idle for 5 s (its
		// --timeout-keep-alive): reusing one idle that long raced its close
		// (a POST answered "connection reset by peer", 502).
		IdleTimeout: 4 * time.Second,
	}
}

// Client sends requests to one upstream.
type Client struct {
	plain    *http.Client
	retrying *http.Client
	// The same, answering a redirect as it came instead of following it:
	// what a reverse proxy's transport must do (RoundTrip).
	plainProxy    *http.Client
	retryingProxy *http.Client
}

// New returns a client with its own pooled transport.
func New(cfg Config, log *zap.Logger) *Client {
	headerTimeout := cfg.Timeout
	if headerTimeout == 0 {
		headerTimeout = 30 * time.Second
	}
	idleTimeout := cfg.IdleTimeout
	if idleTimeout <= 0 {
		idleTimeout = 90 * time.Second
	}
	transport := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          cfg.MaxIdleConns,
		MaxIdleConnsPerHost:   cfg.MaxIdleConns,
		IdleConnTimeout:       idleTimeout,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     true,
		DisableKeepAlives:     cfg.NoKeepAlive,
	}
	base := &http.Client{Transport: forwardRequestID{next: transport}, Timeout: cfg.Timeout}
	proxy := *base
	proxy.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	chatter := sampled(log.Named("httpclient"))
	return &Client{plain: base, retrying: retrying(cfg, base, chatter), plainProxy: &proxy, retryingProxy: retrying(cfg, &proxy, chatter)}
}

// sampled keeps the retries' warnings to a few per message every ten
// seconds (and one in a hundred beyond): an upstream that is down fails
// every attempt of every call and of the revision poll, and a log written
// ten times a second for the length of an outage hides everything else.
func sampled(log *zap.Logger) *zap.Logger {
	return log.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, 10*time.Second, 5, 100)
	}))
}

// retrying wraps base with the retry rules.
func retrying(cfg Config, base *http.Client, log *zap.Logger) *http.Client {
	rc := retryablehttp.NewClient()
	rc.HTTPClient = base
	rc.RetryMax = cfg.RetryMax
	rc.RetryWaitMin = cfg.RetryWaitMin
	rc.RetryWaitMax = cfg.RetryWaitMax
	// The default backoff sleeps as long as a 429/503's Retry-After asks,
	// however long that is; cap it so a call's retries stay bounded.
	rc.Backoff = func(lo, hi time.Duration, attempt int, resp *http.Response) time.Duration {
		return min(retryablehttp.DefaultBackoff(lo, hi, attempt, resp), hi)
	}
	rc.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		// An upstream that did not answer in time is slow, not gone: asking
		// again would multiply the caller's wait and add to its load.
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			return false, nil
		}
		return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
	}
	rc.Logger = zapLogger{log}
	// After the last attempt, hand back the upstream's own answer rather than
	// a synthetic error, so callers can pass it through.
	rc.ErrorHandler = passthrough
	c := rc.StandardClient()
	c.CheckRedirect = base.CheckRedirect // the outer client would follow what the inner one passes on
	return c
}

// passthrough is retryablehttp.PassthroughErrorHandler, except when an answer
// came with an error (the context ended before the retry decision): then the
// answer is closed and only the error returned, since http.Client drops such
// an answer without closing it, which leaks its connection.
func passthrough(resp *http.Response, err error, attempts int) (*http.Response, error) {
	if err != nil && resp != nil {
		_ = resp.Body.Close()
		return nil, err
	}
	return retryablehttp.PassthroughErrorHandler(resp, err, attempts)
}

// Do sends req, retrying only when req cannot write twice.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	if Idempotent(req) {
		return c.retrying.Do(req)
	}
	return c.plain.Do(req)
}

type idempotentKey struct{}

// MarkIdempotent marks a request context as safe to retry: a POST that only
// reads, such as a search.
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

// Idempotent reports whether a retry of req cannot do a write twice.
func Idempotent(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	marked, _ := req.Context().Value(idempotentKey{}).(bool)
	return marked
}

// forwardRequestID copies the request id from the context to the header.
type forwardRequestID struct{ next http.RoundTripper }

func (f forwardRequestID) RoundTrip(req *http.Request) (*http.Response, error) {
	if id := requestid.FromContext(req.Context()); id != "" && req.Header.Get(requestid.Header) == "" {
		req = req.Clone(req.Context())
		req.Header.Set(requestid.Header, id)
	}
	return f.next.RoundTrip(req)
}

// zapLogger adapts zap to retryablehttp's leveled logger; its chatter is debug.
type zapLogger struct{ log *zap.Logger }

func (z zapLogger) Error(msg string, kv ...any) { z.log.Sugar().Warnw(msg, kv...) }
func (z zapLogger) Info(msg string, kv ...any)  { z.log.Sugar().Debugw(msg, kv...) }
func (z zapLogger) Debug(msg string, kv ...any) { z.log.Sugar().Debugw(msg, kv...) }
func (z zapLogger) Warn(msg string, kv ...any)  { z.log.Sugar().Debugw(msg, kv...) }

// Probe GETs url and expects a 200: the readiness check of an upstream.
func (c *Client) Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // drain so the connection is reused
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}

// RoundTrip lets the client serve as a reverse proxy's transport, with the
// same pool, timeouts and retry rules. A proxied request still carries the
// inbound RequestURI, which a client request must not. A redirect is
// answered as it came, for the proxy's own client to follow (single
// sign-on's redirects to the identity provider): a transport that followed
// it would fetch another site's page on the caller's behalf.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.RequestURI != "" {
		out := *req
		out.RequestURI = ""
		req = &out
	}
	if Idempotent(req) {
		return c.retryingProxy.Do(req)
	}
	return c.plainProxy.Do(req)
}
