package api_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// The account's own security (security audit F7, F12): an API token may
// neither change its owner's password nor mint tokens nor sign them out
// everywhere; a password change needs the current one; an admin's reset
// revokes everything at once; a disabled account's right password answers as
// a wrong one; group members see each other's names only.

// TestPasswordChangeNeedsSignIn: changing one's own password needs the
// current password and a session or the password itself, never an API
// token; refusals change nothing, and a success signs the other sessions out
// but keeps the API tokens.
func TestPasswordChangeNeedsSignIn(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			tok := h.newToken(bearer(c.alice), "notebook", 0)
			other := h.login("alice", alicePW)
			const newPW = "alice-Pa55word-changed"
			h.secret("new password", newPW)
			change := func(pw, current string) map[string]any {
				b := map[string]any{"password": pw}
				if current != "" {
					b["current_password"] = current
				}
				return b
			}

			refusals := []struct {
				name string
				auth string
				user string
				body any
				want int
				msg  string
			}{
				{"an API token", bearer(tok.Token), "alice", change(newPW, ""), http.StatusForbidden, "API token"},
				{"an API token, even with the right current password", bearer(tok.Token), "alice", change(newPW, alicePW), http.StatusForbidden, "API token"},
				{"an API token over basic authentication", basic("alice", tok.Token), "alice", change(newPW, alicePW), http.StatusForbidden, "API token"},
				{"a session without current_password", bearer(c.alice), "alice", change(newPW, ""), http.StatusBadRequest, "'current_password' is required"},
				{"a session with an empty current_password", bearer(c.alice), "alice", map[string]any{"password": newPW, "current_password": ""}, http.StatusBadRequest, "'current_password' is required"},
				{"a session with a wrong current_password", bearer(c.alice), "alice", change(newPW, bobPW), http.StatusForbidden, "current_password"},
				{"basic with the password but a wrong current_password", basic("alice", alicePW), "alice", change(newPW, "not-her-password"), http.StatusForbidden, "current_password"},
				{"current_password without a new password", bearer(c.alice), "alice", map[string]any{"display_name": "A", "current_password": alicePW}, http.StatusBadRequest, "current_password"},
				{"current_password in an admin's reset of someone else", bearer(c.admin), "alice", change(newPW, alicePW), http.StatusBadRequest, "current_password"},
				{"a short new password, with the right current one", bearer(c.alice), "alice", change("short", alicePW), http.StatusBadRequest, "password"},
			}
			for _, tt := range refusals {
				t.Run(tt.name, func(t *testing.T) {
					r := h.expect(tt.want, call{method: http.MethodPatch, path: "/api/users/" + tt.user, auth: tt.auth, body: tt.body})
					if msg := errorMessage(t, r); !strings.Contains(msg, tt.msg) {
						t.Errorf("%s: message %q, want it to mention %q", r, msg, tt.msg)
					}
				})
			}
			// Nothing changed: the old password and every credential still hold.
			h.expectMe(basic("alice", alicePW), "alice")
			for name, auth := range map[string]string{"session": bearer(c.alice), "other session": bearer(other), "api token": bearer(tok.Token)} {
				t.Run("after the refusals, "+name+" still works", func(t *testing.T) { h.expectMe(auth, "alice") })
			}
			var denied []string
			for _, e := range h.audit(c.admin) {
				if e.Action == "user.update" && e.Result == "denied" {
					denied = append(denied, e.Detail)
				}
			}
			slices.Sort(denied)
			if want := []string{"an API token may not change your password", "an API token may not change your password", "an API token may not change your password", "wrong current password", "wrong current password"}; !slices.Equal(denied, want) {
				t.Errorf("audited refusals %q, want %q", denied, want)
			}

			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.alice), body: change(newPW, alicePW)})
			h.expectMe(bearer(c.alice), "alice")   // the session that changed it
			h.expectMe(bearer(tok.Token), "alice") // API tokens are kept (README, "Passwords and tokens")
			h.expectRefused("another session after the change", bearer(other))
			h.expectRefused("the old password", basic("alice", alicePW))
			h.expectMe(basic("alice", newPW), "alice")

			// Basic authentication with the password is a sign-in too.
			const thirdPW = "alice-Pa55word-third"
			h.secret("third password", thirdPW)
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/alice", auth: basic("alice", newPW), body: change(thirdPW, newPW)})
			h.expectRefused("the session, after a change over basic", bearer(c.alice))
			h.expectMe(bearer(h.login("alice", thirdPW)), "alice")
		})
	}
}

// TestWrongCurrentPasswordIsThrottled: guessing the current password with a
// stolen session is bounded like guessing it at the login, by the same
// per-account count.
func TestWrongCurrentPasswordIsThrottled(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open, withThrottle(authn.ThrottleConfig{MaxFailures: 3, Window: time.Hour, Lockout: time.Minute}))
			c := h.team()
			body := func(current string) map[string]any {
				return map[string]any{"password": "alice-Pa55word-guess", "current_password": current}
			}
			for range 3 {
				h.expect(http.StatusForbidden, call{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.alice), body: body("a-wrong-guess")})
			}
			for _, cl := range []call{
				{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.alice), body: body(alicePW)},
				{method: http.MethodPost, path: "/api/auth/login", ip: "203.0.113.20", body: map[string]string{"username": "alice", "password": alicePW}},
			} {
				if r := h.expect(http.StatusTooManyRequests, cl); r.header.Get("Retry-After") == "" {
					t.Errorf("%s: no Retry-After", r)
				}
			}
			h.expectMe(bearer(c.alice), "alice") // the session itself is not signed out
		})
	}
}

// TestTokensNeedSignIn: an API token cannot mint another; a session or the
// password over basic authentication can.
func TestTokensNeedSignIn(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			tok := h.newToken(bearer(c.alice), "notebook", 0)
			body := map[string]any{"name": "persist", "expires_in_days": 365}
			for name, auth := range map[string]string{"bearer": bearer(tok.Token), "basic": basic("alice", tok.Token)} {
				t.Run("an API token as "+name, func(t *testing.T) {
					r := h.expect(http.StatusForbidden, call{method: http.MethodPost, path: "/api/tokens", auth: auth, body: body})
					if msg := errorMessage(t, r); !strings.Contains(msg, "API token may not create API tokens") {
						t.Errorf("message %q", msg)
					}
				})
			}
			h.newToken(basic("alice", alicePW), "by password", 0)
			l := decode[listOf[tokenView]](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/tokens", auth: bearer(c.alice)}))
			var names []string
			for _, it := range l.Items {
				names = append(names, it.Name)
			}
			if slices.Sort(names); !slices.Equal(names, []string{"by password", "notebook"}) {
				t.Fatalf("alice's tokens %q: the refused ones must not exist", names)
			}
		})
	}
}

// TestAdminResetRevokesEverything: an admin's password reset is the remedy
// for a taken-over account, so every session and API token of the user is
// refused by the very next request, cached or not.
func TestAdminResetRevokesEverything(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			other := h.login("alice", alicePW)
			tok := h.newToken(bearer(c.alice), "notebook", 0)
			creds := map[string]string{"session": bearer(c.alice), "other session": bearer(other), "api token": bearer(tok.Token), "api token over basic": basic("alice", tok.Token)}
			for _, auth := range creds { // in the decision cache now
				h.expectMe(auth, "alice")
			}
			if d := h.decide(tok.Token, "project:alpha", "read"); d.User == nil {
				t.Fatalf("before the reset: %+v", d)
			}

			const resetPW = "alice-Pa55word-reset"
			h.secret("reset password", resetPW)
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.admin), body: map[string]any{"password": resetPW}})
			for _, name := range slices.Sorted(maps.Keys(creds)) {
				h.expectRefused(name+" after an admin's reset", creds[name])
			}
			if d := h.decide(tok.Token, "project:alpha", "read"); d.Allowed || d.User != nil {
				t.Fatalf("the token in a decision after the reset = %+v, want a denial about nobody", d)
			}
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": "alice", "password": alicePW}})
			h.expectMe(bearer(h.login("alice", resetPW)), "alice")
			h.expectMe(bearer(c.admin), "admin") // the admin's own and others' are untouched
			h.expectMe(bearer(c.bob), "bob")
		})
	}
}

// TestSignOutEverywhere: logout?everywhere=true revokes every session and
// API token of the caller's, and needs a sign-in to do so.
func TestSignOutEverywhere(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			other := h.login("alice", alicePW)
			tok := h.newToken(bearer(c.alice), "notebook", 0)
			everywhere := func(query, auth string) call {
				return call{method: http.MethodPost, path: "/api/auth/logout" + query, auth: auth}
			}
			h.expect(http.StatusForbidden, everywhere("?everywhere=true", bearer(tok.Token)))
			h.expect(http.StatusBadRequest, everywhere("?everywhere=yes", bearer(c.alice)))
			h.expectMe(bearer(other), "alice")
			h.expectMe(bearer(tok.Token), "alice")

			h.expect(http.StatusNoContent, everywhere("?everywhere=true", bearer(c.alice)))
			for name, auth := range map[string]string{"session used": bearer(c.alice), "other session": bearer(other), "api token": bearer(tok.Token)} {
				h.expectRefused(name+" after signing out everywhere", auth)
			}
			h.expectMe(bearer(c.bob), "bob")

			// With the password over basic authentication, and nothing left to revoke.
			h.expect(http.StatusNoContent, everywhere("?everywhere=true", basic("alice", alicePW)))
			h.expect(http.StatusNoContent, everywhere("?everywhere=false", bearer(h.login("alice", alicePW))))
		})
	}
}

// TestDisabledLoginLooksWrong: the right password of a disabled account
// answers exactly as a wrong password (and an unknown user) do, at the login
// and over basic authentication, so it confirms nothing.
func TestDisabledLoginLooksWrong(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			h.createUser(c.admin, "carol", carolPW)
			h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/carol", auth: bearer(c.admin), body: map[string]any{"is_active": false}})

			type answer struct {
				code int
				body string
			}
			of := func(r reply) answer { return answer{r.code, string(r.body)} }
			login := func(user, pw string) answer {
				return of(h.do(call{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": user, "password": pw}}))
			}
			me := func(user, pw string) answer { return of(h.me(basic(user, pw))) }
			for _, ask := range []struct {
				name string
				do   func(user, pw string) answer
			}{{"login", login}, {"basic", me}} {
				t.Run(ask.name, func(t *testing.T) {
					wrong := ask.do("carol", "not-carols-password")
					if wrong.code != http.StatusUnauthorized {
						t.Fatalf("wrong password: %+v, want 401", wrong)
					}
					for name, got := range map[string]answer{"disabled, right password": ask.do("carol", carolPW), "unknown user": ask.do("nobody", carolPW)} {
						if got != wrong {
							t.Errorf("%s: %+v, want exactly the wrong password's %+v", name, got, wrong)
						}
					}
				})
			}
		})
	}
}

// TestGroupMembersNamesOnly: a member sees the other members' usernames and
// display names, as the directory shows them; an admin sees full accounts.
func TestGroupMembersNamesOnly(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/users", auth: bearer(c.admin),
				body: map[string]any{"username": "carol", "password": carolPW, "display_name": "Carol C.", "email": "carol@example.com", "is_admin": true}})
			h.expect(http.StatusNoContent, call{method: http.MethodPut, path: "/api/groups/team/members/carol", auth: bearer(c.admin)})

			members := func(auth string) []map[string]any {
				t.Helper()
				var v struct {
					Members []map[string]any `json:"members"`
				}
				r := h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups/team/members", auth: auth})
				if err := json.Unmarshal(r.body, &v); err != nil {
					t.Fatalf("%s: %v", r, err)
				}
				return v.Members
			}
			tests := []struct {
				name string
				auth string
				keys []string
			}{
				{"a member", bearer(c.bob), []string{"display_name", "username"}},
				{"an admin", bearer(c.admin), []string{"created_at", "display_name", "email", "id", "is_active", "is_admin", "username"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := members(tt.auth)
					if len(got) != 2 || got[0]["username"] != "bob" || got[1]["username"] != "carol" || got[1]["display_name"] != "Carol C." {
						t.Fatalf("members %v, want bob and carol with her display name", got)
					}
					for _, m := range got {
						if keys := slices.Sorted(maps.Keys(m)); !slices.Equal(keys, tt.keys) {
							t.Errorf("member %v: fields %q, want %q", m["username"], keys, tt.keys)
						}
					}
				})
			}
		})
	}
}

// TestLastActiveAdmin: the only admin may not disable or demote themself,
// and two admins demoting each other at the same moment never both win:
// the loser reads that the other is the last active admin (409), or, when
// the winner's change came first, that they are no admin any more (403).
func TestLastActiveAdmin(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			for _, body := range []map[string]any{{"is_active": false}, {"is_admin": false}} {
				r := h.expect(http.StatusBadRequest, call{method: http.MethodPatch, path: "/api/users/admin", auth: bearer(c.admin), body: body})
				if msg := errorMessage(t, r); !strings.Contains(msg, "own account") {
					t.Errorf("%s: message %q", r, msg)
				}
			}
			conflicts := 0
			for round := range 20 {
				a, b := fmt.Sprintf("ada%d", round), fmt.Sprintf("bea%d", round)
				tokens := map[string]string{}
				for _, u := range []string{a, b} {
					h.createUser(c.admin, u, alicePW)
					h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/" + u, auth: bearer(c.admin), body: map[string]any{"is_admin": true}})
					tokens[u] = h.login(u, alicePW)
					h.expectMe(bearer(tokens[u]), u) // in the decision cache
				}
				// The bootstrap admin steps aside for the round: a and b are the only active admins.
				h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/admin", auth: bearer(tokens[a]), body: map[string]any{"is_admin": false}})
				replies := make([]reply, 2)
				var wg sync.WaitGroup
				for i, pair := range [][2]string{{a, b}, {b, a}} {
					wg.Go(func() {
						replies[i] = h.do(call{method: http.MethodPatch, path: "/api/users/" + pair[1], auth: bearer(tokens[pair[0]]), body: map[string]any{"is_admin": false}})
					})
				}
				wg.Wait()
				ok := 0
				for _, r := range replies {
					switch r.code {
					case http.StatusOK:
						ok++
					case http.StatusConflict:
						conflicts++
						if msg := errorMessage(t, r); !strings.Contains(msg, "is the last active admin") {
							t.Errorf("%s: message %q", r, msg)
						}
					case http.StatusForbidden:
						errorMessage(t, r)
					default:
						t.Fatalf("round %d: %s", round, r)
					}
				}
				if ok != 1 {
					t.Fatalf("round %d: %d demotions succeeded, want 1: %v", round, ok, replies)
				}
				// Whoever is still an admin brings the bootstrap admin back.
				winner := a
				if replies[1].code == http.StatusOK {
					winner = b
				}
				h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/admin", auth: bearer(tokens[winner]), body: map[string]any{"is_admin": true}})
				h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/" + winner, auth: bearer(c.admin), body: map[string]any{"is_admin": false}})
			}
			t.Logf("%d of 20 rounds answered 409", conflicts)
		})
	}
}
