package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// accessList reads GET /api/elements/access as "subject effect operation
// element" lines, the grants on the element itself (not inherited) only.
func (h *harness) accessList(auth, element string) []string {
	h.t.Helper()
	l := decode[struct {
		Element string      `json:"element"`
		Grants  []grantView `json:"grants"`
	}](h.t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/elements/access?element=" + url.QueryEscape(element), auth: auth}))
	var out []string
	for _, g := range l.Grants {
		if !g.Inherited {
			out = append(out, strings.TrimSpace(g.Subject+" "+g.Effect+" "+g.Operation)+" "+g.Element)
		}
	}
	slices.Sort(out)
	return out
}

// userGrants reads GET /api/users/{username}/grants as the same lines.
func (h *harness) userGrants(auth, username string) []string {
	h.t.Helper()
	l := decode[struct {
		Grants []grantView `json:"grants"`
	}](h.t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users/" + username + "/grants", auth: auth}))
	var out []string
	for _, g := range l.Grants {
		out = append(out, strings.TrimSpace(g.Subject+" "+g.Effect+" "+g.Operation)+" "+g.Element)
	}
	slices.Sort(out)
	return out
}

// TestAdminDenyOverAnAllow: an admin's deny on an element where the user
// (or the group) holds an explicit read allow is stored beside it, not
// refused as "already exists", and takes effect at once; the access list
// and the user's grants show both.
func TestAdminDenyOverAnAllow(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin := bearer(c.admin)

			h.grant(admin, map[string]string{"element": "experiment:1", "operation": "read", "user": "bob"})
			h.grant(admin, map[string]string{"element": "experiment:1", "effect": "deny", "user": "bob"})
			if d := h.decide(c.bob, "experiment:1", "read"); d.Allowed {
				t.Errorf("bob reads experiment:1 despite the admin's deny: %+v", d)
			}
			// The admin registered the element, hence their manage.
			want := []string{"user:admin allow manage experiment:1", "user:bob allow read experiment:1", "user:bob deny experiment:1"}
			if got := h.accessList(admin, "experiment:1"); !slices.Equal(got, want) {
				t.Errorf("access list of experiment:1 = %v, want %v", got, want)
			}

			h.grant(admin, map[string]string{"element": "experiment:2", "operation": "read", "group": "team"})
			h.grant(admin, map[string]string{"element": "experiment:2", "effect": "deny", "group": "team"})
			if d := h.decide(c.bob, "experiment:2", "read"); d.Allowed {
				t.Errorf("bob reads experiment:2 despite the deny on his group: %+v", d)
			}
			want = []string{"group:team allow read experiment:2", "group:team deny experiment:2", "user:admin allow manage experiment:2"}
			if got := h.accessList(admin, "experiment:2"); !slices.Equal(got, want) {
				t.Errorf("access list of experiment:2 = %v, want %v", got, want)
			}

			want = []string{"group:team allow read experiment:2", "group:team allow read project:alpha", "group:team deny experiment:2",
				"user:bob allow read experiment:1", "user:bob deny experiment:1"}
			if got := h.userGrants(bearer(c.bob), "bob"); !slices.Equal(got, want) {
				t.Errorf("bob's grants = %v, want %v", got, want)
			}
			if d := h.decide(c.bob, "project:alpha", "read"); !d.Allowed {
				t.Errorf("bob lost project:alpha, which no deny names: %+v", d)
			}
		})
	}
}

// TestWhoLiftsADeny: a manager may place a deny and lift their own, not
// an admin's nor another manager's; an admin lifts any, and an admin's deny
// over a manager's identical one makes it the admin's. For users and groups.
func TestWhoLiftsADeny(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin := bearer(c.admin)
			h.createUser(c.admin, "carol", carolPW)
			carol := bearer(h.login("carol", carolPW))
			alice := bearer(c.alice)
			for _, who := range []string{"alice", "carol"} {
				h.grant(admin, map[string]string{"element": "project:alpha", "operation": "manage", "user": who})
			}

			for _, subject := range []map[string]string{{"user": "bob"}, {"group": "team"}} {
				deny := map[string]string{"element": "experiment:1", "effect": "deny"}
				for k, v := range subject {
					deny[k] = v
				}
				steps := []struct {
					name, auth, path string
					want             int
					bobReads         bool
				}{
					{"the admin denies", admin, "/api/grants", http.StatusCreated, false},
					{"a manager cannot lift the admin's deny", alice, "/api/grants/revoke", http.StatusForbidden, false},
					{"the admin lifts it", admin, "/api/grants/revoke", http.StatusNoContent, true},
					{"a manager denies", alice, "/api/grants", http.StatusCreated, false},
					{"another manager cannot lift it", carol, "/api/grants/revoke", http.StatusForbidden, false},
					{"its placer lifts it", alice, "/api/grants/revoke", http.StatusNoContent, true},
					{"a manager denies again", alice, "/api/grants", http.StatusCreated, false},
					{"the admin's same deny takes it over", admin, "/api/grants", http.StatusCreated, false},
					{"the admin's deny twice already exists", admin, "/api/grants", http.StatusConflict, false},
					{"so its first placer cannot lift it", alice, "/api/grants/revoke", http.StatusForbidden, false},
					{"an admin still can", admin, "/api/grants/revoke", http.StatusNoContent, true},
					{"a deny no one placed is not found", alice, "/api/grants/revoke", http.StatusNotFound, true},
				}
				for _, s := range steps {
					r := h.do(call{method: http.MethodPost, path: s.path, auth: s.auth, body: deny})
					if r.code != s.want {
						t.Fatalf("%v: %s: %s, want %d", subject, s.name, r, s.want)
					}
					if s.want >= 400 {
						errorMessage(t, r)
					}
					if d := h.decide(c.bob, "experiment:1", "read"); d.Allowed != s.bobReads {
						t.Fatalf("%v: after %q bob reads experiment:1: %+v, want %v", subject, s.name, d, s.bobReads)
					}
				}
			}

			var refused int
			for _, e := range h.audit(c.admin) {
				if e.Action == "grant.revoke" && e.Result == "denied" && e.Target == "experiment:1" && strings.Contains(e.Detail, "placed by someone else") {
					refused++
				}
			}
			if refused != 6 {
				t.Errorf("%d refused lifts audited with their cause, want 6", refused)
			}
		})
	}
}

// TestDenialsDoNotRevealElements: to a caller who is not an admin, a
// denial reads the same whether the element does not exist, exists without
// a grant for the subject, or is denied to them, on /api/authorize and
// /api/authorize/batch alike; an admin asking on the subject's behalf, and
// the audit trail, keep the detailed reasons.
func TestDenialsDoNotRevealElements(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin := bearer(c.admin)
			h.register(admin, "project:secret", "")
			h.register(admin, "project:shut", "")
			h.grant(admin, map[string]string{"element": "project:shut", "effect": "deny", "user": "bob"})
			h.register(admin, "experiment:9", "project:shut")
			unknown, unreadable := "experiment:404", []string{"project:secret", "project:shut", "experiment:9", "experiment:2"}
			h.grant(admin, map[string]string{"element": "experiment:2", "effect": "deny", "group": "team"})

			type ask struct {
				name string
				do   func(element string) decision
			}
			asks := []ask{
				{"token in the body", func(e string) decision { return h.decide(c.bob, e, "read") }},
				{"the caller", func(e string) decision {
					return decode[decision](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", auth: bearer(c.bob),
						body: map[string]string{"component": "ml_studio", "element": e, "operation": "read"}}))
				}},
				{"batch", func(e string) decision {
					b := decode[batchView](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize/batch", auth: bearer(c.bob),
						body: map[string]any{"component": "ml_studio", "elements": []string{e, "experiment:1"}, "operation": "read"}}))
					return decision{Allowed: b.Decisions[e].Allowed, Reason: b.Decisions[e].Reason}
				}},
			}
			for _, a := range asks {
				want := a.do(unknown)
				if want.Allowed || want.Reason == "" {
					t.Fatalf("%s: %s = %+v, want a denial with a reason", a.name, unknown, want)
				}
				for _, e := range unreadable {
					if got := a.do(e); got.Allowed || got.Reason != want.Reason {
						t.Errorf("%s: %s (exists) denied for %q, %s (does not) for %q: want one reason", a.name, e, got.Reason, unknown, want.Reason)
					}
				}
			}

			onBehalf := func(e string) decision {
				return decode[decision](t, h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", auth: admin,
					body: map[string]string{"user": "bob", "component": "ml_studio", "element": e, "operation": "read"}}))
			}
			for e, want := range map[string]string{unknown: "unknown element", "project:secret": "no grant of read", "experiment:9": "explicit deny"} {
				if d := onBehalf(e); d.Allowed || !strings.Contains(d.Reason, want) {
					t.Errorf("admin asking for bob about %s: %+v, want a reason with %q", e, d, want)
				}
			}

			details := map[string]string{}
			for _, e := range h.audit(c.admin) {
				if e.Action == "authorize" && e.Actor == "bob" && e.Result == "denied" {
					details[e.Target] = e.Detail
				}
			}
			for e, want := range map[string]string{unknown: "unknown element", "project:secret": "no grant of read", "experiment:9": "explicit deny"} {
				if !strings.Contains(details[e], want) {
					t.Errorf("audit of bob's denial on %s: %q, want the detailed reason (%q)", e, details[e], want)
				}
			}
		})
	}
}
