package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

const scimSecret = "scim-secret-0123456789abcdef0123456789"

// SCIM's own message schemas.
const (
	scimError   = "urn:ietf:params:scim:api:messages:2.0:Error"
	scimList    = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	scimPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	scimUserURN = "urn:ietf:params:scim:schemas:core:2.0:User"
	scimGrpURN  = "urn:ietf:params:scim:schemas:core:2.0:Group"
)

func newSCIMHarness(t *testing.T, open storetest.Opener) *harness {
	h := newHarness(t, open)
	if err := api.RegisterSCIM(h.h.(*gin.Engine), service.NewSCIM(h.svc, scimSecret)); err != nil {
		t.Fatal(err)
	}
	h.secret("SCIM secret", scimSecret)
	return h
}

// scimDo makes a SCIM request with the provider's secret (or auth when set).
func (h *harness) scimDo(method, path string, body any, auth ...string) reply {
	h.t.Helper()
	a := bearer(scimSecret)
	if len(auth) > 0 {
		a = auth[0]
	}
	return h.do(call{method: method, path: "/scim/v2" + path, body: body, auth: a, header: http.Header{"Accept": {"application/scim+json"}}})
}

// scimExpect makes the call, fails unless it answers want, and checks the
// answer is SCIM: its content type, and for an error RFC 7644's body.
func (h *harness) scimExpect(want int, method, path string, body any, auth ...string) map[string]any {
	h.t.Helper()
	r := h.scimDo(method, path, body, auth...)
	if r.code != want {
		h.t.Fatalf("%s, want %d", r, want)
	}
	if want == http.StatusNoContent {
		return nil
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/scim+json") {
		h.t.Errorf("%s: Content-Type %q, want application/scim+json", r, ct)
	}
	var out map[string]any
	if err := json.Unmarshal(r.body, &out); err != nil {
		h.t.Fatalf("%s: not JSON: %v", r, err)
	}
	if want >= 400 {
		schemas, _ := out["schemas"].([]any)
		if len(schemas) != 1 || schemas[0] != scimError || out["status"] != fmt.Sprint(want) {
			h.t.Errorf("%s: want a SCIM error body with status %d", r, want)
		}
	}
	return out
}

func (h *harness) scimErrorType(want int, scimType, method, path string, body any) {
	h.t.Helper()
	out := h.scimExpect(want, method, path, body)
	if got, _ := out["scimType"].(string); got != scimType {
		h.t.Errorf("%s %s: scimType %q, want %q (%v)", method, path, got, scimType, out)
	}
}

func patchOp(ops ...map[string]any) map[string]any {
	return map[string]any{"schemas": []string{scimPatchOp}, "Operations": ops}
}

func op(o, path string, value any) map[string]any {
	m := map[string]any{"op": o}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

func scimUser(name string, extra ...func(map[string]any)) map[string]any {
	u := map[string]any{"schemas": []string{scimUserURN}, "userName": name, "active": true,
		"name":   map[string]any{"givenName": strings.ToUpper(name[:1]) + name[1:], "familyName": "Tester"},
		"emails": []map[string]any{{"value": name + "@example.com", "type": "work", "primary": true}}}
	for _, f := range extra {
		f(u)
	}
	return u
}

// sessionFor gives a user a live session as a sign-in would, to see SCIM revoke it.
func (h *harness) sessionFor(username string) string {
	h.t.Helper()
	u, err := h.store.UserByName(h.t.Context(), username)
	if err != nil {
		h.t.Fatal(err)
	}
	secret, hash, err := authn.NewToken(authn.Session)
	if err != nil {
		h.t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := h.store.CreateCredential(h.t.Context(), &store.Credential{UserID: u.ID, Kind: string(authn.Session), Name: "sso", TokenHash: hash, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		h.t.Fatal(err)
	}
	h.token("session", secret)
	return secret
}

func ids(t *testing.T, list map[string]any) []string {
	t.Helper()
	if s, _ := list["schemas"].([]any); len(s) != 1 || s[0] != scimList {
		t.Fatalf("not a list response: %v", list)
	}
	var out []string
	res, _ := list["Resources"].([]any)
	for _, r := range res {
		out = append(out, r.(map[string]any)["id"].(string))
	}
	return out
}

func TestSCIMNeedsTheSecret(t *testing.T) {
	h := newSCIMHarness(t, storetest.SQLite)
	admin := h.bootstrap()
	for _, auth := range []string{"", "Bearer", "Bearer wrong-" + scimSecret, "Bearer " + scimSecret[:len(scimSecret)-1], basic("scim", scimSecret),
		bearer(admin), "Token " + scimSecret} {
		for _, path := range []string{"/Users", "/Groups", "/ServiceProviderConfig", "/Schemas", "/ResourceTypes", "/Users/1"} {
			out := h.scimExpect(http.StatusUnauthorized, http.MethodGet, path, nil, auth)
			if out["detail"] == "" {
				t.Errorf("401 without a detail: %v", out)
			}
		}
	}
	// Nothing was made without the secret.
	h.scimExpect(http.StatusUnauthorized, http.MethodPost, "/Users", scimUser("mallory"), "")
	if _, err := h.store.UserByName(t.Context(), "mallory"); err == nil {
		t.Error("an unauthenticated SCIM request created an account")
	}
	// The scheme's name is case-insensitive (RFC 7235).
	h.scimExpect(http.StatusOK, http.MethodGet, "/Users", nil, "bearer "+scimSecret)
}

func TestSCIMDiscovery(t *testing.T) {
	h := newSCIMHarness(t, storetest.SQLite)
	spc := h.scimExpect(http.StatusOK, http.MethodGet, "/ServiceProviderConfig", nil)
	if f, _ := spc["filter"].(map[string]any); f["supported"] != true {
		t.Errorf("filter not supported: %v", spc)
	}
	if p, _ := spc["patch"].(map[string]any); p["supported"] != true {
		t.Errorf("patch not supported: %v", spc)
	}
	schemas := h.scimExpect(http.StatusOK, http.MethodGet, "/Schemas", nil)
	if got := ids(t, schemas); !slices.Contains(got, scimUserURN) || !slices.Contains(got, scimGrpURN) {
		t.Errorf("schemas %v", got)
	}
	types := h.scimExpect(http.StatusOK, http.MethodGet, "/ResourceTypes", nil)
	if got := ids(t, types); !slices.Equal(got, []string{"User", "Group"}) {
		t.Errorf("resource types %v", got)
	}
	for _, path := range []string{"/Widgets", "/Me", "/Bulk"} {
		if r := h.scimDo(http.MethodGet, path, nil); r.code != http.StatusNotFound {
			t.Errorf("%s, want 404", r)
		}
	}
	if one := h.scimExpect(http.StatusOK, http.MethodGet, "/Schemas/"+scimUserURN, nil); one["id"] != scimUserURN || one["attributes"] == nil {
		t.Errorf("the user schema: %.200v", one)
	}
}

func TestSCIMUsers(t *testing.T) {
	for name, open := range storetest.Backends {
		t.Run(name, func(t *testing.T) { testSCIMUsers(t, open) })
	}
}

func testSCIMUsers(t *testing.T, open storetest.Opener) {
	h := newSCIMHarness(t, open)
	admin := h.bootstrap()
	adminID := fmt.Sprint(decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(admin)})).ID)

	// Create.
	created := h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser("Alice"))
	alice, _ := created["id"].(string)
	if created["userName"] != "alice" || created["displayName"] != "Alice Tester" || created["active"] != true || alice == "" {
		t.Fatalf("created %v", created)
	}
	if m, _ := created["meta"].(map[string]any); m["resourceType"] != "User" || !strings.HasSuffix(fmt.Sprint(m["location"]), "Users/"+alice) {
		t.Errorf("meta %v", created["meta"])
	}
	got := h.scimExpect(http.StatusOK, http.MethodGet, "/Users/"+alice, nil)
	if emails, _ := got["emails"].([]any); len(emails) != 1 || emails[0].(map[string]any)["value"] != "Alice@example.com" {
		t.Errorf("emails %v", got["emails"])
	}
	// The account is ML Studio's too, without a password.
	if u := decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users/alice", auth: bearer(admin)})); !u.IsActive || u.IsAdmin || u.Email != "Alice@example.com" {
		t.Errorf("user %+v", u)
	}
	h.expect(http.StatusUnauthorized, call{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": "alice", "password": "any-password-at-all"}})
	for _, name := range []string{"bob", "carol", "dave"} {
		h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser(name))
	}

	// Bad input: 4xx with SCIM's error types.
	for _, c := range []struct {
		name     string
		body     any
		status   int
		scimType string
	}{
		{"duplicate", scimUser("alice"), http.StatusConflict, "uniqueness"},
		{"a local account's name", scimUser("admin"), http.StatusConflict, "uniqueness"},
		{"invalid username", scimUser("bad name!"), http.StatusBadRequest, "invalidValue"},
		{"username too long", scimUser(strings.Repeat("a", 65)), http.StatusBadRequest, "invalidValue"},
		{"bad email", scimUser("erin", func(u map[string]any) { u["emails"] = []map[string]any{{"value": "not an address"}} }), http.StatusBadRequest, "invalidValue"},
		{"no userName", map[string]any{"schemas": []string{scimUserURN}, "displayName": "x"}, http.StatusBadRequest, "invalidValue"},
		{"active not boolean", scimUser("erin", func(u map[string]any) { u["active"] = "yes" }), http.StatusBadRequest, "invalidValue"},
		{"userName not a string", scimUser("erin", func(u map[string]any) { u["userName"] = 7 }), http.StatusBadRequest, "invalidValue"},
		{"malformed JSON", `{"schemas": [`, http.StatusBadRequest, "invalidSyntax"},
		{"an array", `[]`, http.StatusBadRequest, "invalidSyntax"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := h.scimExpect(c.status, http.MethodPost, "/Users", c.body)
			if got, _ := out["scimType"].(string); c.status == http.StatusBadRequest && got != c.scimType && !(c.scimType == "invalidValue" && got == "") {
				t.Errorf("scimType %q, want %q", got, c.scimType)
			}
		})
	}
	if _, err := h.store.UserByName(t.Context(), "erin"); err == nil {
		t.Error("a refused request created erin")
	}

	// Get: an unknown, malformed or local account's id is 404.
	for _, id := range []string{"999999", "abc", "0", "-1", adminID, "1%20OR%201=1"} {
		h.scimExpect(http.StatusNotFound, http.MethodGet, "/Users/"+id, nil)
	}

	// Filters: userName eq (case-insensitive, as userName is), else invalidFilter.
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`userName eq "alice"`, []string{alice}},
		{`USERNAME eq "ALICE"`, []string{alice}},
		{`userName eq "nobody"`, nil},
		{`userName eq ""`, nil},
		{`userName eq "admin"`, nil}, // a local account is not the provider's
	} {
		out := h.scimExpect(http.StatusOK, http.MethodGet, "/Users?filter="+url.QueryEscape(c.filter), nil)
		if got := ids(t, out); !slices.Equal(got, c.want) || out["totalResults"] != float64(len(c.want)) {
			t.Errorf("filter %s = %v (total %v), want %v", c.filter, got, out["totalResults"], c.want)
		}
	}
	for _, f := range []string{`userName eq`, `userName co "a"`, `userName sw "a"`, `displayName eq "x"`, `emails.value eq "alice@example.com"`,
		`userName eq "a" or userName eq "b"`, `not (userName eq "a")`, `(((`, `userName eq alice`, `nosuch eq "x"`, `userName eq 7`} {
		h.scimErrorType(http.StatusBadRequest, "invalidFilter", http.MethodGet, "/Users?filter="+url.QueryEscape(f), nil)
	}

	// Paging: 1-based startIndex, count, totalResults.
	all := ids(t, h.scimExpect(http.StatusOK, http.MethodGet, "/Users", nil))
	if len(all) != 4 || all[0] != alice {
		t.Fatalf("all users %v, want the four provisioned (not the local admin), alice first", all)
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"startIndex=2&count=2", all[1:3]},
		{"startIndex=4&count=10", all[3:]},
		{"startIndex=0&count=1", all[:1]}, // below 1 reads as 1
		{"startIndex=-5&count=1", all[:1]},
		{"count=0", nil},
		{"count=-3", nil},
		{"startIndex=5", nil},
		{"startIndex=2000000000&count=5", nil},
	} {
		out := h.scimExpect(http.StatusOK, http.MethodGet, "/Users?"+c.query, nil)
		if got := ids(t, out); !slices.Equal(got, c.want) || out["totalResults"] != float64(4) {
			t.Errorf("%s = %v (total %v), want %v of 4", c.query, got, out["totalResults"], c.want)
		}
	}
	for _, q := range []string{"count=abc", "startIndex=1.5", "startIndex=99999999999999999999"} {
		h.scimExpect(http.StatusBadRequest, http.MethodGet, "/Users?"+q, nil)
	}

	// PATCH: replace and remove by path, or an object without path.
	for _, c := range []struct {
		name  string
		body  any
		check func(map[string]any) bool
	}{
		{"displayName", patchOp(op("replace", "displayName", "Alice A.")), func(u map[string]any) bool { return u["displayName"] == "Alice A." }},
		{"name.formatted", patchOp(op("replace", "name.formatted", "Alice B.")), func(u map[string]any) bool { return u["displayName"] == "Alice B." }},
		{"no path", patchOp(op("replace", "", map[string]any{"displayName": "Alice C.", "emails": []map[string]any{{"value": "a@example.org", "primary": true}}})),
			func(u map[string]any) bool {
				return u["displayName"] == "Alice C." && fmt.Sprint(u["emails"]) == "[map[primary:true value:a@example.org]]"
			}},
		{"remove emails", patchOp(op("remove", "emails", nil)), func(u map[string]any) bool { return u["emails"] == nil }},
		{"add email", patchOp(op("add", "emails", []map[string]any{{"value": "alice@example.com", "type": "work"}})), func(u map[string]any) bool { return u["emails"] != nil }},
		{"ignored attribute", patchOp(op("replace", "title", "Engineer")), func(u map[string]any) bool { return u["title"] == nil }},
		{"same userName", patchOp(op("replace", "userName", "alice")), func(u map[string]any) bool { return u["userName"] == "alice" }},
	} {
		t.Run("patch "+c.name, func(t *testing.T) {
			if out := h.scimExpect(http.StatusOK, http.MethodPatch, "/Users/"+alice, c.body); !c.check(out) {
				t.Errorf("after patch: %v", out)
			}
		})
	}
	for _, c := range []struct {
		name     string
		body     any
		scimType string
	}{
		{"rename", patchOp(op("replace", "userName", "alicia")), "mutability"},
		{"remove userName", patchOp(op("remove", "userName", nil)), "mutability"},
		{"active not boolean", patchOp(op("replace", "active", "yes")), "invalidValue"},
		{"unknown op", patchOp(op("move", "active", false)), ""},
		{"wrong schema", map[string]any{"schemas": []string{scimUserURN}, "Operations": []any{op("replace", "active", false)}}, "invalidValue"},
		{"no operations", patchOp(), "invalidValue"},
		{"bad path", patchOp(op("replace", "emails[type eq", "x")), "invalidPath"},
		{"remove without path", patchOp(op("remove", "", nil)), ""},
		{"bad email", patchOp(op("replace", "emails", []map[string]any{{"value": "nope"}})), "invalidValue"},
		{"malformed JSON", `{"Operations":`, "invalidSyntax"},
	} {
		t.Run("bad patch "+c.name, func(t *testing.T) {
			out := h.scimExpect(http.StatusBadRequest, http.MethodPatch, "/Users/"+alice, c.body)
			if got, _ := out["scimType"].(string); c.scimType != "" && got != c.scimType {
				t.Errorf("scimType %q, want %q", got, c.scimType)
			}
		})
	}
	h.scimExpect(http.StatusNotFound, http.MethodPatch, "/Users/"+adminID, patchOp(op("replace", "active", false)))
	if u, _ := h.store.UserByName(t.Context(), "admin"); !u.IsActive {
		t.Fatal("SCIM disabled the local admin")
	}

	// Deactivation revokes every session and token on the next request.
	session := h.sessionFor("alice")
	h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(session)})
	if out := h.scimExpect(http.StatusOK, http.MethodPatch, "/Users/"+alice, patchOp(op("replace", "active", false))); out["active"] != false {
		t.Fatalf("after deactivation: %v", out)
	}
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(session)})
	// Reactivated, the old session stays revoked.
	h.scimExpect(http.StatusOK, http.MethodPatch, "/Users/"+alice, patchOp(op("replace", "", map[string]any{"active": true})))
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(session)})

	// PUT replaces; an absent attribute is emptied, userName stays.
	put := h.scimExpect(http.StatusOK, http.MethodPut, "/Users/"+alice, map[string]any{"schemas": []string{scimUserURN}, "userName": "alice", "displayName": "Alice Put", "active": true})
	if put["displayName"] != "Alice Put" || put["emails"] != nil {
		t.Errorf("after PUT: %v", put)
	}
	h.scimErrorType(http.StatusBadRequest, "mutability", http.MethodPut, "/Users/"+alice, scimUser("alicia"))
	h.scimExpect(http.StatusNotFound, http.MethodPut, "/Users/"+adminID, scimUser("admin"))

	// DELETE: gone for SCIM, disabled with no credential left, its name free to provision again.
	session = h.sessionFor("alice")
	h.scimExpect(http.StatusNoContent, http.MethodDelete, "/Users/"+alice, nil)
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(session)})
	h.scimExpect(http.StatusNotFound, http.MethodGet, "/Users/"+alice, nil)
	h.scimExpect(http.StatusNotFound, http.MethodDelete, "/Users/"+alice, nil)
	h.scimExpect(http.StatusNotFound, http.MethodPatch, "/Users/"+alice, patchOp(op("replace", "active", true)))
	if got := ids(t, h.scimExpect(http.StatusOK, http.MethodGet, "/Users", nil)); slices.Contains(got, alice) {
		t.Errorf("deleted alice still listed: %v", got)
	}
	if u := decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/users/alice", auth: bearer(admin)})); u.IsActive {
		t.Errorf("deleted alice is active: %+v", u)
	}
	h.scimExpect(http.StatusNotFound, http.MethodDelete, "/Users/"+adminID, nil)
	again := h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser("alice"))
	if again["active"] != true {
		t.Errorf("re-provisioned alice: %v", again)
	}
}

func TestSCIMGroups(t *testing.T) {
	for name, open := range storetest.Backends {
		t.Run(name, func(t *testing.T) { testSCIMGroups(t, open) })
	}
}

func testSCIMGroups(t *testing.T, open storetest.Opener) {
	h := newSCIMHarness(t, open)
	admin := h.bootstrap()
	adminID := fmt.Sprint(decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(admin)})).ID)
	user := map[string]string{}
	for _, name := range []string{"alice", "bob", "carol"} {
		user[name] = h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser(name))["id"].(string)
	}
	// A local group with a member the provider must not touch.
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/groups", auth: bearer(admin), body: map[string]string{"name": "local-team"}})
	h.expect(http.StatusNoContent, call{method: http.MethodPut, path: "/api/groups/local-team/members/alice", auth: bearer(admin)})

	members := func(g map[string]any) []string {
		var out []string
		l, _ := g["members"].([]any)
		for _, m := range l {
			out = append(out, m.(map[string]any)["value"].(string))
		}
		slices.Sort(out)
		return out
	}
	sorted := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, user[n])
		}
		slices.Sort(out)
		return out
	}
	grp := h.scimExpect(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"schemas": []string{scimGrpURN}, "displayName": "ml-team",
		"members": []map[string]any{{"value": user["alice"]}}})
	team, _ := grp["id"].(string)
	if grp["displayName"] != "ml-team" || !slices.Equal(members(grp), sorted("alice")) {
		t.Fatalf("created %v", grp)
	}
	// It is provider-managed: an admin's edit of its members is refused.
	h.expect(http.StatusConflict, call{method: http.MethodPut, path: "/api/groups/ml-team/members/bob", auth: bearer(admin)})
	// Its grants reach its members.
	h.grant(bearer(admin), map[string]string{"element": "project:default", "operation": "read", "group": "ml-team"})
	bob := h.sessionFor("bob")
	alice := h.sessionFor("alice")
	if d := h.decide(alice, "project:default", "read"); !d.Allowed {
		t.Errorf("alice through ml-team: %+v", d)
	}
	if d := h.decide(bob, "project:default", "read"); d.Allowed {
		t.Errorf("bob is not in ml-team yet: %+v", d)
	}

	for _, c := range []struct {
		name string
		body any
		want []string
	}{
		{"add", patchOp(op("add", "members", []map[string]any{{"value": user["bob"]}, {"value": user["carol"]}})), sorted("alice", "bob", "carol")},
		{"add again", patchOp(op("add", "members", []map[string]any{{"value": user["bob"]}})), sorted("alice", "bob", "carol")},
		{"remove by filter", patchOp(op("remove", fmt.Sprintf(`members[value eq "%s"]`, user["alice"]), nil)), sorted("bob", "carol")},
		{"remove by value (Entra)", patchOp(op("remove", "members", []map[string]any{{"value": user["carol"]}})), sorted("bob")},
		{"remove one absent", patchOp(op("remove", fmt.Sprintf(`members[value eq "%s"]`, user["carol"]), nil)), sorted("bob")},
		{"replace", patchOp(op("replace", "members", []map[string]any{{"value": user["alice"]}, {"value": user["carol"]}})), sorted("alice", "carol")},
		{"in order", patchOp(op("remove", "members", []map[string]any{{"value": user["alice"]}}), op("add", "members", []map[string]any{{"value": user["alice"]}, {"value": user["bob"]}})), sorted("alice", "bob", "carol")},
		{"remove all", patchOp(op("remove", "members", nil)), nil},
		{"no path (Okta)", patchOp(op("replace", "", map[string]any{"id": team, "displayName": "ml-team", "members": []map[string]any{{"value": user["bob"]}}})), sorted("bob")},
	} {
		t.Run("patch "+c.name, func(t *testing.T) {
			out := h.scimExpect(http.StatusOK, http.MethodPatch, "/Groups/"+team, c.body)
			if got := members(out); !slices.Equal(got, c.want) {
				t.Errorf("members %v, want %v", got, c.want)
			}
		})
	}
	// Membership changes reach decisions on the next request.
	if d := h.decide(bob, "project:default", "read"); !d.Allowed {
		t.Errorf("bob added to ml-team: %+v", d)
	}
	if d := h.decide(alice, "project:default", "read"); d.Allowed {
		t.Errorf("alice removed from ml-team: %+v", d)
	}

	for _, c := range []struct {
		name, method, path string
		body               any
		status             int
	}{
		{"unknown member", http.MethodPatch, "/Groups/" + team, patchOp(op("add", "members", []map[string]any{{"value": "999999"}})), http.StatusBadRequest},
		{"a local account as member", http.MethodPatch, "/Groups/" + team, patchOp(op("add", "members", []map[string]any{{"value": adminID}})), http.StatusBadRequest},
		{"member not an id", http.MethodPatch, "/Groups/" + team, patchOp(op("add", "members", []map[string]any{{"value": "alice"}})), http.StatusBadRequest},
		{"member without value", http.MethodPatch, "/Groups/" + team, patchOp(op("add", "members", []map[string]any{{"display": "alice"}})), http.StatusBadRequest},
		{"filter on add", http.MethodPatch, "/Groups/" + team, patchOp(op("add", `members[value eq "1"]`, []map[string]any{{"value": user["bob"]}})), http.StatusBadRequest},
		{"filter with and", http.MethodPatch, "/Groups/" + team, patchOp(op("remove", fmt.Sprintf(`members[value eq "%s" and display eq "x"]`, user["bob"]), nil)), http.StatusBadRequest},
		{"remove displayName", http.MethodPatch, "/Groups/" + team, patchOp(op("remove", "displayName", nil)), http.StatusBadRequest},
		{"bad name", http.MethodPatch, "/Groups/" + team, patchOp(op("replace", "displayName", "a/b")), http.StatusBadRequest},
		{"a local group's name", http.MethodPost, "/Groups", map[string]any{"schemas": []string{scimGrpURN}, "displayName": "local-team"}, http.StatusConflict},
		{"duplicate", http.MethodPost, "/Groups", map[string]any{"schemas": []string{scimGrpURN}, "displayName": "ml-team"}, http.StatusConflict},
		{"rename onto a local group", http.MethodPatch, "/Groups/" + team, patchOp(op("replace", "displayName", "local-team")), http.StatusConflict},
		{"no displayName", http.MethodPost, "/Groups", map[string]any{"schemas": []string{scimGrpURN}}, http.StatusBadRequest},
		{"bad filter", http.MethodGet, "/Groups?filter=" + url.QueryEscape(`displayName co "ml"`), nil, http.StatusBadRequest},
		{"unknown group", http.MethodGet, "/Groups/999999", nil, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) { h.scimExpect(c.status, c.method, c.path, c.body) })
	}
	if got := members(h.scimExpect(http.StatusOK, http.MethodGet, "/Groups/"+team, nil)); !slices.Equal(got, sorted("bob")) {
		t.Errorf("a refused change changed members: %v", got)
	}

	// Local groups are invisible to SCIM.
	var groups struct {
		Items []struct {
			ID   uint64 `json:"id"`
			Name string `json:"name"`
		} `json:"items"`
	}
	if err := json.Unmarshal(h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups", auth: bearer(admin)}).body, &groups); err != nil {
		t.Fatal(err)
	}
	var localID string
	for _, g := range groups.Items {
		if g.Name == "local-team" {
			localID = fmt.Sprint(g.ID)
		}
	}
	for _, c := range []struct{ method, path string }{{http.MethodGet, "/Groups/" + localID}, {http.MethodDelete, "/Groups/" + localID}} {
		h.scimExpect(http.StatusNotFound, c.method, c.path, nil)
	}
	h.scimExpect(http.StatusNotFound, http.MethodPatch, "/Groups/"+localID, patchOp(op("remove", "members", nil)))
	for f, want := range map[string][]string{`displayName eq "ml-team"`: {team}, `displayName eq "local-team"`: nil, `DISPLAYNAME eq "nope"`: nil} {
		if got := ids(t, h.scimExpect(http.StatusOK, http.MethodGet, "/Groups?filter="+url.QueryEscape(f), nil)); !slices.Equal(got, want) {
			t.Errorf("%s = %v, want %v", f, got, want)
		}
	}
	if got := ids(t, h.scimExpect(http.StatusOK, http.MethodGet, "/Groups", nil)); !slices.Equal(got, []string{team}) {
		t.Errorf("groups %v, want ml-team only", got)
	}

	// PUT renames and sets members.
	put := h.scimExpect(http.StatusOK, http.MethodPut, "/Groups/"+team, map[string]any{"schemas": []string{scimGrpURN}, "displayName": "ml-team-2",
		"members": []map[string]any{{"value": user["carol"]}}})
	if put["displayName"] != "ml-team-2" || !slices.Equal(members(put), sorted("carol")) {
		t.Errorf("after PUT %v", put)
	}
	// Deleting a user takes them out of the provider's groups, not the local ones.
	h.scimExpect(http.StatusNoContent, http.MethodDelete, "/Users/"+user["carol"], nil)
	if got := members(h.scimExpect(http.StatusOK, http.MethodGet, "/Groups/"+team, nil)); len(got) != 0 {
		t.Errorf("deleted carol still a member: %v", got)
	}
	// DELETE the group; the local group keeps its member.
	h.scimExpect(http.StatusNoContent, http.MethodDelete, "/Groups/"+team, nil)
	h.scimExpect(http.StatusNotFound, http.MethodGet, "/Groups/"+team, nil)
	h.scimExpect(http.StatusNotFound, http.MethodDelete, "/Groups/"+team, nil)
	local := decode[struct {
		Members []userView `json:"members"`
	}](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups/local-team/members", auth: bearer(admin)}))
	if len(local.Members) != 1 || local.Members[0].Username != "alice" {
		t.Errorf("local-team members %+v", local.Members)
	}
}

// A SCIM-provisioned account is the provider's: its identity takes it at
// the first sign-in even without CERBERUS_OIDC_LINK_BY_USERNAME, while a
// deleted one stays refused.
func TestSCIMProvisionedAccountSignsIn(t *testing.T) {
	h, f := newSSOHarness(t, ssoConfig, storetest.SQLite)
	if err := api.RegisterSCIM(h.h.(*gin.Engine), service.NewSCIM(h.svc, scimSecret)); err != nil {
		t.Fatal(err)
	}
	h.bootstrap()
	id := h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser("dana"))["id"].(string)
	group := h.scimExpect(http.StatusCreated, http.MethodPost, "/Groups", map[string]any{"schemas": []string{scimGrpURN}, "displayName": "scim-team",
		"members": []map[string]any{{"value": id}}})["id"].(string)
	members := func() int {
		l, _ := h.scimExpect(http.StatusOK, http.MethodGet, "/Groups/"+group, nil)["members"].([]any)
		return len(l)
	}
	// A provider without a groups claim leaves SCIM's memberships alone.
	noClaim := login("sub-dana", "dana")
	noClaim.SyncGroups = false
	sv, _ := h.ssoSession(f, noClaim, "")
	if fmt.Sprint(sv.User.ID) != id {
		t.Fatalf("signed in as %+v, want the provisioned account %s", sv.User, id)
	}
	if members() != 1 {
		t.Error("a sign-in without a groups claim emptied the SCIM group")
	}
	// With one, the claim is the whole list (here: none).
	sv, _ = h.ssoSession(f, login("sub-dana", "dana"), "")
	if members() != 0 {
		t.Error("a sign-in whose groups claim lists no group kept the membership")
	}
	h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(sv.Token)})
	h.scimExpect(http.StatusNoContent, http.MethodDelete, "/Users/"+id, nil)
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(sv.Token)})
	// Signing in again, even with a provider that still knows dana, is refused.
	f.mu.Lock()
	f.next = login("sub-dana", "dana")
	f.mu.Unlock()
	s := h.beginSSO("")
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusUnauthorized)
}

// SCIM cannot leave ML Studio without an active admin.
func TestSCIMKeepsTheLastAdmin(t *testing.T) {
	h := newSCIMHarness(t, storetest.SQLite)
	admin := h.bootstrap()
	pat := h.scimExpect(http.StatusCreated, http.MethodPost, "/Users", scimUser("pat"))["id"].(string)
	h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/pat", auth: bearer(admin), body: map[string]bool{"is_admin": true}})
	patSession := h.sessionFor("pat")
	h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/admin", auth: bearer(patSession), body: map[string]bool{"is_active": false}})
	for _, c := range []struct {
		method string
		body   any
	}{
		{http.MethodPatch, patchOp(op("replace", "active", false))},
		{http.MethodPut, scimUser("pat", func(u map[string]any) { u["active"] = false })},
		{http.MethodDelete, nil},
	} {
		out := h.scimExpect(http.StatusConflict, c.method, "/Users/"+pat, c.body)
		if !strings.Contains(fmt.Sprint(out["detail"]), "last active admin") || out["scimType"] != nil {
			t.Errorf("%s: %v, want a 409 naming the last admin, no scimType (not a uniqueness clash)", c.method, out)
		}
	}
	h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(patSession)})
}
