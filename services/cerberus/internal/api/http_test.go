package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// TestAcceptanceFlow is the scenario over HTTP only: the admin
// builds a team and a project, a group grant reaches bob, a revocation is
// seen by the very next decision, and the audit trail shows every step with
// who, what, the outcome and the caller's request id.
func TestAcceptanceFlow(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			if created, _, err := h.svc.Bootstrap(t.Context(), "admin", adminPW); err != nil || !created {
				t.Fatalf("bootstrap = %v, %v", created, err)
			}
			admin := h.loginAs(call{rid: "flow-login"}, "admin", adminPW)
			as := func(rid string, c call) call { c.auth, c.rid = bearer(admin), rid; return c }

			alice := decode[userView](t, h.expect(http.StatusCreated, as("flow-user-alice", call{method: http.MethodPost, path: "/api/users",
				body: map[string]any{"username": "Alice", "password": alicePW, "display_name": "Alice A.", "email": "alice@example.com"}})))
			if alice.Username != "alice" || !alice.IsActive || alice.IsAdmin || alice.Email != "alice@example.com" {
				t.Fatalf("created %+v", alice)
			}
			h.expect(http.StatusCreated, as("flow-user-bob", call{method: http.MethodPost, path: "/api/users", body: map[string]any{"username": "bob", "password": bobPW}}))
			h.expect(http.StatusCreated, as("flow-group", call{method: http.MethodPost, path: "/api/groups", body: map[string]string{"name": "team", "description": "the team"}}))
			h.expect(http.StatusNoContent, as("flow-member", call{method: http.MethodPut, path: "/api/groups/team/members/bob"}))
			h.expect(http.StatusCreated, as("flow-project", call{method: http.MethodPost, path: "/api/elements", body: map[string]string{"name": "project:alpha"}}))
			h.expect(http.StatusCreated, as("flow-experiment", call{method: http.MethodPost, path: "/api/elements", body: map[string]string{"name": "experiment:1", "parent": "project:alpha"}}))
			grant := map[string]string{"element": "project:alpha", "operation": "read", "group": "team"}
			h.expect(http.StatusCreated, as("flow-grant", call{method: http.MethodPost, path: "/api/grants", body: grant}))

			members := decode[struct {
				Members []userView `json:"members"`
			}](t, h.expect(http.StatusOK, as("", call{method: http.MethodGet, path: "/api/groups/team/members"})))
			if len(members.Members) != 1 || members.Members[0].Username != "bob" {
				t.Fatalf("members of team = %+v, want bob alone", members.Members)
			}

			bob := h.login("bob", bobPW)
			ask := func(rid, op string) decision {
				t.Helper()
				return decode[decision](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", rid: rid,
					body: map[string]string{"token": bob, "component": "ml_studio", "element": "experiment:1", "operation": op}}))
			}
			if d := ask("flow-allow", "read"); !d.Allowed || d.User == nil || d.User.Username != "bob" {
				t.Fatalf("bob read experiment:1 = %+v, want allowed for bob", d)
			}
			if d := ask("flow-deny", "edit"); d.Allowed || d.User == nil || d.User.Username != "bob" {
				t.Fatalf("bob edit experiment:1 = %+v, want denied for bob", d)
			}
			h.expect(http.StatusNoContent, as("flow-revoke", call{method: http.MethodPost, path: "/api/grants/revoke", body: grant}))
			if d := ask("flow-after-revoke", "read"); d.Allowed {
				t.Fatalf("bob read experiment:1 right after the revocation = %+v, want denied", d)
			}

			type step struct {
				rid, action, actor, target, result, detail string
			}
			steps := []step{
				{"flow-login", "login", "admin", "user:admin", "ok", ""},
				{"flow-user-alice", "user.create", "admin", "user:alice", "ok", ""},
				{"flow-user-bob", "user.create", "admin", "user:bob", "ok", ""},
				{"flow-group", "group.create", "admin", "group:team", "ok", ""},
				{"flow-member", "group.member.add", "admin", "group:team", "ok", "user:bob"},
				{"flow-project", "element.register", "admin", "project:alpha", "ok", ""},
				{"flow-experiment", "element.register", "admin", "experiment:1", "ok", "project:alpha"},
				{"flow-grant", "grant.add", "admin", "project:alpha", "ok", "allow read to group:team"},
				{"flow-deny", "authorize", "bob", "experiment:1", "denied", "edit: "},
				{"flow-revoke", "grant.revoke", "admin", "project:alpha", "ok", "allow read to group:team"},
				{"flow-after-revoke", "authorize", "bob", "experiment:1", "denied", "read: "},
			}
			byRID := map[string][]auditView{}
			for _, e := range h.audit(admin) {
				byRID[e.RequestID] = append(byRID[e.RequestID], e)
			}
			// Denials are written in batches after the fact, so ids need not
			// follow the steps; the time each happened must.
			var last time.Time
			for _, s := range steps {
				got := byRID[s.rid]
				if len(got) != 1 {
					t.Errorf("%s: %d audit entries, want 1: %+v", s.rid, len(got), got)
					continue
				}
				e := got[0]
				if e.Action != s.action || e.Actor != s.actor || e.Target != s.target || e.Result != s.result || !strings.HasPrefix(e.Detail, s.detail) {
					t.Errorf("%s: audit entry %+v, want %+v", s.rid, e, s)
				}
				if e.ClientIP != defIP {
					t.Errorf("%s: client_ip %q, want %q", s.rid, e.ClientIP, defIP)
				}
				at, err := time.Parse(time.RFC3339Nano, e.At)
				if err != nil || at.Before(last) {
					t.Errorf("%s: audit entry at %q out of order (after %s): %v", s.rid, e.At, last.Format(time.RFC3339Nano), err)
				}
				last = at
			}
			if got := byRID["flow-allow"]; len(got) != 0 {
				t.Errorf("an allowed decision was audited: %+v", got)
			}
		})
	}
}

// TestLoginThrottle: failures lock the account and the address they came
// from. A locked account answers 429 with Retry-After even for the right
// password; a locked address only for wrong ones, so the right password of
// an account that is not locked still signs in from it.
func TestLoginThrottle(t *testing.T) {
	const (
		ipA = "198.51.100.1"
		ipB = "198.51.100.2"
		ipC = "198.51.100.3"
		ipD = "198.51.100.4"
		ipE = "198.51.100.5"
	)
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open, withThrottle(authn.ThrottleConfig{MaxFailures: 3, Window: time.Hour, Lockout: time.Minute}))
			c := h.team()
			h.createUser(c.admin, "carol", carolPW)

			login := func(user, pw, ip string) reply {
				return h.do(call{method: http.MethodPost, path: "/api/auth/login", ip: ip, body: map[string]string{"username": user, "password": pw}})
			}
			steps := []struct {
				name     string
				do       func() reply
				want     int
				throttle bool
			}{
				{"alice wrong 1", func() reply { return login("alice", "wrong-password-1", ipA) }, 401, false},
				{"alice wrong 2", func() reply { return login("alice", "wrong-password-2", ipA) }, 401, false},
				{"alice wrong 3 locks alice and address A", func() reply { return login("alice", "wrong-password-3", ipA) }, 401, false},
				{"alice wrong 4: throttled", func() reply { return login("alice", "wrong-password-4", ipA) }, 429, true},
				{"alice's right password is refused while throttled", func() reply { return login("alice", alicePW, ipA) }, 429, true},
				{"from another address too: the account is locked", func() reply { return login("alice", alicePW, ipB) }, 429, true},
				{"basic auth with alice's password is throttled as well", func() reply {
					return h.do(call{method: http.MethodGet, path: "/api/auth/me", ip: ipC, auth: basic("alice", alicePW)})
				}, 429, true},
				{"bob's right password from the locked address A signs in: his account is not locked", func() reply { return login("bob", bobPW, ipA) }, 200, false},
				{"bob's wrong password from A: the address is locked", func() reply { return login("bob", "wrong-password-1", ipA) }, 429, true},
				{"bob from address B signs in", func() reply { return login("bob", bobPW, ipB) }, 200, false},
				{"an unknown user counts against the address", func() reply { return login("nobody", "whatever-password", ipA) }, 429, true},
				// A success clears the account's count, not the address's.
				{"carol wrong 1 from D", func() reply { return login("carol", "wrong-password-1", ipD) }, 401, false},
				{"carol wrong 2 from D", func() reply { return login("carol", "wrong-password-2", ipD) }, 401, false},
				{"carol right from D", func() reply { return login("carol", carolPW, ipD) }, 200, false},
				{"carol wrong 3 from D locks address D", func() reply { return login("carol", "wrong-password-3", ipD) }, 401, false},
				{"carol wrong 4 from D: the address is locked", func() reply { return login("carol", "wrong-password-4", ipD) }, 429, true},
				{"carol right from D: her account is not locked", func() reply { return login("carol", carolPW, ipD) }, 200, false},
				{"carol right from E", func() reply { return login("carol", carolPW, ipE) }, 200, false},
			}
			for _, s := range steps {
				r := s.do()
				if r.code != s.want {
					t.Fatalf("%s: %s, want %d", s.name, r, s.want)
				}
				if r.code == 200 {
					h.token("session", decode[sessionView](t, r).Token)
				} else {
					errorMessage(t, r)
				}
				ra := r.header.Get("Retry-After")
				if !s.throttle {
					if ra != "" {
						t.Errorf("%s: Retry-After %q on a %d", s.name, ra, r.code)
					}
					continue
				}
				if n := atoi(t, ra); n < 1 || n > 60 {
					t.Errorf("%s: Retry-After %q, want 1-60 seconds", s.name, ra)
				}
			}
			throttled := 0
			for _, e := range h.audit(c.admin) {
				if e.Action == "login" && e.Result == "throttled" {
					throttled++
				}
			}
			if throttled != 7 { // the basic-auth attempt is audited as a login too
				t.Errorf("%d throttled logins audited, want 7", throttled)
			}
		})
	}
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}

type tokenView struct {
	ID         uint64  `json:"id"`
	Name       string  `json:"name"`
	Username   string  `json:"username"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  string  `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
	Revoked    bool    `json:"revoked"`
}

type newTokenView struct {
	tokenView
	Token string `json:"token"`
}

// newToken makes an API token for the caller and registers its secret.
func (h *harness) newToken(auth, name string, days int) newTokenView {
	h.t.Helper()
	tok := decode[newTokenView](h.t, h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/tokens", auth: auth,
		body: map[string]any{"name": name, "expires_in_days": days}}))
	h.token("api token "+name, tok.Token)
	return tok
}

func (h *harness) me(auth string) reply {
	return h.do(call{method: http.MethodGet, path: "/api/auth/me", auth: auth})
}

func (h *harness) expectMe(auth, username string) {
	h.t.Helper()
	if u := decode[userView](h.t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: auth})); u.Username != username {
		h.t.Fatalf("me = %q, want %q", u.Username, username)
	}
}

// expectRefused checks a credential no longer opens anything.
func (h *harness) expectRefused(what, auth string) {
	h.t.Helper()
	r := h.me(auth)
	if r.code != http.StatusUnauthorized {
		h.t.Fatalf("%s: %s, want 401", what, r)
	}
	if r.header.Get("WWW-Authenticate") == "" {
		h.t.Errorf("%s: 401 without WWW-Authenticate", what)
	}
}

// TestAPITokens: a token works as Bearer, in basic auth and in decisions
// until it is revoked; lists show its metadata and never its secret; only
// its owner (or an admin) may revoke it.
func TestAPITokens(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			tok := h.newToken(bearer(c.alice), "ci", 30)
			created, err1 := time.Parse(time.RFC3339, tok.CreatedAt)
			expires, err2 := time.Parse(time.RFC3339, tok.ExpiresAt)
			if err1 != nil || err2 != nil || expires.Sub(created) != 30*24*time.Hour {
				t.Fatalf("created_at %q, expires_at %q: want RFC 3339 times 30 days apart", tok.CreatedAt, tok.ExpiresAt)
			}
			if !strings.HasPrefix(tok.Token, "mlt_") || tok.Name != "ci" || tok.Revoked || tok.LastUsedAt != nil {
				t.Fatalf("new token %+v", tok)
			}

			list := func(auth, query string) listOf[tokenView] {
				t.Helper()
				r := h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/tokens" + query, auth: auth})
				raw := decode[listOf[map[string]any]](t, r)
				for _, item := range raw.Items {
					for _, key := range []string{"id", "name", "created_at", "expires_at", "last_used_at", "revoked"} {
						if _, ok := item[key]; !ok {
							t.Errorf("token list item lacks %q: %s", key, r.body)
						}
					}
					if _, ok := item["token"]; ok {
						t.Errorf("token list carries a secret field: %s", r.body)
					}
				}
				return decode[listOf[tokenView]](t, r)
			}
			l := list(bearer(c.alice), "")
			if l.Total != 1 || len(l.Items) != 1 || l.Items[0].ID != tok.ID || l.Items[0].Name != "ci" || l.Items[0].LastUsedAt != nil {
				t.Fatalf("alice's tokens = %+v", l)
			}
			if l := list(bearer(c.bob), ""); l.Total != 0 {
				t.Fatalf("bob sees tokens %+v", l.Items)
			}

			h.expectMe(bearer(tok.Token), "alice")
			h.expectMe(basic("alice", tok.Token), "alice")
			h.expectMe(basic("ALICE", tok.Token), "alice")
			h.expectRefused("alice's token under bob's name", basic("bob", tok.Token))
			if d := h.decide(tok.Token, "experiment:1", "read"); d.Allowed || d.User == nil || d.User.Username != "alice" {
				t.Fatalf("alice's token in a decision = %+v, want a denial about alice", d)
			}
			// The token in the header, no subject in the body: the caller.
			r := h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", auth: bearer(tok.Token),
				body: map[string]string{"component": "ml_studio", "element": "experiment:1", "operation": "read"}})
			if d := decode[decision](t, r); d.User == nil || d.User.Username != "alice" {
				t.Fatalf("decision about the caller = %+v", d)
			}

			// Use is recorded in the background, at most once a minute.
			testenv.WaitFor(t, 10*time.Second, "last_used_at set", func() error {
				if l := list(bearer(c.alice), ""); len(l.Items) != 1 || l.Items[0].LastUsedAt == nil {
					return fmt.Errorf("tokens %+v", l.Items)
				}
				return nil
			})

			// Someone else's token is not found, not forbidden, and stays valid.
			h.expect(http.StatusNotFound, call{method: http.MethodDelete, path: fmt.Sprintf("/api/tokens/%d", tok.ID), auth: bearer(c.bob)})
			h.expectMe(bearer(tok.Token), "alice")
			// An admin sees everyone's, with the owner.
			if l := list(bearer(c.admin), "?all=true"); l.Total != 1 || l.Items[0].Username != "alice" {
				t.Fatalf("all tokens = %+v", l.Items)
			}

			h.expect(http.StatusNoContent, call{method: http.MethodDelete, path: fmt.Sprintf("/api/tokens/%d", tok.ID), auth: bearer(c.alice)})
			h.expectRefused("revoked token as Bearer", bearer(tok.Token))
			h.expectRefused("revoked token in basic auth", basic("alice", tok.Token))
			if d := h.decide(tok.Token, "project:alpha", "read"); d.Allowed || d.User != nil {
				t.Fatalf("revoked token in a decision = %+v, want a denial about nobody", d)
			}
			if l := list(bearer(c.alice), ""); len(l.Items) != 1 || !l.Items[0].Revoked {
				t.Fatalf("after revoking: %+v", l.Items)
			}
			h.expectMe(bearer(c.alice), "alice") // her session is untouched
		})
	}
}

// TestDisableUser: disabling revokes every session and token of the user at
// once, for good — re-enabling does not bring them back.
func TestDisableUser(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			second := h.login("alice", alicePW)
			tok := h.newToken(bearer(c.alice), "ci", 0)
			patch := func(auth string, body map[string]any) reply {
				return h.do(call{method: http.MethodPatch, path: "/api/users/alice", auth: auth, body: body})
			}
			if r := patch(bearer(c.alice), map[string]any{"is_active": false}); r.code != http.StatusForbidden {
				t.Fatalf("alice disabling herself: %s, want 403", r)
			}
			if r := h.do(call{method: http.MethodPatch, path: "/api/users/admin", auth: bearer(c.admin), body: map[string]any{"is_active": false}}); r.code != http.StatusBadRequest {
				t.Fatalf("the admin disabling themself: %s, want 400", r)
			}
			r := patch(bearer(c.admin), map[string]any{"is_active": false})
			if u := decode[userView](t, r); r.code != http.StatusOK || u.IsActive {
				t.Fatalf("disable: %s", r)
			}
			for name, auth := range map[string]string{"session": bearer(c.alice), "second session": bearer(second), "api token": bearer(tok.Token), "basic with token": basic("alice", tok.Token)} {
				h.expectRefused("disabled user's "+name, auth)
			}
			if d := h.decide(tok.Token, "project:alpha", "read"); d.Allowed {
				t.Fatalf("disabled user's token allowed: %+v", d)
			}
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": "alice", "password": alicePW}})
			h.expectMe(bearer(c.bob), "bob") // others are untouched

			if u := decode[userView](t, patch(bearer(c.admin), map[string]any{"is_active": true})); !u.IsActive {
				t.Fatal("re-enable failed")
			}
			for name, auth := range map[string]string{"session": bearer(c.alice), "second session": bearer(second), "api token": bearer(tok.Token)} {
				h.expectRefused("re-enabled user's old "+name, auth)
			}
			h.expectMe(bearer(h.login("alice", alicePW)), "alice")
		})
	}
}

// TestDirectory: any signed-in user finds active colleagues by username
// prefix or display name, sees nothing else of them, and wildcards in the
// query are plain characters.
func TestDirectory(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			for _, u := range []struct{ name, display string }{{"carol", "Carol Danvers"}, {"carl", "Carl_Sagan"}, {"dora", "Dora 100%"}} {
				h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/users", auth: bearer(c.admin),
					body: map[string]any{"username": u.name, "password": carolPW, "display_name": u.display, "email": u.name + "@example.com"}})
			}
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/carl", auth: bearer(c.admin), body: map[string]any{"is_active": false}})
			type person struct {
				Username    string `json:"username"`
				DisplayName string `json:"display_name"`
			}
			tests := []struct {
				query string
				want  []string
			}{
				{"car", []string{"carol"}},                         // carl is disabled
				{"CAR", []string{"carol"}},                         // case does not matter
				{"danv", []string{"carol"}},                        // inside the display name
				{"a", []string{"admin", "alice", "carol", "dora"}}, // two usernames, two display names
				{"%", []string{"dora"}},                            // a literal percent sign, not a wildcard
				{"_", []string{}},                                  // carl's underscore is his, and he is disabled
				{"nobody", []string{}},
			}
			for _, tt := range tests {
				t.Run(tt.query, func(t *testing.T) {
					r := h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/directory/users?q=" + url.QueryEscape(tt.query), auth: bearer(c.bob)})
					if body := string(r.body); strings.Contains(body, "example.com") || strings.Contains(body, "is_admin") {
						t.Fatalf("the directory shows more than names: %s", r.body)
					}
					var got []string
					for _, p := range decode[struct{ Items []person }](t, r).Items {
						got = append(got, p.Username)
					}
					if !slices.Equal(got, tt.want) && len(got)+len(tt.want) > 0 {
						t.Errorf("q=%q: %v, want %v", tt.query, got, tt.want)
					}
				})
			}
			for _, q := range []string{"", "%20%20", strings.Repeat("x", 65), "a&limit=0", "a&limit=x"} {
				h.expect(http.StatusBadRequest, call{method: http.MethodGet, path: "/api/directory/users?q=" + q, auth: bearer(c.bob)})
			}
			r := h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/directory/users?q=a&limit=1", auth: bearer(c.bob)})
			if n := len(decode[struct{ Items []person }](t, r).Items); n != 1 {
				t.Errorf("limit=1 gave %d people", n)
			}
		})
	}
}

// TestLogout revokes the session used, and only it.
func TestLogout(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			other := h.login("alice", alicePW)
			h.expect(http.StatusNoContent, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(c.alice)})
			h.expectRefused("logged-out session", bearer(c.alice))
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(c.alice)})
			if d := h.decide(c.alice, "project:alpha", "read"); d.Allowed || d.User != nil {
				t.Fatalf("logged-out session in a decision = %+v", d)
			}
			h.expectMe(bearer(other), "alice")
		})
	}
}

// TestNonAdminForbidden: admin endpoints answer 403 to a signed-in
// non-admin, and change nothing.
func TestNonAdminForbidden(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			forbidden := []call{
				{method: http.MethodGet, path: "/api/users"},
				{method: http.MethodPost, path: "/api/users", body: map[string]any{"username": "mallory", "password": "mallory-password"}},
				{method: http.MethodPost, path: "/api/users", body: map[string]any{"username": "mallory", "password": "mallory-password", "is_admin": true}},
				{method: http.MethodGet, path: "/api/users/alice"},
				{method: http.MethodPatch, path: "/api/users/alice", body: map[string]any{"display_name": "pwned"}},
				{method: http.MethodPatch, path: "/api/users/bob", body: map[string]any{"is_admin": true}},
				{method: http.MethodGet, path: "/api/users/alice/grants"},
				{method: http.MethodPost, path: "/api/groups", body: map[string]string{"name": "mine"}},
				{method: http.MethodPut, path: "/api/groups/team/members/alice"},
				{method: http.MethodDelete, path: "/api/groups/team/members/bob"},
				{method: http.MethodGet, path: "/api/audit"},
				{method: http.MethodGet, path: "/api/tokens?all=true"},
				{method: http.MethodGet, path: "/api/tokens?user=alice"},
				{method: http.MethodPost, path: "/api/elements", body: map[string]string{"name": "project:mine"}},
				{method: http.MethodPost, path: "/api/grants", body: map[string]string{"element": "project:alpha", "operation": "manage", "user": "bob"}},
				{method: http.MethodPost, path: "/api/grants/revoke", body: map[string]string{"element": "project:alpha", "operation": "read", "group": "team"}},
				{method: http.MethodPost, path: "/api/elements/rename", body: map[string]string{"from": "experiment:1", "to": "experiment:9"}},
				{method: http.MethodPost, path: "/api/authorize", body: map[string]string{"user": "alice", "component": "ml_studio", "element": "project:alpha", "operation": "read"}},
				{method: http.MethodPost, path: "/api/authorize/batch", body: map[string]any{"user": "alice", "component": "ml_studio", "elements": []string{"project:alpha"}, "operation": "read"}},
				{method: http.MethodPost, path: "/api/authorize/readable", body: map[string]string{"user": "alice", "component": "ml_studio", "kind": "project"}},
			}
			for _, fc := range forbidden {
				fc.auth = bearer(c.bob)
				if r := h.do(fc); r.code != http.StatusForbidden {
					t.Errorf("%s, want 403", r)
				} else {
					errorMessage(t, r)
				}
			}
			// Nothing changed.
			users := decode[listOf[userView]](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users", auth: bearer(c.admin)}))
			var names []string
			for _, u := range users.Items {
				names = append(names, u.Username)
				if u.Username == "bob" && u.IsAdmin || u.DisplayName == "pwned" {
					t.Errorf("user changed: %+v", u)
				}
			}
			if strings.Join(names, ",") != "admin,alice,bob" {
				t.Errorf("users = %v", names)
			}
			if d := h.decide(c.bob, "experiment:1", "read"); !d.Allowed {
				t.Errorf("bob lost his read: %+v", d)
			}
			groups := decode[listOf[groupView]](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups", auth: bearer(c.bob)}))
			if groups.Total != 1 || groups.Items[0].Name != "team" {
				t.Errorf("groups = %+v", groups.Items)
			}
			// What a non-admin may do about themself.
			for _, ok := range []call{
				{method: http.MethodGet, path: "/api/users/bob"},
				{method: http.MethodGet, path: "/api/users/bob/grants"},
				{method: http.MethodPatch, path: "/api/users/bob", body: map[string]any{"display_name": "Bob B."}},
				{method: http.MethodGet, path: "/api/groups/team/members"},
			} {
				ok.auth = bearer(c.bob)
				h.expect(http.StatusOK, ok)
			}
		})
	}
}

// TestDelegation: whoever registers an element manages it and may grant on
// it; create on a project is not manage on it; without manage, 403.
func TestDelegation(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			h.createUser(c.admin, "carol", carolPW)
			h.revoke(bearer(c.admin), map[string]string{"element": "project:alpha", "operation": "read", "group": "team"})
			h.register(bearer(c.admin), "project:beta", "")
			h.grant(bearer(c.admin), map[string]string{"element": "project:alpha", "operation": "create", "user": "alice"})

			h.register(bearer(c.alice), "experiment:3", "project:alpha")
			grants := decode[struct {
				Grants []grantView `json:"grants"`
			}](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users/alice/grants", auth: bearer(c.alice)}))
			var mine []string
			for _, g := range grants.Grants {
				mine = append(mine, g.Subject+" "+g.Effect+" "+g.Operation+" "+g.Element)
			}
			if strings.Join(mine, "; ") != "user:alice allow manage experiment:3; user:alice allow create project:alpha" &&
				strings.Join(mine, "; ") != "user:alice allow create project:alpha; user:alice allow manage experiment:3" {
				t.Fatalf("alice's grants = %v", mine)
			}
			if d := h.decide(c.alice, "experiment:3", "manage"); !d.Allowed {
				t.Fatalf("creator's manage = %+v", d)
			}

			tests := []struct {
				name string
				auth string
				body map[string]string
				want int
			}{
				{"bob without manage cannot grant himself", bearer(c.bob), map[string]string{"element": "experiment:3", "operation": "read", "user": "bob"}, 403},
				{"alice has create on alpha, not manage", bearer(c.alice), map[string]string{"element": "project:alpha", "operation": "read", "user": "bob"}, 403},
				{"nor anything on beta", bearer(c.alice), map[string]string{"element": "project:beta", "operation": "read", "user": "bob"}, 403},
				{"nor on the root", bearer(c.alice), map[string]string{"element": "*", "operation": "read", "user": "bob"}, 403},
				{"alice grants bob read on her element", bearer(c.alice), map[string]string{"element": "experiment:3", "operation": "read", "user": "bob"}, 201},
				{"bob, a reader, still cannot grant", bearer(c.bob), map[string]string{"element": "experiment:3", "operation": "read", "user": "carol"}, 403},
			}
			for _, tt := range tests {
				r := h.do(call{method: http.MethodPost, path: "/api/grants", auth: tt.auth, body: tt.body})
				if r.code != tt.want {
					t.Fatalf("%s: %s, want %d", tt.name, r, tt.want)
				}
			}
			if d := h.decide(c.bob, "experiment:3", "read"); !d.Allowed {
				t.Fatalf("bob after alice's grant = %+v", d)
			}
			if d := h.decide(c.bob, "experiment:3", "edit"); d.Allowed {
				t.Fatalf("bob edit = %+v", d)
			}
			for _, e := range []struct{ name, parent string }{{"experiment:4", "project:alpha"}, {"experiment:5", "project:beta"}, {"project:gamma", ""}, {"*", "project:alpha"}} {
				r := h.do(call{method: http.MethodPost, path: "/api/elements", auth: bearer(c.bob), body: map[string]string{"name": e.name, "parent": e.parent}})
				if r.code != http.StatusForbidden {
					t.Errorf("bob registering %s under %q: %s, want 403", e.name, e.parent, r)
				}
			}
			// Creating under alpha must never make alice a manager of more
			// than what she created: the root is not hers to register.
			if r := h.do(call{method: http.MethodPost, path: "/api/elements", auth: bearer(c.alice), body: map[string]string{"name": "*", "parent": "project:alpha"}}); r.code < 400 || r.code >= 500 {
				t.Errorf("alice registering the root: %s, want a 4xx", r)
			}
			if d := h.decide(c.alice, "experiment:1", "manage"); d.Allowed {
				t.Fatalf("alice manages experiment:1: %+v", d)
			}
			h.revoke(bearer(c.alice), map[string]string{"element": "experiment:3", "operation": "read", "user": "bob"})
			if d := h.decide(c.bob, "experiment:3", "read"); d.Allowed {
				t.Fatalf("bob after alice's revocation = %+v", d)
			}
		})
	}
}

// TestDecisions: batch answers equal single answers, readable lists exactly
// what single decisions allow, and an explicit deny beats a group's allow.
func TestDecisions(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin := bearer(c.admin)
			for _, e := range []string{"experiment:3", "experiment:4"} {
				h.register(admin, e, "project:alpha")
			}
			h.register(admin, "project:beta", "")
			h.register(admin, "experiment:10", "project:beta")
			h.register(admin, "project:gamma", "")
			h.register(admin, "experiment:20", "project:gamma")
			h.register(admin, "registered_model:churn", "project:beta")
			h.grant(admin, map[string]string{"element": "experiment:2", "effect": "deny", "user": "bob"})
			h.grant(admin, map[string]string{"element": "project:beta", "operation": "edit", "user": "bob"})
			h.grant(admin, map[string]string{"element": "experiment:20", "operation": "manage", "group": "team"})
			h.grant(admin, map[string]string{"element": "project:gamma", "effect": "deny", "group": "team"})

			elements := []string{"*", "project:default", "project:alpha", "experiment:1", "experiment:2", "experiment:3", "experiment:4",
				"project:beta", "experiment:10", "registered_model:churn", "project:gamma", "experiment:20", "experiment:404"}
			want := map[string]map[string]bool{ // operation → elements allowed to bob
				"read":   {"project:alpha": true, "experiment:1": true, "experiment:3": true, "experiment:4": true, "project:beta": true, "experiment:10": true, "registered_model:churn": true},
				"edit":   {"project:beta": true, "experiment:10": true, "registered_model:churn": true},
				"manage": {},
				"create": {},
			}
			for op, allowed := range want {
				batch := decode[batchView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch",
					body: map[string]any{"token": c.bob, "component": "ml_studio", "elements": elements, "operation": op}}))
				if len(batch.Decisions) != len(elements) || batch.User == nil || batch.User.Username != "bob" {
					t.Fatalf("%s batch = %+v", op, batch)
				}
				for _, e := range elements {
					single := h.decide(c.bob, e, op)
					b := batch.Decisions[e]
					if b.Allowed != single.Allowed || b.Reason != single.Reason {
						t.Errorf("%s %s: batch %+v, single %+v", op, e, b, single)
					}
					if single.Allowed != allowed[e] {
						t.Errorf("%s %s = %+v, want allowed %v", op, e, single, allowed[e])
					}
				}
			}
			// "What may bob do?" in one batch: the operations allowed on each
			// element, in the order asked, the same whether bob asks with his
			// session in the header (as the UI does through ml_studio) or in
			// the body; nothing of it is audited. An admin may do all of it.
			asked := []string{"read", "edit", "manage", "create", "edit"}
			auditBefore := len(h.audit(c.admin))
			for name, body := range map[string]map[string]any{
				"header": {"component": "ml_studio", "elements": elements, "operations": asked},
				"token":  {"token": c.bob, "component": "ml_studio", "elements": elements, "operations": asked},
			} {
				auth := ""
				if name == "header" {
					auth = bearer(c.bob)
				}
				got := decode[batchView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch", auth: auth, body: body}))
				if got.Decisions != nil || got.User == nil || got.User.Username != "bob" || len(got.Operations) != len(elements) {
					t.Fatalf("operations by %s = %+v", name, got)
				}
				for _, e := range elements {
					wantOps := []string{}
					for _, op := range asked[:4] {
						if want[op][e] {
							wantOps = append(wantOps, op)
						}
					}
					if ops, ok := got.Operations[e]; !ok || strings.Join(ops, ",") != strings.Join(wantOps, ",") {
						t.Errorf("operations by %s on %s = %v (present %v), want %v", name, e, ops, ok, wantOps)
					}
				}
			}
			if n := len(h.audit(c.admin)); n != auditBefore {
				t.Errorf("the operations questions added %d audit entries, want none", n-auditBefore)
			}
			all := decode[batchView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch", auth: admin,
				body: map[string]any{"component": "ml_studio", "elements": []string{"experiment:404", "project:beta"}, "operations": []string{"manage", "create"}}}))
			for e, ops := range all.Operations {
				if strings.Join(ops, ",") != "manage,create" {
					t.Errorf("admin's operations on %s = %v", e, ops)
				}
			}
			nobody := decode[batchView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch",
				body: map[string]any{"token": neverIssued(t), "component": "ml_studio", "elements": []string{"project:alpha"}, "operations": []string{"read"}}}))
			if ops, ok := nobody.Operations["project:alpha"]; !ok || len(ops) != 0 || nobody.User != nil {
				t.Errorf("operations for a token that does not hold = %+v", nobody)
			}

			// Bob reads one reason for every denial; an admin asking for him
			// reads which rule denied.
			forBob := func(element string) decision {
				return decode[decision](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", auth: admin,
					body: map[string]string{"user": "bob", "component": "ml_studio", "element": element, "operation": "read"}}))
			}
			if d := forBob("experiment:2"); !strings.Contains(d.Reason, "deny") {
				t.Errorf("experiment:2 denied for %q, want the explicit deny named", d.Reason)
			}
			if d := forBob("experiment:20"); !strings.Contains(d.Reason, "deny") {
				t.Errorf("experiment:20 (manage granted, parent denied) denied for %q, want the deny named", d.Reason)
			}

			readable := func(token, kind, op string) readableView {
				t.Helper()
				return decode[readableView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/readable",
					body: map[string]string{"token": token, "component": "ml_studio", "kind": kind, "operation": op}}))
			}
			for _, tt := range []struct {
				kind, op string
				want     []string
			}{
				{"experiment", "", []string{"experiment:1", "experiment:10", "experiment:3", "experiment:4"}},
				{"experiment", "read", []string{"experiment:1", "experiment:10", "experiment:3", "experiment:4"}},
				{"project", "read", []string{"project:alpha", "project:beta"}},
				{"registered_model", "read", []string{"registered_model:churn"}},
				{"experiment", "edit", []string{"experiment:10"}},
				{"experiment", "manage", nil},
			} {
				r := readable(c.bob, tt.kind, tt.op)
				if r.All || len(r.Except) != 0 || strings.Join(r.Names, ",") != strings.Join(tt.want, ",") {
					t.Errorf("readable %s %s = %+v, want exactly %v", tt.kind, tt.op, r, tt.want)
				}
				// Cross-check with single decisions on every known element of the kind.
				op := tt.op
				if op == "" {
					op = "read"
				}
				for _, e := range elements[:len(elements)-1] {
					if strings.HasPrefix(e, tt.kind+":") && h.decide(c.bob, e, op).Allowed != contains(r.Names, e) {
						t.Errorf("readable %s %s and the decision on %s disagree", tt.kind, op, e)
					}
				}
			}
			if r := readable(c.admin, "experiment", "read"); !r.All || len(r.Names) != 0 {
				t.Errorf("admin readable = %+v, want all", r)
			}
			// A grant on the root reaches everything but what is denied.
			h.createUser(c.admin, "carol", carolPW)
			h.grant(admin, map[string]string{"element": "*", "operation": "read", "user": "carol"})
			h.grant(admin, map[string]string{"element": "experiment:3", "effect": "deny", "user": "carol"})
			carol := h.login("carol", carolPW)
			if r := readable(carol, "experiment", "read"); !r.All || strings.Join(r.Except, ",") != "experiment:3" {
				t.Errorf("carol readable = %+v, want all but experiment:3", r)
			}
			if d := h.decide(carol, "experiment:3", "read"); d.Allowed {
				t.Errorf("carol on experiment:3 = %+v", d)
			}
			if d := h.decide(carol, "experiment:20", "read"); !d.Allowed {
				t.Errorf("carol on experiment:20 = %+v", d)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestBasicAuth: username with password or API token opens authenticated
// endpoints the way the MLflow client sends them; anything else is a 401
// naming the scheme.
func TestBasicAuth(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			tok := h.newToken(bearer(c.alice), "mlflow", 0)
			bobTok := h.newToken(bearer(c.bob), "bob", 0)
			tests := []struct {
				name, auth, user string // user "" means refused
			}{
				{"password", basic("alice", alicePW), "alice"},
				{"username in capitals", basic("Alice", alicePW), "alice"},
				{"api token", basic("alice", tok.Token), "alice"},
				{"wrong password", basic("alice", "not-her-password"), ""},
				{"another user's password", basic("alice", bobPW), ""},
				{"unknown user", basic("mallory", alicePW), ""},
				{"another user's token", basic("alice", bobTok.Token), ""},
				{"a session is not a basic secret of another name", basic("bob", c.alice), ""},
				{"empty password", basic("alice", ""), ""},
				{"no colon", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice")), ""},
				{"not base64", "Basic !!!!", ""},
			}
			for _, tt := range tests {
				r := h.me(tt.auth)
				if tt.user == "" {
					if r.code != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
						t.Errorf("%s: %s (WWW-Authenticate %q), want 401 with WWW-Authenticate", tt.name, r, r.header.Get("WWW-Authenticate"))
					}
					continue
				}
				if r.code != http.StatusOK || decode[userView](t, r).Username != tt.user {
					t.Errorf("%s: %s, want 200 as %s", tt.name, r, tt.user)
				}
			}
			// Basic credentials name the subject of a decision, too.
			r := h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", auth: basic("bob", bobPW),
				body: map[string]string{"component": "ml_studio", "element": "experiment:1", "operation": "read"}})
			if d := decode[decision](t, r); !d.Allowed || d.User == nil || d.User.Username != "bob" {
				t.Fatalf("decision by basic auth = %+v", d)
			}
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/authorize", auth: basic("bob", "wrong-password"),
				body: map[string]string{"component": "ml_studio", "element": "experiment:1", "operation": "read"}})
			// And an admin endpoint by basic auth.
			h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users", auth: basic("admin", adminPW)})
		})
	}
}
