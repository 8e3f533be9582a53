package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestSecretsNeverLeak runs through every path that handles a password or a
// token — successes, failures, throttling, malformed bodies carrying them —
// with every log line captured from debug up, and checks that no password,
// token secret, token hash or bcrypt hash reaches a log line or an answer
// (a token's secret only in the answer that issues it).
func TestSecretsNeverLeak(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open, withThrottle(authn.ThrottleConfig{MaxFailures: 3, Window: time.Hour, Lockout: time.Minute}))
			c := h.team()
			admin := bearer(c.admin)
			const newPW = "alice-New-Pa55word"
			h.secret("new password", newPW)

			// Passwords on every path.
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.alice), body: map[string]any{"password": newPW, "current_password": alicePW}})
			for _, pw := range []string{alicePW, bobPW} { // the old one, someone else's
				h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", ip: "203.0.113.9", body: map[string]string{"username": "alice", "password": pw}})
			}
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", ip: "203.0.113.9", body: map[string]string{"username": "ghost", "password": carolPW}})
			// The address is locked now: wrong passwords from it answer 429, a right one still signs in.
			h.expect(http.StatusTooManyRequests, call{method: http.MethodPost, path: "/api/auth/login", ip: "203.0.113.9", body: map[string]string{"username": "ghost", "password": carolPW}})
			h.token("session of alice", decode[sessionView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/auth/login", ip: "203.0.113.9", body: map[string]string{"username": "alice", "password": newPW}})).Token)
			alice := h.loginAs(call{ip: "203.0.113.10"}, "alice", newPW)
			h.expectMe(basic("alice", newPW), "alice")
			h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: basic("alice", alicePW), ip: "203.0.113.11"})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/users", auth: admin, body: map[string]any{"username": "carol", "password": carolPW, "bogus": true}})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/users", auth: admin, body: map[string]any{"username": 5, "password": carolPW}})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/auth/login", body: `{"username":"alice","password":"` + newPW + `"`})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/auth/login", body: `{"username":"alice","password":"` + newPW + `"} trailing`})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/users", auth: admin, body: map[string]any{"username": "carol", "password": carolPW + strings.Repeat("x", 60)}})
			h.expect(http.StatusConflict, call{method: http.MethodPost, path: "/api/users", auth: admin, body: map[string]any{"username": "bob", "password": carolPW}})
			h.createUser(c.admin, "carol", carolPW)

			// Tokens on every path.
			tok := h.newToken(bearer(alice), "secret-test", 0)
			h.expectMe(bearer(tok.Token), "alice")
			h.expectMe(basic("alice", tok.Token), "alice")
			h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: basic("bob", tok.Token)})
			h.decide(tok.Token, "experiment:1", "read")
			h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch", body: map[string]any{"token": tok.Token, "component": "ml_studio", "elements": []string{"experiment:1", "experiment:2"}, "operation": "read"}})
			h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/readable", body: map[string]any{"token": tok.Token, "component": "ml_studio", "kind": "experiment"}})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/authorize", body: map[string]any{"token": tok.Token, "component": "ml_studio", "element": 5, "operation": "read"}})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/authorize", body: `{"token":"` + tok.Token + `","bogus":1}`})
			h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/authorize", body: map[string]any{"token": tok.Token, "user": "bob", "component": "ml_studio", "element": "experiment:1", "operation": "read"}})
			h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/tokens", auth: bearer(alice)})
			h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/tokens?all=true", auth: admin})
			h.expect(http.StatusNoContent, call{method: http.MethodDelete, path: fmt.Sprintf("/api/tokens/%d", tok.ID), auth: bearer(alice)})
			h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(tok.Token)})
			h.decide(tok.Token, "experiment:1", "read")
			h.decide(c.bob, "experiment:1", "edit")
			h.expect(http.StatusNoContent, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(alice)})
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(alice)})
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/bob", auth: admin, body: map[string]any{"is_active": false}})
			h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(c.bob)})

			// Everything an admin can read back.
			for _, path := range []string{"/api/users", "/api/users/alice", "/api/users/alice/grants", "/api/groups/team/members", "/api/audit?limit=500", "/api/elements/access?element=project:alpha", "/api/auth/me"} {
				h.expect(http.StatusOK, call{method: http.MethodGet, path: path, auth: admin})
			}
			h.expect(http.StatusOK, call{method: http.MethodGet, path: "/healthz"})
			h.expect(http.StatusOK, call{method: http.MethodGet, path: "/readyz"})

			// The capture is real: one request line per request, debug included.
			requests, debug := 0, 0
			for _, e := range h.logs.All() {
				if e.Message == "request" {
					requests++
				}
				if e.Level == zapcore.DebugLevel {
					debug++
				}
			}
			if requests != h.requests || debug == 0 {
				t.Fatalf("captured %d request lines for %d requests and %d debug lines", requests, h.requests, debug)
			}
			if leaks := h.leaks(); len(leaks) != 0 {
				t.Fatalf("leaks:\n%s", strings.Join(leaks, "\n"))
			}

			// And the check itself catches what it looks for.
			sum := sha256.Sum256([]byte(tok.Token))
			user, err := h.store.UserByName(t.Context(), "carol")
			if err != nil {
				t.Fatal(err)
			}
			planted := []string{newPW, tok.Token, hex.EncodeToString(sum[:]), user.PasswordHash}
			for _, p := range planted {
				h.log.Debug("canary", zap.String("value", "…"+p+"…"))
			}
			h.replies = append(h.replies, reply{call: call{method: "GET", path: "/canary"}, code: 200, body: []byte(`{"token_hash":"` + hex.EncodeToString(sum[:]) + `"}`)})
			found := strings.Join(h.leaks(), "\n")
			for _, want := range []string{"new password leaked in a log line", "api token secret-test leaked in a log line", "api token secret-test hash leaked in a log line",
				"bcrypt hash of carol leaked in a log line", "a bcrypt hash in a log line", "api token secret-test hash", `"token_hash" in the answer to GET /canary`} {
				if !strings.Contains(found, want) {
					t.Errorf("the leak check missed %q; it found:\n%s", want, found)
				}
			}
			h.logs.TakeAll()
			h.replies = h.replies[:len(h.replies)-1]
		})
	}
}
