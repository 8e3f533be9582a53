package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// fakeProvider stands in for idp.Provider in these unit tests: it hands out
// one-time codes for the sign-ins it was asked to begin and checks the PKCE
// verifier and nonce against what began them. Token verification itself is
// idp's, tested there; the real provider is Keycloak in make test-sso.
type fakeProvider struct {
	mu      sync.Mutex
	begun   map[string]begun // by state
	codes   map[string]begun // by code, until used
	next    idp.Login        // who the next code signs in
	tokens  map[string]idp.Identity
	offline bool
}

type begun struct{ nonce, challenge string }

func newFakeProvider() *fakeProvider {
	return &fakeProvider{begun: map[string]begun{}, codes: map[string]begun{}, tokens: map[string]idp.Identity{}}
}

func (f *fakeProvider) AuthCodeURL(_ context.Context, state, nonce, verifier string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.offline {
		return "", apierror.Unavailable(idp.ErrUnavailable, "the identity provider cannot be reached (discovery); try again shortly")
	}
	sum := sha256.Sum256([]byte(verifier))
	f.begun[state] = begun{nonce: nonce, challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
	return "https://idp.test/auth?" + url.Values{"state": {state}}.Encode(), nil
}

// approve is the person signing in at the provider: it answers the
// callback's code for the sign-in with this state.
func (f *fakeProvider) approve(state string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := fmt.Sprintf("code-%d", len(f.codes)+1)
	f.codes[code] = f.begun[state]
	return code
}

func (f *fakeProvider) Exchange(_ context.Context, code, verifier, nonce string) (idp.Login, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.codes[code]
	delete(f.codes, code) // a code works once
	sum := sha256.Sum256([]byte(verifier))
	switch {
	case !ok:
		return idp.Login{}, fmt.Errorf("the identity provider refused the sign-in code (invalid_grant): %w", apierror.ErrUnauthorized)
	case base64.RawURLEncoding.EncodeToString(sum[:]) != b.challenge:
		return idp.Login{}, fmt.Errorf("PKCE verifier mismatch: %w", apierror.ErrUnauthorized)
	case nonce != b.nonce:
		return idp.Login{}, fmt.Errorf("nonce mismatch: %w", apierror.ErrUnauthorized)
	}
	return f.next, nil
}

func (f *fakeProvider) VerifyAccessToken(_ context.Context, raw string) (idp.Identity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.offline {
		return idp.Identity{}, apierror.Unavailable(idp.ErrUnavailable, "the identity provider's signing keys cannot be read")
	}
	id, ok := f.tokens[raw]
	if !ok {
		return idp.Identity{}, fmt.Errorf("the token's signature does not verify: %w", apierror.ErrUnauthorized)
	}
	return id, nil
}

func (f *fakeProvider) LogoutURL(_ context.Context, redirect string) (string, error) {
	return "https://idp.test/logout?" + url.Values{"post_logout_redirect_uri": {redirect}}.Encode(), nil
}

func newSSOHarness(t *testing.T, cfg service.SSOConfig, open ...storetest.Opener) (*harness, *fakeProvider) {
	opener := storetest.Opener(storetest.SQLite)
	if len(open) > 0 {
		opener = open[0]
	}
	h := newHarness(t, opener)
	f := newFakeProvider()
	h.svc.EnableSSO(f, cfg)
	api.RegisterSSO(h.h.(*gin.Engine), h.svc)
	return h, f
}

var ssoConfig = service.SSOConfig{ProviderName: "Keycloak", AdminGroup: "ml-studio-admins", CreateUsers: true, PasswordSignIn: true, PostLogoutURL: "http://ui.test/signin"}

// signIn walks a browser through a sign-in: begin (cookie, redirect to the
// provider), the provider's approval, the callback (ticket), the redemption.
type browserSignIn struct {
	cookie, state, code, ticket string
	begin, callback             reply
}

func (h *harness) beginSSO(next string) browserSignIn {
	h.t.Helper()
	path := "/api/auth/oidc/login"
	if next != "" {
		path += "?next=" + url.QueryEscape(next)
	}
	r := h.expect(http.StatusFound, call{method: http.MethodGet, path: path})
	loc, _ := url.Parse(r.header.Get("Location"))
	var cookie string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "cerberus_sso" {
			cookie = c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/api/auth/oidc" {
				h.t.Errorf("sign-in cookie %+v: want HttpOnly, SameSite=Lax, Path=/api/auth/oidc", c)
			}
		}
	}
	if cookie == "" || loc.Host != "idp.test" {
		h.t.Fatalf("begin: %s (Location %q, cookie %q)", r, loc, cookie)
	}
	h.secret("PKCE verifier", cookie)
	return browserSignIn{cookie: cookie, state: loc.Query().Get("state"), begin: r}
}

func cookieHeader(v string) http.Header {
	return http.Header{"Cookie": {"cerberus_sso=" + v}}
}

func (h *harness) callbackSSO(s *browserSignIn, want int) reply {
	h.t.Helper()
	q := url.Values{"state": {s.state}, "code": {s.code}}
	r := h.expect(want, call{method: http.MethodGet, path: "/api/auth/oidc/callback?" + q.Encode(), header: cookieHeader(s.cookie)})
	if want == http.StatusFound {
		loc, _ := url.Parse(r.header.Get("Location"))
		if loc.Host != "" || loc.Path != "/signin" {
			h.t.Fatalf("callback landed on %q, want this site's /signin", loc)
		}
		s.ticket = loc.Query().Get("sso_ticket")
		h.secret("sign-in ticket", s.ticket)
	}
	s.callback = r
	return r
}

func (h *harness) redeemSSO(s browserSignIn, want int) reply {
	h.t.Helper()
	return h.expect(want, call{method: http.MethodPost, path: "/api/auth/oidc/session", body: map[string]string{"ticket": s.ticket}, header: cookieHeader(s.cookie)})
}

func (h *harness) ssoSession(f *fakeProvider, who idp.Login, next string) (sessionView, browserSignIn) {
	h.t.Helper()
	f.mu.Lock()
	f.next = who
	f.mu.Unlock()
	s := h.beginSSO(next)
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusFound)
	sv := decode[sessionView](h.t, h.redeemSSO(s, http.StatusOK))
	h.token("sso session of "+who.Username, sv.Token)
	return sv, s
}

func login(sub, username string, groups ...string) idp.Login {
	return idp.Login{Identity: idp.Identity{Subject: sub, Username: username, Email: strings.ToLower(username) + "@example.com", Name: strings.ToUpper(username[:1]) + username[1:], Groups: groups, SyncGroups: true}}
}

// The sign-in's writes (the sign-in row taken once, the account, the
// groups) run on both databases.
func TestSSOSignInCreatesTheUserAndSyncsGroups(t *testing.T) {
	for name, open := range storetest.Backends {
		t.Run(name, func(t *testing.T) { testSSOSignIn(t, open) })
	}
}

func testSSOSignIn(t *testing.T, open storetest.Opener) {
	h, f := newSSOHarness(t, ssoConfig, open)
	admin := h.bootstrap()
	// A local group of a provider group's name stays local: nobody joins it by signing in.
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/groups", auth: bearer(admin), body: map[string]string{"name": "ml-team"}})

	sv, s := h.ssoSession(f, login("sub-alice", "Alice", "ml-team", "ml-ops", "bad/name"), "/experiments/7?tab=runs")
	if loc, _ := url.Parse(s.callback.header.Get("Location")); loc.Query().Get("next") != "/experiments/7?tab=runs" {
		t.Errorf("next = %q", loc.Query().Get("next"))
	}
	if sv.User.Username != "alice" || sv.User.Email != "alice@example.com" || sv.User.IsAdmin || !sv.User.IsActive {
		t.Fatalf("user %+v", sv.User)
	}
	me := decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(sv.Token)}))
	if me.Username != "alice" {
		t.Fatalf("me = %+v", me)
	}
	members := func(group string) []string {
		var out []string
		for _, u := range decode[struct {
			Members []userView `json:"members"`
		}](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups/" + group + "/members", auth: bearer(admin)})).Members {
			out = append(out, u.Username)
		}
		return out
	}
	if got := members("ml-ops"); strings.Join(got, ",") != "alice" {
		t.Errorf("ml-ops members %v, want alice (created from the provider)", got)
	}
	if got := members("ml-team"); len(got) != 0 {
		t.Errorf("local group ml-team members %v, want none: a local group is never filled from the provider", got)
	}
	// A provider group made ahead by an admin is filled at sign-in too.
	h.expect(http.StatusCreated, call{method: http.MethodPost, path: "/api/groups", auth: bearer(admin), body: map[string]any{"name": "ml-ci", "idp_managed": true}})
	h.grant(bearer(admin), map[string]string{"element": "project:default", "operation": "create", "group": "ml-ci"})
	ci, _ := h.ssoSession(f, login("sub-ci", "ci-bot", "ml-ci"), "")
	if got := members("ml-ci"); strings.Join(got, ",") != "ci-bot" {
		t.Errorf("ml-ci members %v, want ci-bot", got)
	}
	if d := h.decide(ci.Token, "project:default", "create"); !d.Allowed {
		t.Errorf("ci-bot through ml-ci: %+v", d)
	}
	// The provider owns ml-ops's members: an admin's edit is refused.
	h.expect(http.StatusConflict, call{method: http.MethodPut, path: "/api/groups/ml-ops/members/admin", auth: bearer(admin)})

	// Next sign-in: the provider moved alice from ml-ops to ml-admins' group: admin now.
	sv, _ = h.ssoSession(f, login("sub-alice", "alice", "ml-studio-admins"), "")
	if !sv.User.IsAdmin {
		t.Errorf("a member of the admin group is not an admin: %+v", sv.User)
	}
	if got := members("ml-ops"); len(got) != 0 {
		t.Errorf("ml-ops members %v after alice left it at the provider", got)
	}
	// And out of it again: admin no more.
	sv, _ = h.ssoSession(f, login("sub-alice", "alice"), "")
	if sv.User.IsAdmin {
		t.Errorf("left the admin group but still admin: %+v", sv.User)
	}
}

func TestSSORefusesReplaysAndOtherBrowsers(t *testing.T) {
	for name, open := range storetest.Backends {
		t.Run(name, func(t *testing.T) { testSSOReplays(t, open) })
	}
}

func testSSOReplays(t *testing.T, open storetest.Opener) {
	h, f := newSSOHarness(t, ssoConfig, open)
	f.next = login("sub-bob", "bob")

	// The state is taken once: the same callback again is refused.
	s := h.beginSSO("")
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusFound)
	h.callbackSSO(&s, http.StatusBadRequest)
	// The ticket is redeemed once.
	h.redeemSSO(s, http.StatusOK)
	h.redeemSSO(s, http.StatusBadRequest)

	// A ticket redeemed from another browser (no cookie, or another sign-in's) is refused.
	a := h.beginSSO("")
	a.code = f.approve(a.state)
	h.callbackSSO(&a, http.StatusFound)
	other := h.beginSSO("")
	stolen := a
	stolen.cookie = other.cookie
	h.redeemSSO(stolen, http.StatusBadRequest)
	stolen.cookie = ""
	h.redeemSSO(stolen, http.StatusBadRequest)

	// A callback in a browser that did not begin the sign-in (login CSRF) is refused.
	c := h.beginSSO("")
	c.code = f.approve(c.state)
	forged := c
	forged.cookie = other.cookie
	h.callbackSSO(&forged, http.StatusBadRequest)

	// A code used already (replayed) is refused by the provider: 401, no session.
	d := h.beginSSO("")
	d.code = "code-1"
	h.callbackSSO(&d, http.StatusUnauthorized)

	for _, q := range []string{"", "state=x", "code=y", "state=unknown&code=y"} {
		h.expect(http.StatusBadRequest, call{method: http.MethodGet, path: "/api/auth/oidc/callback?" + q, header: cookieHeader(other.cookie)})
	}
	// The provider's own error (the person cancelled) goes back to the sign-in page.
	r := h.expect(http.StatusFound, call{method: http.MethodGet, path: "/api/auth/oidc/callback?error=access_denied&error_description=cancelled"})
	if loc := r.header.Get("Location"); loc != "/signin?sso_error=cancelled" {
		t.Errorf("Location %q", loc)
	}
	h.expect(http.StatusBadRequest, call{method: http.MethodPost, path: "/api/auth/oidc/session", body: map[string]string{}})
}

func TestSSONextMustStayOnThisSite(t *testing.T) {
	h, _ := newSSOHarness(t, ssoConfig)
	for _, next := range []string{
		"https://evil.test/", "//evil.test/x", "/\\evil.test", "\\\\evil.test", "///evil.test", "javascript:alert(1)",
		"evil.test", " /experiments", "/x\r\nSet-Cookie: a=b", "/x\ty", "http:/evil.test", "/" + strings.Repeat("a", 2100),
	} {
		t.Run(next, func(t *testing.T) {
			h.expect(http.StatusBadRequest, call{method: http.MethodGet, path: "/api/auth/oidc/login?next=" + url.QueryEscape(next)})
		})
	}
	for _, next := range []string{"/", "/experiments/3", "/models/m%2F1?v=2#top", "/runs/abc?x=%2F%2Fevil"} {
		if got, err := service.SafeNext(next); err != nil || got != next {
			t.Errorf("SafeNext(%q) = %q, %v", next, got, err)
		}
	}
}

func TestSSOBearerTokens(t *testing.T) {
	h, f := newSSOHarness(t, ssoConfig)
	admin := h.bootstrap()
	const ci = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2lnbmF0dXJl"
	f.tokens[ci] = idp.Identity{Subject: "sub-ci", Username: "service-account-ml-studio-ci", Groups: []string{"ml-ci"}, SyncGroups: true, Expiry: time.Now().Add(time.Hour)}

	me := decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(ci)}))
	if me.Username != "service-account-ml-studio-ci" || me.IsAdmin {
		t.Fatalf("me = %+v", me)
	}
	// A provider token is a script's credential: it mints no API token.
	h.expect(http.StatusForbidden, call{method: http.MethodPost, path: "/api/tokens", auth: bearer(ci), body: map[string]string{"name": "x"}})
	// Unknown, tampered or foreign JWTs are 401s.
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(ci + "x")})
	// Disabled here: refused from the next request, whatever the provider says.
	h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/service-account-ml-studio-ci", auth: bearer(admin), body: map[string]bool{"is_active": false}})
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(ci)})

	// The provider unreachable: never accepted, a clear 503 (checked below
	// the HTTP layer: the harness fails any 5xx answer).
	f.mu.Lock()
	f.offline = true
	f.mu.Unlock()
	_, err := h.svc.Authenticate(t.Context(), ci)
	if e := apierror.Resolve(err); e.Status != http.StatusServiceUnavailable || !strings.Contains(e.Message, "identity provider") || !errors.Is(err, idp.ErrUnavailable) {
		t.Fatalf("provider down: %v (%d %q), want a 503 naming the identity provider", err, e.Status, e.Message)
	}
}

func TestSSOPasswordSignInOffAndLogout(t *testing.T) {
	cfg := ssoConfig
	cfg.PasswordSignIn = false
	h, f := newSSOHarness(t, cfg)
	if _, _, err := h.svc.Bootstrap(t.Context(), "admin", adminPW); err != nil {
		t.Fatal(err)
	}
	providers := decode[service.Providers](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/providers"}))
	if providers.Password || providers.SSO == nil || providers.SSO.Name != "Keycloak" || providers.SSO.LoginURL != "/api/auth/oidc/login" {
		t.Fatalf("providers = %+v", providers)
	}
	h.expect(http.StatusForbidden, call{method: http.MethodPost, path: "/api/auth/login", body: map[string]string{"username": "admin", "password": adminPW}})
	h.expect(http.StatusForbidden, call{method: http.MethodGet, path: "/api/auth/me", auth: basic("admin", adminPW)})

	sv, _ := h.ssoSession(f, login("sub-carol", "carol"), "")
	r := h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(sv.Token)})
	out := decode[struct {
		LogoutURL string `json:"logout_url"`
	}](t, r)
	if !strings.HasPrefix(out.LogoutURL, "https://idp.test/logout?") || !strings.Contains(out.LogoutURL, url.QueryEscape("http://ui.test/signin")) {
		t.Errorf("logout_url %q", out.LogoutURL)
	}
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(sv.Token)})
}

func TestSSOAccountsNotTakenOver(t *testing.T) {
	h, f := newSSOHarness(t, ssoConfig)
	admin := h.bootstrap()
	h.createUser(admin, "dave", "dave-Pa55word-five")
	// A provider identity named like a local account does not get it.
	f.next = login("sub-dave-at-idp", "dave")
	s := h.beginSSO("")
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusConflict)
	// Nor a second identity the first one's account.
	h.ssoSession(f, login("sub-erin", "erin"), "")
	f.next = login("sub-other", "erin")
	s = h.beginSSO("")
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusConflict)
	// Nor one the provider names with an unusable username.
	f.next = login("sub-x", "Not Valid!")
	s = h.beginSSO("")
	s.code = f.approve(s.state)
	h.callbackSSO(&s, http.StatusForbidden)

	// Without just-in-time accounts, an unknown identity gets none.
	cfg := ssoConfig
	cfg.CreateUsers = false
	h2, f2 := newSSOHarness(t, cfg)
	f2.next = login("sub-frank", "frank")
	s = h2.beginSSO("")
	s.code = f2.approve(s.state)
	h2.callbackSSO(&s, http.StatusForbidden)
}
