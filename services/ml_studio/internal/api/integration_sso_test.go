//go:build sso

package api_test

// Single sign-on through ml_studio against the real Keycloak of make
// test-sso (deploy/local/keycloak.sh): what the identity provider
// deprovisions over SCIM loses access through ml_studio. It never skips
// for want of Keycloak: without ML_STUDIO_TEST_OIDC_ISSUER it fails.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/ml-studio/ml-studio/pkg/testenv"
	"github.com/ml-studio/ml-studio/services/ml_studio/internal/apitest"
)

// The realm's CI client (deploy/keycloak/ml-studio-realm.json).
const keycloakCIClient, keycloakCISecret = "ml-studio-ci", "ml-studio-ci-dev-secret"

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
	if os.Getenv("ML_STUDIO_TEST_OIDC_ISSUER") == "" {
		t.Fatal("ML_STUDIO_TEST_OIDC_ISSUER is not set: run make test-sso, which starts Keycloak (deploy/local/keycloak.sh)")
	}
	s := apitest.Shared(t)
	if s.OIDCIssuer == "" {
		t.Fatal("cerberus runs without the OpenID provider: set ML_STUDIO_TEST_OIDC_CLIENT_ID and _CLIENT_SECRET (make test-sso does)")
	}
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
