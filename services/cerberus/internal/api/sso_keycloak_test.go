//go:build sso

package api_test

// End-to-end single sign-on against a real Keycloak (make test-sso starts
// it with deploy/local/keycloak.sh and the realm in deploy/keycloak/): the
// browser's sign-in through Keycloak's own login page, group and admin
// sync, decisions for the signed-in people, a CI job's client-credentials
// token, replays and logout. It never skips: without
// ML_STUDIO_TEST_OIDC_ISSUER it fails.

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ml-studio/ml-studio/services/cerberus/internal/api"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/service"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store/storetest"
)

// The realm's clients and people (deploy/keycloak/ml-studio-realm.json).
var keycloakPeople = map[string]string{"alice": "alice-password-1", "bob": "bob-password-1", "carol": "carol-password-1"}

const (
	keycloakClient, keycloakSecret     = "ml-studio", "ml-studio-dev-secret"
	keycloakCIClient, keycloakCISecret = "ml-studio-ci", "ml-studio-ci-dev-secret"
	// The sign-in client whose access tokens last 10 s and sessions 30 s.
	keycloakShortClient, keycloakShortSecret = "ml-studio-short", "ml-studio-short-dev-secret"
	keycloakNotebookClient                   = "ml-studio-notebook"
)

type keycloakEnv struct {
	h      *harness
	srv    *httptest.Server
	issuer string
}

func newKeycloakEnv(t *testing.T) *keycloakEnv {
	return newKeycloakEnvWith(t, keycloakClient, keycloakSecret)
}

// newKeycloakEnvWith signs in with the realm's client; the access tokens it
// accepts are those for ml-studio, whichever client asked for them.
func newKeycloakEnvWith(t *testing.T, client, secret string) *keycloakEnv {
	issuer := os.Getenv("ML_STUDIO_TEST_OIDC_ISSUER")
	if issuer == "" {
		t.Fatal("ML_STUDIO_TEST_OIDC_ISSUER is not set: run make test-sso, which starts Keycloak (deploy/local/keycloak.sh)")
	}
	h := newHarness(t, storetest.SQLite)
	engine := h.h.(*gin.Engine)
	srv := httptest.NewServer(engine) // 127.0.0.1:<port>: the realm accepts any loopback port
	t.Cleanup(srv.Close)
	p, err := idp.New(idp.Config{Issuer: issuer, ClientID: client, ClientSecret: secret, Audience: keycloakClient,
		RedirectURL: srv.URL + "/api/auth/oidc/callback", GroupsClaim: "groups", HTTP: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	h.svc.EnableSSO(p, service.SSOConfig{ProviderName: "Keycloak", AdminGroup: "ml-studio-admins", CreateUsers: true, PasswordSignIn: true,
		PostLogoutURL: srv.URL + "/signin"})
	api.RegisterSSO(engine, h.svc)
	return &keycloakEnv{h: h, srv: srv, issuer: issuer}
}

// browser is a person's browser: cookies, and redirects followed until
// they land back on ML Studio's /signin page.
type browser struct {
	t      *testing.T
	env    *keycloakEnv
	client *http.Client
	// callback is the URL Keycloak sent the browser back to.
	callback string
}

func (e *keycloakEnv) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, env: e}
	b.client = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), e.srv.URL+"/api/auth/oidc/callback") {
			b.callback = req.URL.String()
		}
		if strings.HasPrefix(req.URL.String(), e.srv.URL+"/signin") {
			return http.ErrUseLastResponse // the web app's page: not served here
		}
		return nil
	}}
	return b
}

var loginForm = regexp.MustCompile(`<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"`)

// signIn goes through Keycloak's login page as username and returns where
// ML Studio sent the browser at the end (/signin?sso_ticket=...&next=...).
func (b *browser) signIn(username, next string) *url.URL {
	b.t.Helper()
	return b.signInWith(username, keycloakPeople[username], next)
}

func (b *browser) signInWith(username, password, next string) *url.URL {
	b.t.Helper()
	resp, err := b.client.Get(b.env.srv.URL + "/api/auth/oidc/login?next=" + url.QueryEscape(next))
	if err != nil {
		b.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := loginForm.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.t.Fatalf("Keycloak's login page: %d, no login form in %.300s", resp.StatusCode, page)
	}
	resp, err = b.client.PostForm(html.UnescapeString(string(m[1])), url.Values{"username": {username}, "password": {password}, "credentialId": {""}})
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		b.t.Fatalf("signing in as %s: %d %.300s", username, resp.StatusCode, body)
	}
	loc, err := resp.Location()
	if err != nil || loc.Path != "/signin" {
		b.t.Fatalf("landed on %v (%v), want ML Studio's /signin", loc, err)
	}
	return loc
}

func (b *browser) post(path string, in any) (int, []byte) {
	b.t.Helper()
	raw, _ := json.Marshal(in)
	resp, err := b.client.Post(b.env.srv.URL+path, "application/json", strings.NewReader(string(raw)))
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

// session signs username in and redeems the ticket as the web app does.
func (b *browser) session(username string) sessionView {
	b.t.Helper()
	return b.sessionWith(username, keycloakPeople[username])
}

func (b *browser) sessionWith(username, password string) sessionView {
	b.t.Helper()
	loc := b.signInWith(username, password, "/experiments")
	if loc.Query().Get("next") != "/experiments" {
		b.t.Errorf("next = %q", loc.Query().Get("next"))
	}
	code, body := b.post("/api/auth/oidc/session", map[string]string{"ticket": loc.Query().Get("sso_ticket")})
	if code != http.StatusOK {
		b.t.Fatalf("redeeming the ticket: %d %s", code, body)
	}
	var s sessionView
	if err := json.Unmarshal(body, &s); err != nil {
		b.t.Fatal(err)
	}
	b.env.h.token("sso session of "+username, s.Token)
	return s
}

func clientCredentials(t *testing.T, issuer, client, secret string) string {
	t.Helper()
	resp, err := http.PostForm(issuer+"/protocol/openid-connect/token", url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		t.Fatalf("client credentials: %d %v", resp.StatusCode, err)
	}
	return out.AccessToken
}

func TestKeycloakSignIn(t *testing.T) {
	t.Parallel() // each on a cerberus and database of its own
	e := newKeycloakEnv(t)
	h := e.h
	admin := h.bootstrap()

	bob := e.browser(t).session("bob")
	if bob.User.Username != "bob" || bob.User.Email != "bob@example.com" || !bob.User.IsAdmin {
		t.Fatalf("bob (in ml-studio-admins) signed in as %+v, want an admin", bob.User)
	}
	alice := e.browser(t).session("alice")
	if alice.User.IsAdmin || alice.User.DisplayName != "Alice Analyst" {
		t.Fatalf("alice: %+v", alice.User)
	}
	carol := e.browser(t).session("carol")

	// Groups came from Keycloak, marked as the provider's.
	groups := decode[listOf[struct {
		groupView
		IdPManaged bool `json:"idp_managed"`
	}]](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/groups", auth: bearer(admin)}))
	managed := map[string]bool{}
	for _, g := range groups.Items {
		managed[g.Name] = g.IdPManaged
	}
	if !managed["ml-team"] || !managed["ml-studio-admins"] {
		t.Errorf("groups %+v: want ml-team and ml-studio-admins from the provider", groups.Items)
	}

	// The authorization model holds for them as for local people: a grant
	// to the provider's group reaches its members, not the others.
	h.grant(bearer(admin), map[string]string{"element": "project:default", "operation": "read", "group": "ml-team"})
	if d := h.decide(alice.Token, "project:default", "read"); !d.Allowed {
		t.Errorf("alice (ml-team) reading project:default: %+v", d)
	}
	if d := h.decide(carol.Token, "project:default", "read"); d.Allowed {
		t.Errorf("carol (no group) reading project:default: %+v", d)
	}

	// Logout ends the session here and sends the browser to Keycloak's.
	r := h.expect(http.StatusOK, call{method: http.MethodPost, path: "/api/auth/logout", auth: bearer(carol.Token)})
	out := decode[struct {
		LogoutURL string `json:"logout_url"`
	}](t, r)
	if !strings.HasPrefix(out.LogoutURL, e.issuer+"/protocol/openid-connect/logout?") || !strings.Contains(out.LogoutURL, "client_id="+keycloakClient) {
		t.Errorf("logout_url %q", out.LogoutURL)
	}
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(carol.Token)})
}

func TestKeycloakReplays(t *testing.T) {
	t.Parallel() // each on a cerberus and database of its own
	e := newKeycloakEnv(t)
	b := e.browser(t)
	loc := b.signIn("alice", "/")
	if b.callback == "" {
		t.Fatal("no callback seen")
	}
	// The same callback again (state and code replayed) is refused.
	resp, err := b.client.Get(b.callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("replayed callback: %d, want 400", resp.StatusCode)
	}
	// In the browser that signed in, the ticket works once.
	ticket := map[string]string{"ticket": loc.Query().Get("sso_ticket")}
	if code, body := b.post("/api/auth/oidc/session", ticket); code != http.StatusOK {
		t.Errorf("ticket: %d %s", code, body)
	}
	if code, _ := b.post("/api/auth/oidc/session", ticket); code != http.StatusBadRequest {
		t.Errorf("ticket twice: %d", code)
	}
	// A ticket tried from another browser (one without the sign-in's
	// cookie) is refused, and spent: the right browser cannot use it after.
	b2 := e.browser(t)
	stolen := map[string]string{"ticket": b2.signIn("bob", "/").Query().Get("sso_ticket")}
	if code, body := e.browser(t).post("/api/auth/oidc/session", stolen); code != http.StatusBadRequest {
		t.Errorf("ticket from another browser: %d %s", code, body)
	}
	if code, _ := b2.post("/api/auth/oidc/session", stolen); code != http.StatusBadRequest {
		t.Errorf("a ticket tried elsewhere first still worked: %d", code)
	}
	// An open redirect is refused before Keycloak is even asked.
	resp, err = b.client.Get(e.srv.URL + "/api/auth/oidc/login?next=" + url.QueryEscape("//evil.test/"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("next=//evil.test/: %d, want 400", resp.StatusCode)
	}
}

func TestKeycloakClientCredentialsToken(t *testing.T) {
	t.Parallel() // each on a cerberus and database of its own
	e := newKeycloakEnv(t)
	h := e.h
	admin := h.bootstrap()
	tok := clientCredentials(t, e.issuer, keycloakCIClient, keycloakCISecret)

	me := decode[userView](t, h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(tok)}))
	if me.Username != "service-account-ml-studio-ci" {
		t.Fatalf("the CI job is %+v", me)
	}
	if d := h.decide(tok, "project:default", "edit"); d.Allowed {
		t.Fatalf("CI job before any grant: %+v", d)
	}
	h.grant(bearer(admin), map[string]string{"element": "project:default", "operation": "edit", "group": "ml-ci"})
	if d := h.decide(tok, "project:default", "edit"); !d.Allowed {
		t.Errorf("CI job (ml-ci) after ml-ci got edit: %+v", d)
	}

	// A tampered token (another subject in the payload) does not verify.
	parts := strings.Split(tok, ".")
	parts[1] = strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return r
	}, parts[1])
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(strings.Join(parts, "."))})

	// Disabled here, the account's provider tokens stop working at once.
	h.expect(http.StatusOK, call{method: http.MethodPatch, path: "/api/users/service-account-ml-studio-ci", auth: bearer(admin), body: map[string]bool{"is_active": false}})
	h.expect(http.StatusUnauthorized, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(tok)})
}
