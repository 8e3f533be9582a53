//go:build sso

package api_test

// Single sign-on through ml_studio against the real Keycloak of make
// test-sso (deploy/local/keycloak.sh): the authorization matrix with
// callers Keycloak authenticates, and what the identity provider
// deprovisions over SCIM losing access through ml_studio. It never skips
// for want of Keycloak: without ML_STUDIO_TEST_OIDC_ISSUER it fails.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// The realm's CI client and notebook client (deploy/keycloak/ml-studio-realm.json).
const (
	keycloakCIClient, keycloakCISecret = "ml-studio-ci", "ml-studio-ci-dev-secret"
	keycloakNotebookClient             = "ml-studio-notebook"
)

// keycloakStack is the shared stack, its cerberus with Keycloak's client.
func keycloakStack(t *testing.T) *apitest.Stack {
	t.Helper()
	if os.Getenv("ML_STUDIO_TEST_OIDC_ISSUER") == "" {
		t.Fatal("ML_STUDIO_TEST_OIDC_ISSUER is not set: run make test-sso, which starts Keycloak (deploy/local/keycloak.sh)")
	}
	s := apitest.Shared(t)
	if s.OIDCIssuer == "" {
		t.Fatal("cerberus runs without the OpenID provider: set ML_STUDIO_TEST_OIDC_CLIENT_ID and _CLIENT_SECRET (make test-sso does)")
	}
	return s
}

// keycloakPasswordToken is a person's own access token from Keycloak, as a
// notebook holds one (the realm's public notebook client, password grant),
// and how long it lasts.
func keycloakPasswordToken(issuer, username, password string) (string, time.Duration, error) {
	resp, err := http.PostForm(issuer+"/protocol/openid-connect/token", url.Values{"grant_type": {"password"},
		"client_id": {keycloakNotebookClient}, "username": {username}, "password": {password}, "scope": {"openid"}})
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", 0, fmt.Errorf("password grant of %s: %d %v", username, resp.StatusCode, err)
	}
	return out.AccessToken, time.Duration(out.ExpiresIn) * time.Second, nil
}

// keycloakTokenUser calls with username's Keycloak access token, asking for
// a new one when less than a minute of it is left, as a notebook's client
// does: the realm's tokens last five minutes, the matrix may take longer
// on a busy machine.
func keycloakTokenUser(t *testing.T, issuer, username, password string) *apitest.User {
	t.Helper()
	tok, life, err := keycloakPasswordToken(issuer, username, password)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	renewAt := time.Now().Add(life - time.Minute)
	u := &apitest.User{Name: username, Token: tok}
	u.Renew = func() string {
		mu.Lock()
		defer mu.Unlock()
		if time.Now().After(renewAt) {
			if next, life, err := keycloakPasswordToken(issuer, username, password); err == nil {
				tok, renewAt = next, time.Now().Add(life-time.Minute)
			} // else the old one, refused once expired: the test says so
		}
		return tok
	}
	return u
}

var keycloakLoginForm = regexp.MustCompile(`<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"`)

// keycloakSignIn signs username in as a browser does, through ml_studio:
// the relayed /api/auth/oidc/login sends it to Keycloak's own login page,
// the filled form comes back to cerberus's callback, and the one-time
// ticket it gives is redeemed for a session through ml_studio again, with
// the sign-in's cookie.
func keycloakSignIn(t *testing.T, st *apitest.Studio, username, password string) *apitest.User {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, _ []*http.Request) error {
		if req.URL.Path == "/signin" {
			return http.ErrUseLastResponse // the web app's page, which redeems the ticket
		}
		return nil
	}}
	resp, err := client.Get(st.URL + "/api/auth/oidc/login?next=/experiments")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := keycloakLoginForm.FindSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("Keycloak's login page for %s: %d, no login form in %.300s", username, resp.StatusCode, page)
	}
	resp, err = client.PostForm(html.UnescapeString(string(m[1])), url.Values{"username": {username}, "password": {password}, "credentialId": {""}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || loc.Query().Get("sso_ticket") == "" {
		t.Fatalf("signing in as %s: %d, landed on %v", username, resp.StatusCode, loc)
	}
	body, _ := json.Marshal(map[string]string{"ticket": loc.Query().Get("sso_ticket")})
	resp, err = client.Post(st.URL+"/api/auth/oidc/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var session struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&session); err != nil || resp.StatusCode != http.StatusOK || session.Token == "" {
		t.Fatalf("redeeming %s's ticket through ml_studio: %d %v", username, resp.StatusCode, err)
	}
	return &apitest.User{Name: username, Token: session.Token}
}

// TestKeycloakAuthorizationMatrix is TestAuthorizationMatrix's every route
// and caller class with callers Keycloak authenticated: half of them by a
// session of a sign-in through Keycloak's login page, half by Keycloak's
// own access token as bearer. Their accounts are made just in time by the
// first request; the admin is an admin because Keycloak puts them in the
// admin group (matrix-<role> in the realm).
func TestKeycloakAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	s := keycloakStack(t)
	c := &cast{st: s, studio: s.Studio, users: map[role]*apitest.User{anonymous: nil}}
	signedIn := map[role]bool{reader: true, manager: true, creator: true}
	for _, r := range []role{nobody, reader, editor, manager, creator, admin} {
		name := "matrix-" + r.String()
		password := name + "-password-1"
		var u *apitest.User
		if signedIn[r] {
			u = keycloakSignIn(t, s.Studio, name, password)
		} else {
			u = keycloakTokenUser(t, s.OIDCIssuer, name, password)
		}
		var me struct {
			Username string `json:"username"`
			IsAdmin  bool   `json:"is_admin"`
		}
		s.Studio.MustCall(t, u, get, "/auth/me", nil).Decode(t, &me)
		if me.Username != name || me.IsAdmin != (r == admin) {
			t.Fatalf("%s (signed in: %v) is %+v", name, signedIn[r], me)
		}
		c.users[r] = u
	}
	s.Grant(t, "project:default", "create", c.users[creator])
	runMatrix(t, c)
}

func keycloakClientCredentials(t *testing.T, issuer string) string {
	t.Helper()
	resp, err := http.PostForm(issuer+"/protocol/openid-connect/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {keycloakCIClient}, "client_secret": {keycloakCISecret}})
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

// scim calls cerberus's SCIM endpoint with the provider's secret.
func scim(t *testing.T, s *apitest.Stack, method, path string, body any, want int) map[string]any {
	t.Helper()
	r, err := s.Cerberus(&apitest.User{Name: "scim", Token: s.SCIMToken}, method, "/scim/v2"+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != want {
		t.Fatalf("%s, want %d", r, want)
	}
	if want == http.StatusNoContent {
		return nil
	}
	return r.Object(t)
}

func scimUserID(t *testing.T, s *apitest.Stack, username string) string {
	t.Helper()
	list := scim(t, s, http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "`+username+`"`), nil, http.StatusOK)
	res, _ := list["Resources"].([]any)
	if len(res) != 1 {
		t.Fatalf("SCIM finds %d accounts named %s: %v", len(res), username, list)
	}
	return res[0].(map[string]any)["id"].(string)
}

// refusedThroughStudio waits for ml_studio to refuse u: cerberus refuses at
// once, and ml_studio follows cerberus's access revision within its poll
// (ML_STUDIO_REVISION_POLL, 100 ms) of a change made elsewhere.
func refusedThroughStudio(t *testing.T, st *apitest.Studio, u *apitest.User, path string) {
	t.Helper()
	start := time.Now()
	for {
		r := st.Do(t, u, http.MethodGet, path, nil, nil)
		if r.Status == http.StatusUnauthorized {
			t.Logf("%s refused through ml_studio %v after deprovisioning", u, time.Since(start).Round(time.Millisecond))
			return
		}
		if r.Status != http.StatusOK || time.Since(start) > 2*time.Second {
			t.Fatalf("%s after deprovisioning: %s, want 401 within ml_studio's revision poll", u, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestKeycloakSCIMDeprovisioningThroughStudio(t *testing.T) {
	t.Parallel() // its accounts are its own: the matrix runs meanwhile
	s := keycloakStack(t)
	st := s.Studio
	const search = "/api/2.0/mlflow/experiments/search?max_results=1"

	// A CI job with Keycloak's client-credentials token works through
	// ml_studio; its account is made at its first call.
	ci := &apitest.User{Name: "service-account-ml-studio-ci", Token: keycloakClientCredentials(t, s.OIDCIssuer)}
	if r := st.Do(t, ci, http.MethodGet, search, nil, nil); r.Status != http.StatusOK {
		t.Fatalf("the CI job through ml_studio: %s", r)
	}
	// A person the provider provisioned over SCIM, with a session and an API token.
	name := "scim-dora-" + testenv.RandomSuffix()
	dora := scim(t, s, http.MethodPost, "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": name, "emails": []map[string]any{{"value": name + "@example.com", "primary": true}}}, http.StatusCreated)
	password := "pw-" + testenv.RandomSuffix() + testenv.RandomSuffix()
	if r, err := s.Cerberus(s.Admin, http.MethodPatch, "/api/users/"+name, map[string]string{"password": password}); err != nil || r.Status != http.StatusOK {
		t.Fatalf("set dora's password: %v %v", r, err)
	}
	r, err := s.Cerberus(nil, http.MethodPost, "/api/auth/login", map[string]string{"username": name, "password": password})
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("dora signs in: %v %v", r, err)
	}
	session := &apitest.User{Name: name + " (session)", Token: r.Object(t)["token"].(string)}
	r, err = s.Cerberus(session, http.MethodPost, "/api/tokens", map[string]string{"name": "notebook"})
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("dora's API token: %v %v", r, err)
	}
	token := &apitest.User{Name: name + " (API token)", Token: r.Object(t)["token"].(string)}
	for _, u := range []*apitest.User{session, token} {
		if r := st.Do(t, u, http.MethodGet, search, nil, nil); r.Status != http.StatusOK {
			t.Fatalf("%s through ml_studio: %s", u, r)
		}
	}

	// The provider deactivates the CI account and deletes dora.
	ciID := scimUserID(t, s, ci.Name)
	scim(t, s, http.MethodPatch, "/Users/"+ciID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": false}}}, http.StatusOK)
	scim(t, s, http.MethodDelete, "/Users/"+dora["id"].(string), nil, http.StatusNoContent)
	for _, u := range []*apitest.User{ci, session, token} {
		refusedThroughStudio(t, st, u, search)
	}
	// And a fresh token of the deactivated CI job is refused as well.
	fresh := &apitest.User{Name: ci.Name + " (fresh token)", Token: keycloakClientCredentials(t, s.OIDCIssuer)}
	if r := st.Do(t, fresh, http.MethodGet, search, nil, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("a new token of the deactivated CI job: %s", r)
	}
	// Reactivated, the CI job's new tokens work again (for the tests after this one).
	scim(t, s, http.MethodPatch, "/Users/"+ciID, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []map[string]any{{"op": "replace", "path": "active", "value": true}}}, http.StatusOK)
}
