//go:build sso

package api_test

// Someone removed at the identity provider loses access here within the
// documented bounds (README, Access control: Deprovisioning): a provider
// token the person still holds at their token's expiry, a session of a
// sign-in at the provider session's expiry, as it was when they signed in.
// Measured against the real Keycloak with the realm's short-lived client
// (10-second access tokens, 30-second client sessions), so the test waits
// seconds, not the realm's five minutes.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// keycloakAdmin is Keycloak's admin REST API on the test realm, as the
// master realm's admin (deploy/local/keycloak.sh env gives the password).
type keycloakAdmin struct {
	base, realm, token string
}

func newKeycloakAdmin(t *testing.T, issuer string) *keycloakAdmin {
	t.Helper()
	base, realm, ok := strings.Cut(issuer, "/realms/")
	if !ok {
		t.Fatalf("issuer %q is not a Keycloak realm's", issuer)
	}
	password := os.Getenv("ML_STUDIO_TEST_KEYCLOAK_ADMIN_PASSWORD")
	if password == "" {
		password = "admin" // keycloak.sh's default
	}
	var out struct {
		AccessToken string `json:"access_token"`
	}
	status := postForm(t, base+"/realms/master/protocol/openid-connect/token",
		url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {password}}, &out)
	if status != http.StatusOK || out.AccessToken == "" {
		t.Fatalf("Keycloak's admin sign-in: %d", status)
	}
	return &keycloakAdmin{base: base, realm: realm, token: out.AccessToken}
}

func (k *keycloakAdmin) do(t *testing.T, method, path string, body any) *http.Response {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(method, k.base+"/admin/realms/"+k.realm+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// createUser adds a person to the realm and returns their Keycloak id.
func (k *keycloakAdmin) createUser(t *testing.T, username, password string) string {
	t.Helper()
	resp := k.do(t, http.MethodPost, "/users", map[string]any{"username": username, "enabled": true, "email": username + "@example.com",
		"emailVerified": true, "firstName": "Gone", "lastName": "Soon",
		"credentials": []map[string]any{{"type": "password", "value": password, "temporary": false}}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || loc == "" {
		t.Fatalf("Keycloak: creating %s: %d", username, resp.StatusCode)
	}
	return loc[strings.LastIndex(loc, "/")+1:]
}

func postForm(t *testing.T, target string, form url.Values, out any) int {
	t.Helper()
	resp, err := http.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode
}

// passwordGrant is a person's access token from client (a notebook's).
func passwordGrant(t *testing.T, issuer string, form url.Values) (string, int) {
	t.Helper()
	form.Set("grant_type", "password")
	var out struct {
		AccessToken string `json:"access_token"`
	}
	status := postForm(t, issuer+"/protocol/openid-connect/token", form, &out)
	return out.AccessToken, status
}

// jwtTimes reads a JWT's iat and exp (unverified: cerberus verifies).
func jwtTimes(t *testing.T, raw string) (iat, exp time.Time) {
	t.Helper()
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct{ Iat, Exp int64 }
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	return time.Unix(c.Iat, 0), time.Unix(c.Exp, 0)
}

func TestKeycloakRemovedPersonLosesAccess(t *testing.T) {
	t.Parallel()
	e := newKeycloakEnvWith(t, keycloakShortClient, keycloakShortSecret)
	h := e.h
	kc := newKeycloakAdmin(t, e.issuer)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name, password := "gone-"+hex.EncodeToString(b[:]), "pw-"+hex.EncodeToString(b[:])+"-1"
	id := kc.createUser(t, name, password)
	t.Cleanup(func() { kc.do(t, http.MethodDelete, "/users/"+id, nil) })

	// The realm's own access tokens (any client without its own setting)
	// last at most five minutes: the bound for a removed person's tokens.
	realmToken, status := passwordGrant(t, e.issuer, url.Values{"client_id": {keycloakNotebookClient}, "username": {name}, "password": {password}})
	if status != http.StatusOK {
		t.Fatalf("notebook token: %d", status)
	}
	if iat, exp := jwtTimes(t, realmToken); exp.Sub(iat) > 5*time.Minute {
		t.Errorf("the realm's access tokens last %v, want at most 5 minutes (accessTokenLifespan)", exp.Sub(iat))
	}

	// Signed in through the short client, and holding its access token.
	session := e.browser(t).sessionWith(name, password)
	signedIn := time.Now()
	token, status := passwordGrant(t, e.issuer, url.Values{"client_id": {keycloakShortClient}, "client_secret": {keycloakShortSecret},
		"username": {name}, "password": {password}})
	if status != http.StatusOK {
		t.Fatalf("short-lived token: %d", status)
	}
	sessionEnd, err := time.Parse(time.RFC3339, session.ExpiresAt)
	if err != nil {
		t.Fatal(err)
	}
	_, tokenEnd := jwtTimes(t, token)
	// Keycloak's session for this client lasts 30 s from the sign-in's code
	// exchange at the latest (its idle timeout starts again at each token
	// it issues), which was over by signedIn: the session here ends no later.
	if sessionEnd.After(signedIn.Add(30 * time.Second)) {
		t.Errorf("the session ends %v after the sign-in, later than Keycloak's 30 s", sessionEnd.Sub(signedIn))
	}
	for _, secret := range []string{session.Token, token} {
		h.expect(http.StatusOK, call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(secret)})
	}

	// Removed at Keycloak: no new token, and what the person holds stops
	// at its bound.
	if r := kc.do(t, http.MethodDelete, "/users/"+id, nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("Keycloak: deleting %s: %d", name, r.StatusCode)
	}
	removed := time.Now()
	if _, status := passwordGrant(t, e.issuer, url.Values{"client_id": {keycloakShortClient}, "client_secret": {keycloakShortSecret},
		"username": {name}, "password": {password}}); status == http.StatusOK {
		t.Errorf("Keycloak still gives the removed %s tokens", name)
	}
	for _, c := range []struct {
		what, secret string
		bound        time.Time
	}{{"provider token", token, tokenEnd}, {"session", session.Token, sessionEnd}} {
		for {
			r := h.do(call{method: http.MethodGet, path: "/api/auth/me", auth: bearer(c.secret)})
			now := time.Now()
			if r.code == http.StatusUnauthorized {
				t.Logf("the removed person's %s refused %v after the removal (its bound: %v after)", c.what,
					now.Sub(removed).Round(100*time.Millisecond), c.bound.Sub(removed).Round(time.Second))
				break
			}
			if r.code != http.StatusOK {
				t.Fatalf("%s: %s", c.what, r)
			}
			if now.After(c.bound.Add(1500 * time.Millisecond)) {
				t.Fatalf("the removed person's %s still works %v after its bound", c.what, now.Sub(c.bound))
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}
