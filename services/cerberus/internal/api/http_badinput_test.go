package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ml-studio/ml-studio/pkg/catalogue"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// jsonEndpoints are the routes that read a JSON body, each with a caller
// allowed to use it.
func jsonEndpoints(c team) []call {
	return []call{
		{method: http.MethodPost, path: "/api/auth/login"},
		{method: http.MethodPost, path: "/api/users", auth: bearer(c.admin)},
		{method: http.MethodPatch, path: "/api/users/alice", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/tokens", auth: bearer(c.alice)},
		{method: http.MethodPost, path: "/api/groups", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/elements", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/elements/rename", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/grants", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/grants/revoke", auth: bearer(c.admin)},
		{method: http.MethodPost, path: "/api/authorize"},
		{method: http.MethodPost, path: "/api/authorize/batch"},
		{method: http.MethodPost, path: "/api/authorize/readable"},
	}
}

type badCase struct {
	name string
	call call
	want int
	msg  string // the error message must contain it
}

// TestBadInput: every malformed or refused request answers a 4xx with a
// clear {"error": ...} — never a 5xx — and leaves nothing behind.
func TestBadInput(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			admin, alice, bob := bearer(c.admin), bearer(c.alice), bearer(c.bob)
			h.grant(admin, map[string]string{"element": "experiment:2", "effect": "deny", "user": "bob"})
			bobToken := h.newToken(bob, "bob's", 0)

			var cases []badCase
			huge := "{" + strings.Repeat(" ", 1<<20) + "}"
			for _, ep := range jsonEndpoints(c) {
				for _, d := range []struct{ name, body, msg string }{
					{"malformed JSON", `{"name": `, "JSON"},
					{"not JSON at all", `name=alice`, "JSON"},
					{"trailing garbage", `{} xyz`, "single JSON object"},
					{"two objects", `{}{}`, "single JSON object"},
					{"unknown field", `{"bogus": 1}`, "bogus"},
					{"a list, not an object", `[]`, "object"},
					{"a string, not an object", `"x"`, "object"},
					{"empty body", ``, "empty"},
				} {
					cl := ep
					cl.body = d.body
					cases = append(cases, badCase{d.name + ": " + ep.method + " " + ep.path, cl, 400, d.msg})
				}
				cl := ep
				cl.body = huge
				cases = append(cases, badCase{"body over 1 MiB: " + ep.method + " " + ep.path, cl, 413, "larger"})
			}

			post := func(path, auth string, body any) call {
				return call{method: http.MethodPost, path: path, auth: auth, body: body}
			}
			get := func(path, auth string) call { return call{method: http.MethodGet, path: path, auth: auth} }
			user := func(fields map[string]any) map[string]any {
				u := map[string]any{"username": "mallory", "password": "mallory-password"}
				for k, v := range fields {
					u[k] = v
				}
				return u
			}
			grant := func(fields map[string]string) map[string]string {
				g := map[string]string{"element": "project:alpha", "operation": "read", "user": "alice"}
				for k, v := range fields {
					if v == "-" {
						delete(g, k)
					} else {
						g[k] = v
					}
				}
				return g
			}
			authz := func(fields map[string]any) map[string]any {
				a := map[string]any{"token": c.bob, "component": "ml_studio", "element": "experiment:1", "operation": "read"}
				for k, v := range fields {
					if v == "-" {
						delete(a, k)
					} else {
						a[k] = v
					}
				}
				return a
			}
			long := func(prefix string, n int) string { return prefix + strings.Repeat("a", n-len(prefix)) }

			cases = append(cases, []badCase{
				// Wrong types.
				{"username a number", post("/api/users", admin, user(map[string]any{"username": 5})), 400, "'username' must be a string"},
				{"is_admin a string", post("/api/users", admin, user(map[string]any{"is_admin": "yes"})), 400, "'is_admin' must be true or false"},
				{"password a number", post("/api/auth/login", "", map[string]any{"username": "alice", "password": 123}), 400, "'password'"},
				{"is_active a string", call{method: http.MethodPatch, path: "/api/users/alice", auth: admin, body: map[string]any{"is_active": "false"}}, 400, "'is_active'"},
				{"expires_in_days a string", post("/api/tokens", alice, map[string]any{"name": "x", "expires_in_days": "30"}), 400, "'expires_in_days'"},
				{"expires_in_days a fraction", post("/api/tokens", alice, map[string]any{"name": "x", "expires_in_days": 1.5}), 400, "'expires_in_days'"},
				{"expires_in_days beyond int", post("/api/tokens", alice, `{"name":"x","expires_in_days":1e30}`), 400, "'expires_in_days'"},
				{"group name a list", post("/api/groups", admin, map[string]any{"name": []string{"x"}}), 400, "'name'"},
				{"elements a string", post("/api/authorize/batch", "", authz(map[string]any{"elements": "experiment:1", "element": "-"})), 400, "'elements'"},

				// Missing and malformed names.
				{"login without username", post("/api/auth/login", "", map[string]string{"password": "x"}), 400, "'username' is required"},
				{"login without password", post("/api/auth/login", "", map[string]string{"username": "alice"}), 400, "'password' is required"},
				{"empty username", post("/api/users", admin, user(map[string]any{"username": ""})), 400, "'username' is required"},
				{"blank username", post("/api/users", admin, user(map[string]any{"username": "   "})), 400, "'username' is required"},
				{"username over 64", post("/api/users", admin, user(map[string]any{"username": long("u", 65)})), 400, "1-64"},
				{"username with a space", post("/api/users", admin, user(map[string]any{"username": "mal lory"})), 400, "username"},
				{"username starting with '-'", post("/api/users", admin, user(map[string]any{"username": "-mallory"})), 400, "username"},
				{"username not ASCII", post("/api/users", admin, user(map[string]any{"username": "mälory"})), 400, "username"},
				{"short password", post("/api/users", admin, user(map[string]any{"password": "short"})), 400, "password"},
				{"password over 72 bytes", post("/api/users", admin, user(map[string]any{"password": long("p", 73)})), 400, "password"},
				{"display name over 128", post("/api/users", admin, user(map[string]any{"display_name": long("d", 129)})), 400, "display_name"},
				{"bad email", post("/api/users", admin, user(map[string]any{"email": "not-an-address"})), 400, "email"},
				{"email with a name", post("/api/users", admin, user(map[string]any{"email": "Mal <mal@example.com>"})), 400, "email"},
				{"update: bad email", call{method: http.MethodPatch, path: "/api/users/alice", auth: admin, body: map[string]any{"email": "nope"}}, 400, "email"},
				{"update: short password", call{method: http.MethodPatch, path: "/api/users/alice", auth: admin, body: map[string]any{"password": "short"}}, 400, "password"},
				{"update: display name over 128", call{method: http.MethodPatch, path: "/api/users/alice", auth: admin, body: map[string]any{"display_name": long("d", 129)}}, 400, "display_name"},
				{"empty group name", post("/api/groups", admin, map[string]string{"name": ""}), 400, "'name' is required"},
				{"blank group name", post("/api/groups", admin, map[string]string{"name": "   "}), 400, "'name' is required"},
				{"group name over 64", post("/api/groups", admin, map[string]string{"name": long("g", 65)}), 400, "1-64"},
				{"group name with '/'", post("/api/groups", admin, map[string]string{"name": "a/b"}), 400, "group name"},
				{"group description over 255", post("/api/groups", admin, map[string]string{"name": "docs", "description": long("d", 256)}), 400, "description"},
				{"empty element", post("/api/elements", admin, map[string]string{"name": ""}), 400, "'name' is required"},
				{"element without a kind", post("/api/elements", admin, map[string]string{"name": "alpha"}), 400, "project:<key>"},
				{"element of an unknown kind", post("/api/elements", admin, map[string]string{"name": "dataset:x"}), 400, "project:<key>"},
				{"element with an empty key", post("/api/elements", admin, map[string]string{"name": "project:"}), 400, "key"},
				{"element with an empty kind", post("/api/elements", admin, map[string]string{"name": ":x"}), 400, "project:<key>"},
				{"element over 512", post("/api/elements", admin, map[string]string{"name": long("experiment:", 513), "parent": "project:alpha"}), 400, "512"},
				{"invalid parent", post("/api/elements", admin, map[string]string{"name": "experiment:7", "parent": "alpha"}), 400, "project:<key>"},
				{"empty token name", post("/api/tokens", alice, map[string]any{"name": ""}), 400, "'name' is required"},
				{"blank token name", post("/api/tokens", alice, map[string]any{"name": "  "}), 400, "'name' is required"},
				{"token name over 128", post("/api/tokens", alice, map[string]any{"name": long("t", 129)}), 400, "128"},
				{"negative lifetime", post("/api/tokens", alice, map[string]any{"name": "x", "expires_in_days": -1}), 400, "expires_in_days"},
				{"lifetime over 3650 days", post("/api/tokens", alice, map[string]any{"name": "x", "expires_in_days": 3651}), 400, "expires_in_days"},
				{"lifetime over the configured maximum", post("/api/tokens", alice, map[string]any{"name": "x", "expires_in_days": 366}), 400, "expires_in_days"},
				{"rename without to", post("/api/elements/rename", admin, map[string]string{"from": "experiment:1"}), 400, "'to' is required"},
				{"rename across kinds", post("/api/elements/rename", admin, map[string]string{"from": "experiment:1", "to": "project:one"}), 400, "kind"},
				{"access list without element", get("/api/elements/access", admin), 400, "'element' is required"},

				// Grants.
				{"grant: unknown operation", post("/api/grants", admin, grant(map[string]string{"operation": "fly"})), 400, "operation"},
				{"grant: unknown effect", post("/api/grants", admin, grant(map[string]string{"effect": "maybe"})), 400, "effect"},
				{"grant: user and group", post("/api/grants", admin, grant(map[string]string{"group": "team"})), 400, "exactly one"},
				{"grant: neither user nor group", post("/api/grants", admin, grant(map[string]string{"user": "-"})), 400, "exactly one"},
				{"grant: no element", post("/api/grants", admin, grant(map[string]string{"element": "-"})), 400, "'element' is required"},
				{"grant: invalid element", post("/api/grants", admin, grant(map[string]string{"element": "alpha"})), 400, "project:<key>"},
				{"grant: allow without operation", post("/api/grants", admin, grant(map[string]string{"operation": "-"})), 400, "'operation' is required"},
				{"revoke: unknown operation", post("/api/grants/revoke", admin, grant(map[string]string{"operation": "fly"})), 400, "operation"},
				{"revoke: user and group", post("/api/grants/revoke", admin, grant(map[string]string{"group": "team"})), 400, "exactly one"},

				// Decisions.
				{"authorize: no element", post("/api/authorize", "", authz(map[string]any{"element": "-"})), 400, "'element' is required"},
				{"authorize: no operation", post("/api/authorize", "", authz(map[string]any{"operation": "-"})), 400, "'operation' is required"},
				{"authorize: no component", post("/api/authorize", "", authz(map[string]any{"component": "-"})), 400, "'component' is required"},
				{"authorize: unknown component", post("/api/authorize", "", authz(map[string]any{"component": "nope"})), 404, "nope"},
				{"authorize: unknown operation", post("/api/authorize", "", authz(map[string]any{"operation": "fly"})), 400, "operation"},
				{"authorize: token and user", post("/api/authorize", admin, authz(map[string]any{"user": "bob"})), 400, "not both"},
				{"authorize: no subject at all", post("/api/authorize", "", authz(map[string]any{"token": "-"})), 400, "'token' is required"},
				{"authorize: unknown user", post("/api/authorize", admin, authz(map[string]any{"token": "-", "user": "nobody"})), 404, "nobody"},
				{"batch: no elements", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "elements": []string{}})), 400, "'elements' is required"},
				{"batch: over 1,000 elements", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "elements": slices.Repeat([]string{"experiment:1"}, 1001)})), 400, "1000"},
				{"batch: unknown operation", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "elements": []string{"experiment:1"}, "operation": "fly"})), 400, "operation"},
				{"batch: operation and operations", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "elements": []string{"experiment:1"}, "operations": []string{"edit"}})), 400, "not both"},
				{"batch: empty operations", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "operation": "-", "elements": []string{"experiment:1"}, "operations": []string{}})), 400, "'operation' is required"},
				{"batch: an unknown one among operations", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "operation": "-", "elements": []string{"experiment:1"}, "operations": []string{"read", "fly"}})), 400, "operation"},
				{"batch: operations a string", post("/api/authorize/batch", "", authz(map[string]any{"element": "-", "operation": "-", "elements": []string{"experiment:1"}, "operations": "read"})), 400, "'operations'"},
				{"readable: no kind", post("/api/authorize/readable", "", authz(map[string]any{"element": "-"})), 400, "'kind' is required"},
				{"readable: unknown kind", post("/api/authorize/readable", "", authz(map[string]any{"element": "-", "kind": "dataset"})), 400, "kind must be one of " + strings.Join(catalogue.KindNames(), ", ")},
				{"readable: create is no reading", post("/api/authorize/readable", "", authz(map[string]any{"element": "-", "kind": "project", "operation": "create"})), 400, "operation must be one of " + strings.Join(catalogue.Ordered(), ", ")},

				// Duplicates.
				{"duplicate user", post("/api/users", admin, map[string]any{"username": "alice", "password": "another-password"}), 409, "already exists"},
				{"duplicate user, other spelling", post("/api/users", admin, map[string]any{"username": " ALICE ", "password": "another-password"}), 409, "already exists"},
				{"duplicate group", post("/api/groups", admin, map[string]string{"name": "team"}), 409, "already exists"},
				{"duplicate membership", call{method: http.MethodPut, path: "/api/groups/team/members/bob", auth: admin}, 409, "already exists"},
				{"duplicate element", post("/api/elements", admin, map[string]string{"name": "project:alpha"}), 409, "already exists"},
				{"duplicate element under another parent", post("/api/elements", admin, map[string]string{"name": "experiment:1", "parent": "project:default"}), 409, "already exists"},
				{"duplicate grant", post("/api/grants", admin, map[string]string{"element": "project:alpha", "operation": "read", "group": "team"}), 409, "already exists"},
				{"duplicate deny", post("/api/grants", admin, map[string]string{"element": "experiment:2", "effect": "deny", "user": "bob"}), 409, "already exists"},
				{"rename onto an existing name", post("/api/elements/rename", admin, map[string]string{"from": "experiment:1", "to": "experiment:2"}), 409, "already exists"},

				// Missing rows.
				{"no such user", get("/api/users/nobody", admin), 404, "nobody"},
				{"update no such user", call{method: http.MethodPatch, path: "/api/users/nobody", auth: admin, body: map[string]any{"display_name": "x"}}, 404, "nobody"},
				{"grants of no such user", get("/api/users/nobody/grants", admin), 404, "nobody"},
				{"tokens of no such user", get("/api/tokens?user=nobody", admin), 404, "nobody"},
				{"members of no such group", get("/api/groups/nogroup/members", admin), 404, "nogroup"},
				{"add to no such group", call{method: http.MethodPut, path: "/api/groups/nogroup/members/bob", auth: admin}, 404, "nogroup"},
				{"add no such user", call{method: http.MethodPut, path: "/api/groups/team/members/nobody", auth: admin}, 404, "nobody"},
				{"remove a non-member", call{method: http.MethodDelete, path: "/api/groups/team/members/alice", auth: admin}, 404, "membership"},
				{"register under no such parent", post("/api/elements", admin, map[string]string{"name": "experiment:7", "parent": "project:nope"}), 404, "project:nope"},
				{"grant on no such element", post("/api/grants", admin, grant(map[string]string{"element": "project:nope"})), 404, "project:nope"},
				{"grant to no such user", post("/api/grants", admin, grant(map[string]string{"user": "nobody"})), 404, "nobody"},
				{"grant to no such group", post("/api/grants", admin, grant(map[string]string{"user": "-", "group": "nogroup"})), 404, "nogroup"},
				{"revoke a grant never given", post("/api/grants/revoke", admin, grant(map[string]string{"operation": "edit"})), 404, "not found"},
				{"access list of no such element", get("/api/elements/access?element=project:nope", admin), 404, "project:nope"},
				{"rename no such element", post("/api/elements/rename", admin, map[string]string{"from": "experiment:404", "to": "experiment:405"}), 404, "experiment:404"},
				{"someone else's token is not found", call{method: http.MethodDelete, path: fmt.Sprintf("/api/tokens/%d", bobToken.ID), auth: alice}, 404, "not found"},
				{"no such token", call{method: http.MethodDelete, path: "/api/tokens/999999", auth: alice}, 404, "not found"},
				{"token id beyond int64", call{method: http.MethodDelete, path: "/api/tokens/18446744073709551615", auth: admin}, 400, "must be a token id"}, // no id that large can exist
				{"a path not UTF-8", get("/api/users/%FF", admin), 404, "not found"},
				{"a group not UTF-8", call{method: http.MethodPut, path: "/api/groups/%FF/members/bob", auth: admin}, 404, "not found"},
				{"no such route", get("/api/nope", admin), 404, "no route"},
				{"wrong method", call{method: http.MethodDelete, path: "/api/users", auth: admin}, 405, "not allowed"},

				// Acting without permission.
				{"bob creates a user", post("/api/users", bob, user(nil)), 403, "admin"},
				{"bob grants on what he only reads", post("/api/grants", bob, grant(map[string]string{"user": "bob", "operation": "manage"})), 403, "manage"},
				{"alice reads an access list she cannot read", get("/api/elements/access?element=project:alpha", alice), 404, "project:alpha"},

				// Bad ids.
				{"token id not a number", call{method: http.MethodDelete, path: "/api/tokens/abc", auth: alice}, 400, "'id'"},
				{"negative token id", call{method: http.MethodDelete, path: "/api/tokens/-1", auth: alice}, 400, "'id'"},
				{"token id beyond uint64", call{method: http.MethodDelete, path: "/api/tokens/18446744073709551616", auth: alice}, 400, "'id'"},

				// Bad audit filters.
				{"since not a time", get("/api/audit?since=yesterday", admin), 400, "'since'"},
				{"since a date only", get("/api/audit?since=2026-01-02", admin), 400, "'since'"},
				{"until out of range", get("/api/audit?until=2026-13-01T00:00:00Z", admin), 400, "'until'"},
			}...)

			// Bad paging on every paged list.
			for _, path := range []string{"/api/users", "/api/groups", "/api/tokens", "/api/audit"} {
				for _, q := range []string{"limit=0", "limit=501", "limit=-1", "offset=-1", "limit=abc", "offset=abc", "limit=1.5", "limit=99999999999999999999"} {
					cases = append(cases, badCase{"paging " + path + "?" + q, get(path+"?"+q, admin), 400, "must be a whole number"})
				}
			}

			for _, tt := range cases {
				r := h.do(tt.call)
				if r.code != tt.want {
					t.Errorf("%s: %s, want %d", tt.name, trim(r), tt.want)
					continue
				}
				if msg := errorMessage(t, r); !strings.Contains(msg, tt.msg) {
					t.Errorf("%s: message %q does not say %q", tt.name, msg, tt.msg)
				}
			}

			// What is at the limits is accepted.
			h.createUser(c.admin, long("u", 64), "boundary-password")
			h.expect(http.StatusCreated, post("/api/groups", admin, map[string]string{"name": long("g", 64), "description": long("d", 255)}))
			h.register(admin, long("registered_model:", 512), "project:alpha") // experiment keys are numbers
			h.newToken(alice, long("t", 128), 365)
			for _, path := range []string{"/api/users", "/api/groups", "/api/tokens", "/api/audit"} {
				h.expect(http.StatusOK, get(path+"?limit=500&offset=0", admin))
				h.expect(http.StatusOK, get(path+"?limit=1&offset=1000000", admin))
			}
			h.expect(http.StatusOK, get("/api/audit?since=2026-01-02T15:04:05Z&until=2999-01-01T00:00:00%2B02:00", admin))

			// Nothing was created half-way.
			names := func(path string, keys ...string) []string {
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				l := decode[listOf[map[string]any]](t, h.expect(http.StatusOK, get(path+sep+"limit=500", admin)))
				var out []string
				for _, item := range l.Items {
					var parts []string
					for _, k := range keys {
						parts = append(parts, fmt.Sprint(item[k]))
					}
					out = append(out, strings.Join(parts, "/"))
				}
				return out
			}
			check := func(what string, got, want []string) {
				t.Helper()
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("users", names("/api/users", "username"), []string{"admin", "alice", "bob", long("u", 64)})
			check("groups", names("/api/groups", "name"), []string{"team", long("g", 64)})
			check("all tokens", names("/api/tokens?all=true", "username", "name"), []string{"alice/" + long("t", 128), "bob/bob's"})
			members := decode[struct {
				Members []userView `json:"members"`
			}](t, h.expect(http.StatusOK, get("/api/groups/team/members", admin)))
			if len(members.Members) != 1 || members.Members[0].Username != "bob" {
				t.Errorf("members of team = %+v", members.Members)
			}
			comp, err := h.store.ComponentID(service.Component)
			if err != nil {
				t.Fatal(err)
			}
			elements, _, err := h.store.ListElements(context.Background(), store.ElementFilter{ComponentID: comp}, store.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var els []string
			for _, e := range elements {
				els = append(els, e.Name)
			}
			check("elements", els, []string{"*", "project:default", "project:alpha", "experiment:1", "experiment:2", long("registered_model:", 512)})
			grantsOf := func(username string) []string {
				g := decode[struct {
					Grants []grantView `json:"grants"`
				}](t, h.expect(http.StatusOK, get("/api/users/"+username+"/grants", admin)))
				var out []string
				for _, x := range g.Grants {
					out = append(out, x.Subject+" "+x.Effect+" "+x.Operation+" "+x.Element)
				}
				return out
			}
			check("bob's grants", grantsOf("bob"), []string{"group:team allow read project:alpha", "user:bob deny  experiment:2"})
			check("alice's grants", grantsOf("alice"), nil)
			check("admin's grants (whoever registers manages)", grantsOf("admin"), []string{"user:admin allow manage project:alpha",
				"user:admin allow manage experiment:1", "user:admin allow manage experiment:2", "user:admin allow manage " + long("registered_model:", 512)})
			if d := h.decide(c.bob, "experiment:1", "read"); !d.Allowed {
				t.Errorf("bob's access changed: %+v", d)
			}
		})
	}
}

func trim(r reply) string {
	s := r.String()
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

// TestUnauthenticated: a protected route without valid credentials answers
// 401 naming the scheme, whatever is wrong with them.
func TestUnauthenticated(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			c := h.team()
			revoked := h.login("alice", alicePW)
			h.expect(http.StatusNoContent, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(revoked)})
			headers := map[string]string{
				"none":                      "",
				"scheme alone":              "Bearer",
				"empty bearer":              "Bearer ",
				"garbage bearer":            "Bearer garbage",
				"wrong prefix":              "Bearer mlx_" + c.alice[4:],
				"session relabelled as api": "Bearer mlt_" + c.alice[4:],
				"one character short":       "Bearer " + c.alice[:len(c.alice)-1],
				"never issued":              "Bearer " + neverIssued(t),
				"logged out":                "Bearer " + revoked,
				"unknown scheme":            "Token " + c.alice,
				"basic, not base64":         "Basic !!!!",
				"basic, wrong password":     basic("alice", "wrong-password"),
				"basic, unknown user":       basic("nobody", "wrong-password"),
			}
			routes := []call{
				{method: http.MethodGet, path: "/api/auth/me"},
				{method: http.MethodPost, path: "/api/auth/logout"},
				{method: http.MethodGet, path: "/api/users"},
				{method: http.MethodPost, path: "/api/groups", body: map[string]string{"name": "sneaky"}},
				{method: http.MethodGet, path: "/api/tokens"},
				{method: http.MethodGet, path: "/api/audit"},
				{method: http.MethodPost, path: "/api/grants", body: map[string]string{"element": "project:alpha", "operation": "manage", "user": "bob"}},
			}
			for name, header := range headers {
				for _, rc := range routes {
					rc.auth = header
					r := h.do(rc)
					if r.code != http.StatusUnauthorized {
						t.Errorf("%s on %s %s: %s, want 401", name, rc.method, rc.path, trim(r))
						continue
					}
					errorMessage(t, r)
					if got := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
						t.Errorf("%s on %s %s: WWW-Authenticate %q", name, rc.method, rc.path, got)
					}
				}
				if header == "" {
					continue // decisions take the subject from the body
				}
				r := h.do(call{method: http.MethodPost, path: "/api/authorize", auth: header,
					body: map[string]string{"component": "ml_studio", "element": "project:alpha", "operation": "read"}})
				if r.code != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%s on /api/authorize: %s, want 401 with WWW-Authenticate", name, trim(r))
				}
			}
			// The scheme is case-insensitive.
			h.expectMe("bearer "+c.alice, "alice")
			// Nothing was created.
			groups := decode[listOf[groupView]](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups", auth: bearer(c.admin)}))
			if groups.Total != 1 {
				t.Errorf("groups = %+v", groups.Items)
			}
			if d := h.decide(c.bob, "project:alpha", "manage"); d.Allowed {
				t.Errorf("bob got manage: %+v", d)
			}
		})
	}
}

// TestMalformedBearerSkipsTheDatabase: a token that cannot be one of ours is
// refused before any query; a well-formed one costs exactly the lookup.
func TestMalformedBearerSkipsTheDatabase(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			admin := h.bootstrap()
			tests := []struct {
				name, header string
				status       int
				queries      int64
			}{
				{"garbage", "Bearer garbage", 401, 0},
				{"empty", "Bearer ", 401, 0},
				{"wrong prefix", "Bearer mlx_" + admin[4:], 401, 0},
				{"too long", "Bearer " + admin + "A", 401, 0},
				{"not base64url", "Bearer mls_" + strings.Repeat("*", len(admin)-4), 401, 0},
				{"unknown scheme", "Digest " + admin, 401, 0},
				{"well-formed, never issued: the lookup", "Bearer " + neverIssued(t), 401, 1},
				{"valid: the lookup, then the user shown", "Bearer " + admin, 200, 2},
			}
			for _, tt := range tests {
				// The request's own statements: the cache's reading of the
				// change log runs beside it and is not the request's cost.
				ctx, count, stop := h.store.CountQueriesOf(t.Context())
				r := h.do(call{method: http.MethodGet, path: "/api/auth/me", auth: tt.header, ctx: ctx})
				stop()
				if r.code != tt.status {
					t.Errorf("%s: %s, want %d", tt.name, trim(r), tt.status)
				}
				if got := count(); got != tt.queries {
					t.Errorf("%s: %d queries, want %d", tt.name, got, tt.queries)
				}
			}
		})
	}
}

// TestAuditKeepsOverlongInput: input longer than the audit columns is cut
// at a character boundary and still recorded, on both databases.
func TestAuditKeepsOverlongInput(t *testing.T) {
	for backend, open := range storetest.Backends {
		t.Run(backend, func(t *testing.T) {
			h := newHarness(t, open)
			admin := h.bootstrap()
			element := "a" + strings.Repeat("é", 400) // 801 bytes; byte 600 falls inside a character
			h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/authorize", rid: "long-element",
				body: map[string]string{"token": "garbage", "component": "ml_studio", "element": element, "operation": strings.Repeat("ö", 700)}})
			h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", rid: "long-user",
				body: map[string]string{"username": "x" + strings.Repeat("ü", 400), "password": "whatever-password"}})
			found := map[string]auditView{}
			for _, e := range h.audit(admin) {
				found[e.RequestID] = e
			}
			for rid, prefix := range map[string]string{"long-element": element, "long-user": "user:x" + strings.Repeat("ü", 400)} {
				e, ok := found[rid]
				if !ok {
					t.Errorf("%s: not audited", rid)
					continue
				}
				if !utf8.ValidString(e.Target) || !utf8.ValidString(e.Detail) || len(e.Target) > 600 || len(e.Target) < 590 || !strings.HasPrefix(prefix, e.Target) {
					t.Errorf("%s: target %q (%d bytes), detail %d bytes", rid, e.Target, len(e.Target), len(e.Detail))
				}
			}
		})
	}
}
