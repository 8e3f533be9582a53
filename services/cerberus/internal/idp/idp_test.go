package idp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// fakeOP is a minimal provider for unit tests: discovery, a JWKS it can
// rotate or take down, and a token endpoint. The end-to-end tests use a
// real Keycloak (make test-sso).
type fakeOP struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	keys      []jose.JSONWebKey // published
	jwksDown  bool
	jwksCalls atomic.Int32
	// token endpoint
	wantCode, wantVerifier string
	idToken                string
	extra                  map[string]any
}

func newFakeOP(t *testing.T) *fakeOP {
	f := &fakeOP{t: t}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": f.srv.URL, "authorization_endpoint": f.srv.URL + "/auth", "token_endpoint": f.srv.URL + "/token",
			"jwks_uri": f.srv.URL + "/jwks", "end_session_endpoint": f.srv.URL + "/logout",
		})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		f.jwksCalls.Add(1)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.jwksDown {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: f.keys})
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Form.Get("code") != f.wantCode || r.Form.Get("code_verifier") != f.wantVerifier {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"invalid_grant"}`))
			return
		}
		out := map[string]any{"access_token": "opaque", "token_type": "Bearer", "expires_in": 300, "id_token": f.idToken}
		for k, v := range f.extra {
			out[k] = v
		}
		_ = json.NewEncoder(w).Encode(out)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOP) publish(keys ...jose.JSONWebKey) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys = keys
}

func (f *fakeOP) down(b bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jwksDown = b
}

type signer struct {
	kid string
	key any // private key
	alg jose.SignatureAlgorithm
}

func rsaSigner(t *testing.T, kid string) signer {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signer{kid: kid, key: k, alg: jose.RS256}
}

func (s signer) public() jose.JSONWebKey {
	var pub any
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: s.kid, Algorithm: string(s.alg), Use: "sig"}
}

func (s signer) sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: s.alg, Key: jose.JSONWebKey{Key: s.key, KeyID: s.kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	obj, err := sg.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// handMade builds a compact JWT with any header and an HMAC-SHA256 over it
// keyed with secret (nil: no signature at all, as alg "none" has).
func handMade(header, claims map[string]any, secret []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	in := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	if secret == nil {
		return in + "."
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(in))
	return in + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var now = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)

func newProvider(t *testing.T, f *fakeOP) *Provider {
	t.Helper()
	p, err := New(Config{Issuer: f.srv.URL, ClientID: "ml-studio", ClientSecret: "s3cret", RedirectURL: "http://ui.test/api/auth/oidc/callback",
		GroupsClaim: "groups", HTTP: &http.Client{Timeout: 5 * time.Second}, KeyRefresh: 10 * time.Second, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func claimsFor(f *fakeOP, edits map[string]any) map[string]any {
	c := map[string]any{
		"iss": f.srv.URL, "aud": "ml-studio", "sub": "0b7e-alice", "exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(),
		"preferred_username": "alice", "email": "alice@example.com", "name": "Alice Analyst", "groups": []string{"ml-team", "ml-studio-admins"}, "typ": "Bearer",
	}
	for k, v := range edits {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return apierror.Resolve(err).Status
}

func TestVerifyAccessToken(t *testing.T) {
	f := newFakeOP(t)
	good := rsaSigner(t, "k1")
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecKey := signer{kid: "e1", key: ec, alg: jose.ES256}
	f.publish(good.public(), ecKey.public())
	pubDER, _ := x509.MarshalPKIXPublicKey(&good.key.(*rsa.PrivateKey).PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	nValue := good.key.(*rsa.PrivateKey).N.Bytes()
	stranger := rsaSigner(t, "k1") // same kid, another key: a forged token

	tamper := func(tok string) string {
		parts := strings.Split(tok, ".")
		c := claimsFor(f, map[string]any{"preferred_username": "admin", "groups": []string{"ml-studio-admins"}})
		b, _ := json.Marshal(c)
		parts[1] = base64.RawURLEncoding.EncodeToString(b)
		return strings.Join(parts, ".")
	}
	cases := []struct {
		name  string
		token string
		want  int
		why   string // a part of the message
	}{
		{"valid RS256", good.sign(t, claimsFor(f, nil)), 200, ""},
		{"valid ES256", ecKey.sign(t, claimsFor(f, nil)), 200, ""},
		{"expired", good.sign(t, claimsFor(f, map[string]any{"exp": now.Add(-time.Second).Unix()})), 401, "expired"},
		{"not yet valid", good.sign(t, claimsFor(f, map[string]any{"nbf": now.Add(10 * time.Minute).Unix()})), 401, "not valid yet"},
		{"wrong issuer", good.sign(t, claimsFor(f, map[string]any{"iss": "http://evil.test/realms/ml-studio"})), 401, "another provider"},
		{"wrong audience", good.sign(t, claimsFor(f, map[string]any{"aud": "another-app"})), 401, "audience"},
		{"no audience", good.sign(t, claimsFor(f, map[string]any{"aud": nil})), 401, "audience"},
		{"alg none", handMade(map[string]any{"alg": "none", "typ": "JWT", "kid": "k1"}, claimsFor(f, nil), nil), 401, "accepted algorithm"},
		{"HS256 keyed with the public key (PEM)", handMade(map[string]any{"alg": "HS256", "typ": "JWT", "kid": "k1"}, claimsFor(f, nil), pubPEM), 401, "accepted algorithm"},
		{"HS256 keyed with the modulus", handMade(map[string]any{"alg": "HS256", "kid": "k1"}, claimsFor(f, nil), nValue), 401, "accepted algorithm"},
		{"unknown kid", rsaSigner(t, "k-unknown").sign(t, claimsFor(f, nil)), 401, "does not publish"},
		{"signed by another key under a known kid", stranger.sign(t, claimsFor(f, nil)), 401, "signature"},
		{"tampered payload", tamper(good.sign(t, claimsFor(f, nil))), 401, "signature"},
		{"ID token as access token", good.sign(t, claimsFor(f, map[string]any{"typ": "ID"})), 401, "ID token"},
		{"no subject", good.sign(t, claimsFor(f, map[string]any{"sub": nil})), 401, "subject"},
		{"not a JWT", "mlt_notajwt", 401, "not a JWT"},
		{"two parts", "eyJhbGciOiJSUzI1NiJ9.e30", 401, "not a JWT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := newProvider(t, f)
			id, err := p.VerifyAccessToken(context.Background(), c.token)
			if got := status(err); got != c.want {
				t.Fatalf("status %d, want %d (err %v)", got, c.want, err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), c.why) {
					t.Errorf("error %q does not say %q", err, c.why)
				}
				if id.Subject != "" {
					t.Errorf("a refused token gave an identity: %+v", id)
				}
				return
			}
			if id.Subject != "0b7e-alice" || id.Username != "alice" || id.Email != "alice@example.com" || strings.Join(id.Groups, ",") != "ml-team,ml-studio-admins" || !id.SyncGroups {
				t.Errorf("identity %+v", id)
			}
		})
	}
}

func TestKeysRefreshOnUnknownKidAtMostOncePerInterval(t *testing.T) {
	f := newFakeOP(t)
	k1, k2 := rsaSigner(t, "k1"), rsaSigner(t, "k2")
	f.publish(k1.public())
	clock := now
	p, _ := New(Config{Issuer: f.srv.URL, ClientID: "ml-studio", HTTP: &http.Client{Timeout: 5 * time.Second}, KeyRefresh: 10 * time.Second, Now: func() time.Time { return clock }})
	ctx := context.Background()
	claims := claimsFor(f, map[string]any{"exp": now.Add(time.Hour).Unix()})
	if _, err := p.VerifyAccessToken(ctx, k1.sign(t, claims)); err != nil {
		t.Fatal(err)
	}
	if n := f.jwksCalls.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times for the first token, want 1", n)
	}
	// The provider rotates to k2 a moment later: a k2 token is unknown, the
	// keys were fetched less than KeyRefresh ago, so it is refused without asking.
	f.publish(k1.public(), k2.public())
	clock = clock.Add(time.Second)
	for range 5 {
		if _, err := p.VerifyAccessToken(ctx, k2.sign(t, claims)); status(err) != 401 {
			t.Fatalf("k2 within the refresh interval: %v", err)
		}
	}
	if n := f.jwksCalls.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1: unknown kids must not each cost a fetch", n)
	}
	clock = clock.Add(10 * time.Second)
	if _, err := p.VerifyAccessToken(ctx, k2.sign(t, claims)); err != nil {
		t.Fatalf("k2 after the interval: %v", err)
	}
	if n := f.jwksCalls.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// Known keys need no fetch.
	if _, err := p.VerifyAccessToken(ctx, k1.sign(t, claims)); err != nil {
		t.Fatal(err)
	}
	if n := f.jwksCalls.Load(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
}

func TestJWKSUnreachableFailsClosed(t *testing.T) {
	f := newFakeOP(t)
	k1, k2 := rsaSigner(t, "k1"), rsaSigner(t, "k2")
	f.publish(k1.public())
	clock := now
	p, _ := New(Config{Issuer: f.srv.URL, ClientID: "ml-studio", HTTP: &http.Client{Timeout: 5 * time.Second}, KeyRefresh: 10 * time.Second, Now: func() time.Time { return clock }})
	ctx := context.Background()
	claims := claimsFor(f, map[string]any{"exp": now.Add(time.Hour).Unix()})

	f.down(true)
	_, err := p.VerifyAccessToken(ctx, k1.sign(t, claims))
	if status(err) != http.StatusServiceUnavailable || !errors.Is(err, ErrUnavailable) || !strings.Contains(apierror.Resolve(err).Message, "signing keys") {
		t.Fatalf("JWKS down at the first token: %v (status %d), want a clear 503", err, status(err))
	}
	// Still within the interval: the failure is remembered, still 503, no new fetch.
	calls := f.jwksCalls.Load()
	if _, err := p.VerifyAccessToken(ctx, k1.sign(t, claims)); status(err) != 503 || f.jwksCalls.Load() != calls {
		t.Fatalf("second try: %v, fetches %d→%d", err, calls, f.jwksCalls.Load())
	}
	f.down(false)
	clock = clock.Add(11 * time.Second)
	if _, err := p.VerifyAccessToken(ctx, k1.sign(t, claims)); err != nil {
		t.Fatalf("JWKS back: %v", err)
	}
	// Down again: a token with a known key still verifies from the cache,
	// one with a new key cannot be checked and is a 503, never accepted.
	f.down(true)
	clock = clock.Add(11 * time.Second)
	if _, err := p.VerifyAccessToken(ctx, k1.sign(t, claims)); err != nil {
		t.Fatalf("known key while the JWKS is down: %v", err)
	}
	if _, err := p.VerifyAccessToken(ctx, k2.sign(t, claims)); status(err) != 503 {
		t.Fatalf("unknown key while the JWKS is down: %v, want 503", err)
	}
}

func TestDiscoveryUnreachableFailsClosed(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close() // nothing listens there any more
	p, _ := New(Config{Issuer: srv.URL, ClientID: "ml-studio", HTTP: &http.Client{Timeout: 2 * time.Second}})
	_, err := p.VerifyAccessToken(context.Background(), "a.b.c")
	if status(err) != 503 {
		t.Fatalf("VerifyAccessToken: %v, want 503", err)
	}
	if _, err := p.AuthCodeURL(context.Background(), "s", "n", "v"); status(err) != 503 {
		t.Fatalf("AuthCodeURL: %v, want 503", err)
	}
}

func TestJWKSSymmetricKeysIgnored(t *testing.T) {
	f := newFakeOP(t)
	k1 := rsaSigner(t, "k1")
	secret := []byte("a-shared-secret-that-must-not-verify-anything")
	f.publish(k1.public(), jose.JSONWebKey{Key: secret, KeyID: "hs", Algorithm: "HS256", Use: "sig"})
	p := newProvider(t, f)
	tok := handMade(map[string]any{"alg": "HS256", "kid": "hs"}, claimsFor(f, nil), secret)
	if _, err := p.VerifyAccessToken(context.Background(), tok); status(err) != 401 {
		t.Fatalf("an HS256 token under a published oct key: %v, want 401", err)
	}
}

func TestExchange(t *testing.T) {
	f := newFakeOP(t)
	k1 := rsaSigner(t, "k1")
	f.publish(k1.public())
	idClaims := func(edits map[string]any) map[string]any {
		c := claimsFor(f, map[string]any{"nonce": "n-123", "typ": "ID"})
		for k, v := range edits {
			c[k] = v
		}
		return c
	}
	cases := []struct {
		name         string
		idToken      string
		code, verify string
		nonce        string
		extra        map[string]any
		want         int
		sessionEnd   time.Time
	}{
		{"good", k1.sign(t, idClaims(nil)), "code-1", "verifier-1", "n-123", map[string]any{"refresh_expires_in": 1800}, 200, now.Add(30*time.Minute - time.Second)},
		{"good without session limit", k1.sign(t, idClaims(nil)), "code-1", "verifier-1", "n-123", nil, 200, time.Time{}},
		{"wrong nonce (replayed ID token)", k1.sign(t, idClaims(map[string]any{"nonce": "n-other"})), "code-1", "verifier-1", "n-123", nil, 401, time.Time{}},
		{"no nonce in the ID token", k1.sign(t, idClaims(map[string]any{"nonce": ""})), "code-1", "verifier-1", "n-123", nil, 401, time.Time{}},
		{"code refused (replayed)", k1.sign(t, idClaims(nil)), "code-used", "verifier-1", "n-123", nil, 401, time.Time{}},
		{"wrong PKCE verifier", k1.sign(t, idClaims(nil)), "code-1", "verifier-other", "n-123", nil, 401, time.Time{}},
		{"ID token for another client", k1.sign(t, idClaims(map[string]any{"aud": "other"})), "code-1", "verifier-1", "n-123", nil, 401, time.Time{}},
		{"expired ID token", k1.sign(t, idClaims(map[string]any{"exp": now.Add(-time.Minute).Unix()})), "code-1", "verifier-1", "n-123", nil, 401, time.Time{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.mu.Lock()
			f.wantCode, f.wantVerifier, f.idToken, f.extra = "code-1", "verifier-1", c.idToken, c.extra
			f.mu.Unlock()
			p := newProvider(t, f)
			l, err := p.Exchange(context.Background(), c.code, c.verify, c.nonce)
			if got := status(err); got != c.want {
				t.Fatalf("status %d, want %d (%v)", got, c.want, err)
			}
			if err == nil && (l.Subject != "0b7e-alice" || l.Username != "alice" || !l.SessionEnd.Equal(c.sessionEnd)) {
				t.Errorf("login %+v", l)
			}
		})
	}
}

func TestAuthCodeURLCarriesStateNonceAndS256(t *testing.T) {
	f := newFakeOP(t)
	p := newProvider(t, f)
	raw, err := p.AuthCodeURL(context.Background(), "st", "no", "verifier-xyz")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	sum := sha256.Sum256([]byte("verifier-xyz"))
	want := map[string]string{"state": "st", "nonce": "no", "code_challenge_method": "S256", "code_challenge": base64.RawURLEncoding.EncodeToString(sum[:]),
		"client_id": "ml-studio", "response_type": "code", "redirect_uri": "http://ui.test/api/auth/oidc/callback"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("code_verifier") != "" {
		t.Error("the verifier itself must never leave cerberus in the authorization URL")
	}
	out, err := p.LogoutURL(context.Background(), "http://ui.test/signin")
	if err != nil || !strings.HasPrefix(out, f.srv.URL+"/logout?") || !strings.Contains(out, "post_logout_redirect_uri=http%3A%2F%2Fui.test%2Fsignin") {
		t.Errorf("LogoutURL = %q, %v", out, err)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	for s, want := range map[string]bool{
		"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln": true,
		"mlt_abc": false, "a.b": false, "a.b.c.d": false, "a b.c.d": false, "a.b.c=": false, "": false,
	} {
		if LooksLikeJWT(s) != want {
			t.Errorf("LooksLikeJWT(%q) != %v", s, want)
		}
	}
}
