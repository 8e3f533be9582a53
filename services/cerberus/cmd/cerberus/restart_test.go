package main

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
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
)

// backends give a fresh, empty database of each kind as a CERBERUS_DATABASE_DSN.
var backends = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "auth.db") }},
	{"mysql", func(t *testing.T) string { return testenv.NewMySQLDatabase(t) }},
}

// instance is cerberus started by run, as main does.
type instance struct {
	base   string
	cancel context.CancelFunc
	exit   chan int
	stdout *syncBuffer
	stderr *syncBuffer
	logs   *os.File
	saved  *os.File
}

// syncBuffer is written by run and read by the test while run goes on.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// start runs cerberus on dsn. The logger writes to the process's standard
// error, so it is pointed at a file for the instance's lifetime (the tests
// of this package do not run in parallel). adminPassword "" leaves
// CERBERUS_ADMIN_PASSWORD unset.
func start(t *testing.T, dsn, adminPassword string) *instance {
	t.Helper()
	port := testenv.FreePort(t)
	t.Setenv("CERBERUS_DATABASE_DSN", dsn)
	t.Setenv("CERBERUS_PORT", strconv.Itoa(port))
	t.Setenv("CERBERUS_LOG_LEVEL", "debug")
	t.Setenv("CERBERUS_BCRYPT_COST", "4")
	t.Setenv("CERBERUS_ADMIN_PASSWORD", adminPassword)
	if _, set := os.LookupEnv("CERBERUS_REGISTRAR_SECRET"); !set { // a test may set it, "" for none
		t.Setenv("CERBERUS_REGISTRAR_SECRET", testRegistrar)
	}
	if adminPassword == "" {
		if err := os.Unsetenv("CERBERUS_ADMIN_PASSWORD"); err != nil { // t.Setenv restores it
			t.Fatal(err)
		}
	}
	logs, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{base: "http://127.0.0.1:" + strconv.Itoa(port), exit: make(chan int, 1), stdout: &syncBuffer{}, stderr: &syncBuffer{}, logs: logs, saved: os.Stderr}
	var ctx context.Context
	ctx, in.cancel = context.WithCancel(context.Background())
	os.Stderr = logs
	go func() { in.exit <- run(ctx, nil, in.stdout, in.stderr) }()
	t.Cleanup(func() { in.stop(t) })
	testenv.WaitFor(t, 30*time.Second, "cerberus up", testenv.Expect(in.base+"/", 200, "Connected to database"))
	return in
}

// stop cancels the instance and checks it exits cleanly; it returns what
// it printed on standard output and what it logged. Stopping twice is a no-op.
func (in *instance) stop(t *testing.T) (stdout, logs string) {
	t.Helper()
	if in.cancel == nil {
		return in.stdout.String(), ""
	}
	in.cancel()
	in.cancel = nil
	code := <-in.exit
	os.Stderr = in.saved
	if code != 0 {
		t.Errorf("exit code %d after shutdown, want 0; stderr %q", code, in.stderr.String())
	}
	b, err := os.ReadFile(in.logs.Name())
	if err != nil {
		t.Fatal(err)
	}
	_ = in.logs.Close()
	return in.stdout.String() + in.stderr.String(), string(b)
}

// call sends a JSON request and decodes a JSON answer into out (when not nil).
func (in *instance) call(t *testing.T, method, path, auth string, body, out any, want int) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, in.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != want {
		t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, b, want)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %s: %v", method, path, b, err)
		}
	}
}

func bearer(token string) string { return "Bearer " + token }

func basicAuth(user, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+secret))
}

type session struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

func (in *instance) login(t *testing.T, user, password string, want int) session {
	t.Helper()
	var s session
	var out any = &s
	if want != http.StatusOK {
		out = nil
	}
	in.call(t, http.MethodPost, "/api/auth/login", "", map[string]string{"username": user, "password": password}, out, want)
	return s
}

func (in *instance) allowed(t *testing.T, token, element, op string) bool {
	t.Helper()
	var d struct {
		Allowed bool `json:"allowed"`
	}
	in.call(t, http.MethodPost, "/api/authorize", "", map[string]string{"token": token, "component": "ml_studio", "element": element, "operation": op}, &d, http.StatusOK)
	return d.Allowed
}

func (in *instance) me(t *testing.T, auth string) string {
	t.Helper()
	var u struct {
		Username string `json:"username"`
	}
	in.call(t, http.MethodGet, "/api/auth/me", auth, nil, &u, http.StatusOK)
	return u.Username
}

// noSecrets checks none of secrets (nor a token's SHA-256 hex, nor a bcrypt
// hash) appears in out.
func noSecrets(t *testing.T, where, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		sum := sha256.Sum256([]byte(s))
		for _, form := range []string{s, hex.EncodeToString(sum[:])} {
			if strings.Contains(out, form) {
				t.Errorf("%s contains a secret %q", where, form)
			}
		}
	}
	for _, f := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.Contains(out, f) {
			t.Errorf("%s contains a bcrypt hash", where)
		}
	}
}

// TestRestartKeepsState: users, grants, tokens and sessions live in the
// database, so a restart on it keeps them all, and the first admin is made
// only once.
func TestRestartKeepsState(t *testing.T) {
	const (
		firstAdminPW  = "first-admin-Pa55word"
		secondAdminPW = "second-admin-Pa55word"
		alicePW       = "alice-Pa55word-restart"
	)
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)

			first := start(t, dsn, firstAdminPW)
			admin := first.login(t, "admin", firstAdminPW, http.StatusOK)
			first.call(t, http.MethodPost, "/api/users", bearer(admin.Token), map[string]string{"username": "alice", "password": alicePW}, nil, http.StatusCreated)
			first.call(t, http.MethodPost, "/api/elements", bearer(admin.Token), map[string]string{"name": "project:alpha"}, nil, http.StatusCreated)
			first.call(t, http.MethodPost, "/api/elements", bearer(admin.Token), map[string]string{"name": "experiment:1", "parent": "project:alpha"}, nil, http.StatusCreated)
			first.call(t, http.MethodPost, "/api/grants", bearer(admin.Token), map[string]string{"element": "project:alpha", "operation": "read", "user": "alice"}, nil, http.StatusCreated)
			alice := first.login(t, "alice", alicePW, http.StatusOK)
			var tok struct {
				ID    uint64 `json:"id"`
				Token string `json:"token"`
			}
			first.call(t, http.MethodPost, "/api/tokens", bearer(alice.Token), map[string]any{"name": "ci", "expires_in_days": 30}, &tok, http.StatusCreated)
			if !first.allowed(t, tok.Token, "experiment:1", "read") || !first.allowed(t, alice.Token, "experiment:1", "read") {
				t.Fatal("alice's grant does not hold before the restart")
			}
			out1, logs1 := first.stop(t)
			if strings.Contains(out1, "First admin created") {
				t.Errorf("a given admin password was printed: %q", out1)
			}
			if !strings.Contains(logs1, "created the first admin") {
				t.Errorf("the first run did not log the bootstrap: %s", logs1)
			}

			// Same database, another admin password: it must be ignored.
			second := start(t, dsn, secondAdminPW)
			if got := second.me(t, bearer(alice.Token)); got != "alice" {
				t.Fatalf("alice's session after the restart = %q", got)
			}
			if expires, err := time.Parse(time.RFC3339, alice.ExpiresAt); err != nil || !expires.After(time.Now()) {
				t.Fatalf("session expires_at %q, want a future time", alice.ExpiresAt)
			}
			if got := second.me(t, bearer(admin.Token)); got != "admin" {
				t.Fatalf("the admin's session after the restart = %q", got)
			}
			if got := second.me(t, bearer(tok.Token)); got != "alice" {
				t.Fatalf("alice's API token after the restart = %q", got)
			}
			if got := second.me(t, basicAuth("alice", tok.Token)); got != "alice" {
				t.Fatalf("alice's API token in basic auth after the restart = %q", got)
			}
			if !second.allowed(t, tok.Token, "experiment:1", "read") || second.allowed(t, tok.Token, "experiment:1", "edit") {
				t.Fatal("alice's grant changed across the restart")
			}
			var users struct {
				Items []struct {
					Username string `json:"username"`
					IsAdmin  bool   `json:"is_admin"`
				} `json:"items"`
				Total int `json:"total"`
			}
			second.call(t, http.MethodGet, "/api/users", bearer(admin.Token), nil, &users, http.StatusOK)
			if users.Total != 2 || users.Items[0].Username != "admin" || !users.Items[0].IsAdmin || users.Items[1].Username != "alice" {
				t.Fatalf("users after the restart = %+v", users)
			}
			var tokens struct {
				Items []struct {
					ID      uint64 `json:"id"`
					Name    string `json:"name"`
					Revoked bool   `json:"revoked"`
				} `json:"items"`
			}
			second.call(t, http.MethodGet, "/api/tokens", bearer(alice.Token), nil, &tokens, http.StatusOK)
			if len(tokens.Items) != 1 || tokens.Items[0].ID != tok.ID || tokens.Items[0].Name != "ci" || tokens.Items[0].Revoked {
				t.Fatalf("alice's tokens after the restart = %+v", tokens.Items)
			}
			second.login(t, "admin", firstAdminPW, http.StatusOK)
			second.login(t, "admin", secondAdminPW, http.StatusUnauthorized)
			var audit struct {
				Total int `json:"total"`
			}
			second.call(t, http.MethodGet, "/api/audit?action=user.bootstrap", bearer(admin.Token), nil, &audit, http.StatusOK)
			if audit.Total != 1 {
				t.Fatalf("%d bootstrap entries in the audit trail, want 1", audit.Total)
			}
			// Revocations persist too.
			second.call(t, http.MethodDelete, fmt.Sprintf("/api/tokens/%d", tok.ID), bearer(alice.Token), nil, nil, http.StatusNoContent)
			out2, logs2 := second.stop(t)
			if out2 != "" {
				t.Errorf("the second run printed %q", out2)
			}
			if strings.Contains(logs2, "created the first admin") {
				t.Errorf("the second run bootstrapped again: %s", logs2)
			}

			third := start(t, dsn, secondAdminPW)
			third.call(t, http.MethodGet, "/api/auth/me", bearer(tok.Token), nil, nil, http.StatusUnauthorized)
			if got := third.me(t, bearer(alice.Token)); got != "alice" {
				t.Fatalf("alice's session after the second restart = %q", got)
			}
			out3, logs3 := third.stop(t)
			all := out1 + logs1 + out2 + logs2 + out3 + logs3
			noSecrets(t, "output and logs", all, firstAdminPW, secondAdminPW, alicePW, admin.Token, alice.Token, tok.Token)
		})
	}
}

var generatedLine = regexp.MustCompile(`password: (\S+)`)

// TestGeneratedAdminPassword: without CERBERUS_ADMIN_PASSWORD an empty
// database gets an admin whose generated password is printed once on
// standard output, works, and is never logged; a restart prints nothing.
func TestGeneratedAdminPassword(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dsn := b.dsn(t)
			first := start(t, dsn, "")
			// The password is printed before the server listens, so it is there by now.
			stdout := first.stdout.String()
			m := generatedLine.FindAllStringSubmatch(stdout, -1)
			if len(m) != 1 {
				t.Fatalf("standard output %q: want the password printed once", stdout)
			}
			generated := m[0][1]
			if len(generated) < 16 || strings.Count(stdout, generated) != 1 {
				t.Fatalf("generated password %q in %q", generated, stdout)
			}
			s := first.login(t, "admin", generated, http.StatusOK)
			if got := first.me(t, bearer(s.Token)); got != "admin" {
				t.Fatalf("me = %q", got)
			}
			first.login(t, "admin", generated+"x", http.StatusUnauthorized)
			_, logs1 := first.stop(t)
			noSecrets(t, "the first run's logs and standard error", logs1+first.stderr.String(), generated, s.Token)
			if !strings.Contains(logs1, "created the first admin") {
				t.Errorf("the bootstrap is not logged: %s", logs1)
			}

			second := start(t, dsn, "")
			second.login(t, "admin", generated, http.StatusOK)
			out2, logs2 := second.stop(t)
			if out2 != "" {
				t.Errorf("the restart printed %q", out2)
			}
			noSecrets(t, "the second run's logs", logs2, generated)
		})
	}
}
