package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ml-studio/ml-studio/pkg/server"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/accesscache"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// Passwords of the people in the tests; every one is a secret the logs and
// answers must never show.
const (
	adminPW = "admin-Pa55word-one"
	alicePW = "alice-Pa55word-two"
	bobPW   = "bob-Pa55word-three"
	carolPW = "carol-Pa55word-four"
	defIP   = "192.0.2.1"
)

// harness is cerberus as production wires it — the shared server, the API,
// the service and a migrated store — driven in-process. It keeps every answer
// and every log line (debug and up) and, when the test ends, checks that no
// secret leaked into either and that nothing answered 5xx.
type harness struct {
	t     *testing.T
	store *store.Store
	svc   *service.Service
	h     http.Handler
	log   *zap.Logger
	logs  *observer.ObservedLogs

	mu       sync.Mutex
	replies  []reply
	secrets  []secret
	requests int
}

// secret must not appear in any log line, nor in any answer from index from on.
type secret struct {
	what, value string
	from        int
}

type harnessOpt func(*harnessConfig)

type harnessConfig struct {
	throttle authn.ThrottleConfig
	proxies  []string // CERBERUS_TRUSTED_PROXIES
}

func withThrottle(c authn.ThrottleConfig) harnessOpt {
	return func(h *harnessConfig) { h.throttle = c }
}

func withTrustedProxies(cidrs ...string) harnessOpt {
	return func(h *harnessConfig) { h.proxies = cidrs }
}

// testCache is the decision cache as in production, reading the change log
// more often so a test waits less for it.
var testCache = accesscache.Config{Sync: 20 * time.Millisecond}

func newHarness(t *testing.T, open storetest.Opener, opts ...harnessOpt) *harness {
	t.Helper()
	cfg := harnessConfig{throttle: authn.ThrottleConfig{MaxFailures: 100, Lockout: time.Minute}}
	for _, o := range opts {
		o(&cfg)
	}
	st := storetest.Migrated(t, open)
	core, logs := observer.New(zapcore.DebugLevel)
	log := zap.New(core)
	pw, err := authn.NewPasswords(4, 12)
	if err != nil {
		t.Fatal(err)
	}
	svc := service.New(service.Config{SessionTTL: time.Hour, MaxTokenTTL: 365 * 24 * time.Hour, DefaultTokenTT: 90 * 24 * time.Hour, Cache: testCache},
		st, pw, authn.NewThrottle(cfg.throttle), log)
	t.Cleanup(svc.Start(context.Background()))
	srv := server.New(server.Config{ReadyTimeout: time.Second, TrustedProxies: cfg.proxies}, log, "cerberus", server.Check{Name: "database", Run: st.Ping})
	api.Register(srv.Engine(), st, svc)
	h := &harness{t: t, store: st, svc: svc, h: srv.Engine(), log: log, logs: logs}
	for _, p := range []string{adminPW, alicePW, bobPW, carolPW} {
		h.secret("password", p)
	}
	t.Cleanup(h.checkLeaks)
	return h
}

// call is one request.
type call struct {
	method, path string
	body         any    // nil: none; string: sent as is; anything else: JSON
	auth         string // the Authorization header
	ip           string // the client's address; defIP when empty
	rid          string // X-Request-ID
	header       http.Header
	ctx          context.Context // the request's context; nil: the default
}

type reply struct {
	call   call
	code   int
	header http.Header
	body   []byte
}

func (r reply) String() string {
	return fmt.Sprintf("%s %s = %d %s", r.call.method, r.call.path, r.code, r.body)
}

func bearer(token string) string { return "Bearer " + token }

func basic(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}

func (h *harness) do(c call) reply {
	h.t.Helper()
	var body io.Reader
	switch b := c.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.ctx != nil {
		req = req.WithContext(c.ctx)
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.auth != "" {
		req.Header.Set("Authorization", c.auth)
	}
	if c.rid != "" {
		req.Header.Set("X-Request-ID", c.rid)
	}
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v) // canonicalizes the name, as a real client's would be
		}
	}
	ip := c.ip
	if ip == "" {
		ip = defIP
	}
	req.RemoteAddr = ip + ":40000"
	w := httptest.NewRecorder()
	h.h.ServeHTTP(w, req)
	r := reply{call: c, code: w.Code, header: w.Header(), body: w.Body.Bytes()}
	h.mu.Lock()
	h.replies = append(h.replies, r)
	h.requests++
	h.mu.Unlock()
	if c.rid != "" && r.header.Get("X-Request-ID") != c.rid {
		h.t.Errorf("%s: X-Request-ID %q, want %q echoed", r, r.header.Get("X-Request-ID"), c.rid)
	}
	return r
}

// expect makes the call and fails the test unless it answers want. Error
// answers must be exactly {"error": "<non-empty message>"}.
func (h *harness) expect(want int, c call) reply {
	h.t.Helper()
	r := h.do(c)
	if r.code != want {
		h.t.Fatalf("%s, want %d", r, want)
	}
	if want >= 400 {
		errorMessage(h.t, r)
	}
	return r
}

// errorMessage checks r is a JSON {"error": "..."} and returns the message.
func errorMessage(t *testing.T, r reply) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", r, ct)
	}
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("%s: not JSON: %v", r, err)
	}
	msg, ok := body["error"].(string)
	if len(body) != 1 || !ok || msg == "" {
		t.Fatalf("%s: want exactly {\"error\": \"...\"}", r)
	}
	return msg
}

func decode[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: decode as %T: %v", r, v, err)
	}
	return v
}

// secret registers a value that no log line may contain, nor any answer
// after the current one (the answer that issued a token shows it once).
func (h *harness) secret(what, value string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secrets = append(h.secrets, secret{what: what, value: value, from: len(h.replies)})
}

// token registers a session or API token secret and its SHA-256 hex, the
// form the database keeps, which no answer may ever show.
func (h *harness) token(what, value string) {
	h.t.Helper()
	if _, ok := authn.KindOf(value); !ok {
		h.t.Fatalf("%s %q is not a well-formed token", what, value)
	}
	h.secret(what, value)
	sum := sha256.Sum256([]byte(value))
	h.mu.Lock()
	h.secrets = append(h.secrets, secret{what: what + " hash", value: hex.EncodeToString(sum[:])})
	h.mu.Unlock()
}

// Forms no answer may carry, whatever the request.
var neverInAnswers = []string{"password_hash", "token_hash", "$2a$", "$2b$", "$2y$"}

func (h *harness) checkLeaks() {
	h.t.Helper()
	for _, l := range h.leaks() {
		h.t.Error(l)
	}
}

// leaks lists every secret found in a log line or an answer, and every
// server error answered.
func (h *harness) leaks() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	// Every stored bcrypt hash is a secret too.
	users, _, err := h.store.ListUsers(context.Background(), store.Page{Limit: 1000}) // t.Context() has ended in cleanups
	if err != nil {
		out = append(out, fmt.Sprintf("list users for the leak check: %v", err))
	}
	secrets := slices.Clone(h.secrets)
	for _, u := range users {
		if u.PasswordHash != "" {
			secrets = append(secrets, secret{what: "bcrypt hash of " + u.Username, value: u.PasswordHash})
		}
	}
	for i, r := range h.replies {
		if r.code >= 500 {
			out = append(out, fmt.Sprintf("%s: a server error", r))
		}
		body := string(r.body)
		for _, s := range secrets {
			if i >= s.from && strings.Contains(body, s.value) {
				out = append(out, fmt.Sprintf("%s %q leaked in the answer to %s %s", s.what, s.value, r.call.method, r.call.path))
			}
		}
		for _, f := range neverInAnswers {
			if strings.Contains(body, f) {
				out = append(out, fmt.Sprintf("%q in the answer to %s %s: %s", f, r.call.method, r.call.path, body))
			}
		}
	}
	for _, e := range h.logs.All() {
		line := logLine(e)
		for _, s := range secrets {
			if strings.Contains(line, s.value) {
				out = append(out, fmt.Sprintf("%s leaked in a log line: %s", s.what, line))
			}
		}
		for _, f := range []string{"$2a$", "$2b$", "$2y$"} {
			if strings.Contains(line, f) {
				out = append(out, fmt.Sprintf("a bcrypt hash in a log line: %s", line))
			}
		}
	}
	return out
}

// logLine is everything an entry would write: level, logger, message and
// every field, values included.
func logLine(e observer.LoggedEntry) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", e.Level, e.LoggerName, e.Message)
	for k, v := range e.ContextMap() {
		fmt.Fprintf(&b, " %s=%v", k, v)
	}
	return b.String()
}

// Shapes of the answers.
type (
	userView struct {
		ID          uint64 `json:"id"`
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
		Email       string `json:"email"`
		IsActive    bool   `json:"is_active"`
		IsAdmin     bool   `json:"is_admin"`
		CreatedAt   string `json:"created_at"`
	}
	sessionView struct {
		Token     string   `json:"token"`
		ExpiresAt string   `json:"expires_at"`
		User      userView `json:"user"`
	}
	decision struct {
		Allowed bool      `json:"allowed"`
		Reason  string    `json:"reason"`
		User    *userView `json:"user"`
	}
	batchView struct {
		Decisions map[string]struct {
			Allowed bool   `json:"allowed"`
			Reason  string `json:"reason"`
		} `json:"decisions"`
		Operations map[string][]string `json:"operations"`
		User       *userView           `json:"user"`
	}
	readableView struct {
		All    bool      `json:"all"`
		Names  []string  `json:"names"`
		Except []string  `json:"except"`
		User   *userView `json:"user"`
	}
	auditView struct {
		ID        uint64 `json:"id"`
		At        string `json:"at"`
		Actor     string `json:"actor"`
		Action    string `json:"action"`
		Target    string `json:"target"`
		Result    string `json:"result"`
		Detail    string `json:"detail"`
		RequestID string `json:"request_id"`
		ClientIP  string `json:"client_ip"`
	}
	groupView struct {
		ID          uint64 `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		CreatedAt   string `json:"created_at"`
	}
	grantView struct {
		Subject   string `json:"subject"`
		Element   string `json:"element"`
		Operation string `json:"operation"`
		Effect    string `json:"effect"`
		Inherited bool   `json:"inherited"`
		GrantedAt string `json:"granted_at"`
	}
	listOf[T any] struct {
		Items  []T   `json:"items"`
		Total  int64 `json:"total"`
		Limit  int   `json:"limit"`
		Offset int   `json:"offset"`
	}
)

// bootstrap makes the first admin as cerberus does at start and signs in.
func (h *harness) bootstrap() string {
	h.t.Helper()
	created, generated, err := h.svc.Bootstrap(h.t.Context(), "admin", adminPW)
	if err != nil || !created || generated != "" {
		h.t.Fatalf("bootstrap = %v, %q, %v", created, generated, err)
	}
	return h.login("admin", adminPW)
}

// login signs in over HTTP and returns the session secret.
func (h *harness) login(username, password string) string {
	h.t.Helper()
	return h.loginAs(call{}, username, password)
}

func (h *harness) loginAs(c call, username, password string) string {
	h.t.Helper()
	c.method, c.path, c.body = http.MethodPost, "/api/auth/login", map[string]string{"username": username, "password": password}
	s := decode[sessionView](h.t, h.expect(http.StatusOK, c))
	h.token("session of "+username, s.Token)
	if s.User.Username != strings.ToLower(username) {
		h.t.Fatalf("login as %s answered user %q", username, s.User.Username)
	}
	return s.Token
}

func (h *harness) createUser(admin, username, password string) userView {
	h.t.Helper()
	return decode[userView](h.t, h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/users", auth: bearer(admin),
		body: map[string]any{"username": username, "password": password}}))
}

func (h *harness) register(auth, name, parent string) {
	h.t.Helper()
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/elements", auth: auth, body: map[string]string{"name": name, "parent": parent}})
}

// grant adds (or with revoke removes) a grant; g is the request body.
func (h *harness) grant(auth string, g map[string]string) {
	h.t.Helper()
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/grants", auth: auth, body: g})
}

func (h *harness) revoke(auth string, g map[string]string) {
	h.t.Helper()
	h.expect(http.StatusNoContent, call{method: http.MethodPost, path: "/api/grants/revoke", auth: auth, body: g})
}

// decide asks POST /api/authorize about the bearer of token.
func (h *harness) decide(token, element, op string) decision {
	h.t.Helper()
	return decode[decision](h.t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize",
		body: map[string]string{"token": token, "component": "ml_studio", "element": element, "operation": op}}))
}

// audit reads the whole trail as admin, oldest first.
func (h *harness) audit(admin string) []auditView {
	h.t.Helper()
	l := decode[listOf[auditView]](h.t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/audit?limit=500", auth: bearer(admin)}))
	if l.Total > int64(len(l.Items)) {
		h.t.Fatalf("audit has %d entries, more than a page", l.Total)
	}
	slices.Reverse(l.Items)
	return l.Items
}

// team is the usual cast: the admin, alice and bob signed in, group team
// with bob in it, project:alpha with experiment:1 and experiment:2, and team
// reading project:alpha.
type team struct {
	admin, alice, bob string
}

func (h *harness) team() team {
	h.t.Helper()
	var c team
	c.admin = h.bootstrap()
	h.createUser(c.admin, "alice", alicePW)
	h.createUser(c.admin, "bob", bobPW)
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/groups", auth: bearer(c.admin), body: map[string]string{"name": "team"}})
	h.expect(http.StatusNoContent, call{method: http.MethodPut, path: "/api/groups/team/members/bob", auth: bearer(c.admin)})
	h.register(bearer(c.admin), "project:alpha", "")
	h.register(bearer(c.admin), "experiment:1", "project:alpha")
	h.register(bearer(c.admin), "experiment:2", "project:alpha")
	h.grant(bearer(c.admin), map[string]string{"element": "project:alpha", "operation": "read", "group": "team"})
	c.alice = h.login("alice", alicePW)
	c.bob = h.login("bob", bobPW)
	return c
}

// neverIssued is a well-formed session secret no one was ever given.
func neverIssued(t *testing.T) string {
	t.Helper()
	secret, _, err := authn.NewToken(authn.Session)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}
