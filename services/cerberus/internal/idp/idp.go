// Package idp is cerberus's side of an OpenID provider (Keycloak, Okta,
// Entra ID, ...): discovery, the authorization-code flow with PKCE, and the
// verification of the ID tokens and access tokens the provider signs. The
// protocol and the cryptography are go-oidc's, oauth2's and go-jose's; this
// package chooses what is accepted and maps claims to an Identity. It keeps
// no state but the provider's metadata and keys.
package idp

import (
	"context"
	"crypto"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// ErrUnavailable means the provider could not be asked (discovery, keys or
// the token endpoint): callers answer 503 and accept nothing.
var ErrUnavailable = apierror.ErrUnavailable

// Config is how cerberus knows its provider.
type Config struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback the provider sends the browser back to.
	RedirectURL string
	Scopes      []string
	// Audience an access token must name to be accepted (default ClientID).
	Audience string
	// UsernameClaim and GroupsClaim name the claims mapped to the account;
	// a dotted name reads inside an object (realm_access.roles).
	UsernameClaim string
	GroupsClaim   string
	// HTTP makes every call to the provider; it must have a timeout.
	HTTP *http.Client
	// KeyRefresh is the least time between two fetches of the keys.
	KeyRefresh time.Duration
	Now        func() time.Time
}

// Identity is who the provider says a token is about.
type Identity struct {
	Subject  string
	Username string
	Email    string
	Name     string
	Groups   []string
	// SyncGroups: the provider sends groups (a groups claim is configured),
	// so Groups is the whole list; without, memberships are left alone
	// (SCIM may set them).
	SyncGroups bool
	// Expiry of the token the identity came from.
	Expiry time.Time
}

// Login is the outcome of a completed sign-in.
type Login struct {
	Identity
	// SessionEnd, when not zero, is when the provider's own session ends
	// (from Keycloak's refresh_expires_in) or earlier: cerberus's session
	// must not outlive it.
	SessionEnd time.Time
}

// Provider talks to one OpenID provider.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	meta     *metadata
	tried    time.Time // last failed discovery
	triedErr error
}

// metadata is what discovery tells.
type metadata struct {
	endpoint   oauth2.Endpoint
	endSession string
	keys       *keySet
}

// signingAlgs are the algorithms accepted: asymmetric only, so neither
// "none" nor an HMAC keyed with a public key can pass.
var signingAlgs = []string{oidc.RS256, oidc.RS384, oidc.RS512, oidc.ES256, oidc.ES384, oidc.ES512, oidc.PS256, oidc.PS384, oidc.PS512, oidc.EdDSA}

// New checks cfg and returns a provider. Discovery happens at first use,
// so cerberus starts while the provider is down; until it answers, every
// sign-in and every provider token is refused with ErrUnavailable.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Issuer == "" || cfg.ClientID == "":
		return nil, errors.New("idp: issuer and client id are required")
	case cfg.HTTP == nil || cfg.HTTP.Timeout == 0:
		return nil, errors.New("idp: an HTTP client with a timeout is required")
	}
	if cfg.Audience == "" {
		cfg.Audience = cfg.ClientID
	}
	if cfg.UsernameClaim == "" {
		cfg.UsernameClaim = "preferred_username"
	}
	if cfg.KeyRefresh <= 0 {
		cfg.KeyRefresh = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Provider{cfg: cfg}, nil
}

// discover reads the provider's metadata once; a failure is retried at most
// every few seconds.
func (p *Provider) discover(ctx context.Context) (*metadata, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.meta != nil {
		return p.meta, nil
	}
	if !p.tried.IsZero() && p.cfg.Now().Sub(p.tried) < p.cfg.KeyRefresh/2 {
		return nil, unavailable(p.triedErr, "the identity provider cannot be reached (discovery); try again shortly")
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.cfg.HTTP), p.cfg.HTTP.Timeout)
	defer cancel()
	op, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		p.tried, p.triedErr = p.cfg.Now(), err
		return nil, unavailable(err, "the identity provider cannot be reached (discovery); try again shortly")
	}
	var extra struct {
		JWKS       string `json:"jwks_uri"`
		EndSession string `json:"end_session_endpoint"`
	}
	if err := op.Claims(&extra); err != nil || extra.JWKS == "" {
		p.tried, p.triedErr = p.cfg.Now(), fmt.Errorf("no jwks_uri in the discovery document: %v", err)
		return nil, unavailable(p.triedErr, "the identity provider's discovery document names no signing keys")
	}
	p.meta = &metadata{endpoint: op.Endpoint(), endSession: extra.EndSession, keys: newKeySet(extra.JWKS, p.cfg.HTTP, p.cfg.KeyRefresh, p.cfg.Now)}
	return p.meta, nil
}

func (p *Provider) oauth(m *metadata) *oauth2.Config {
	scopes := p.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email"}
	}
	return &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, Endpoint: m.endpoint, RedirectURL: p.cfg.RedirectURL, Scopes: scopes}
}

// AuthCodeURL is where to send the browser to sign in: state and nonce as
// given, and the S256 challenge of verifier (PKCE).
func (p *Provider) AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error) {
	m, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	return p.oauth(m).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// Exchange redeems an authorization code with its PKCE verifier and checks
// the ID token the provider returns: signature, issuer, audience (the
// client), expiry, and that it carries nonce.
func (p *Provider) Exchange(ctx context.Context, code, verifier, nonce string) (Login, error) {
	m, err := p.discover(ctx)
	if err != nil {
		return Login{}, err
	}
	asked := p.cfg.Now()
	tok, err := p.oauth(m).Exchange(oidc.ClientContext(ctx, p.cfg.HTTP), code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			// invalid_grant: a code used twice, expired, or not for this verifier.
			return Login{}, invalidf("the identity provider refused the sign-in code (%s)", clip(re.ErrorCode))
		}
		return Login{}, unavailable(err, "the identity provider's token endpoint did not answer; try again shortly")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Login{}, invalidf("the identity provider returned no ID token (is the openid scope asked for?)")
	}
	id, claims, err := p.verify(ctx, m, raw, p.cfg.ClientID)
	if err != nil {
		return Login{}, err
	}
	if subtle.ConstantTimeCompare([]byte(claims.Nonce), []byte(nonce)) != 1 || nonce == "" {
		return Login{}, invalidf("the ID token's nonce is not the one this sign-in sent")
	}
	l := Login{Identity: id}
	// refresh_expires_in is whole seconds, counted by the provider from a
	// moment during the request and rounded down from its session's end:
	// from before the request, less a second, it is never later.
	if s, ok := extraSeconds(tok.Extra("refresh_expires_in")); ok && s > 0 {
		l.SessionEnd = asked.Add(time.Duration(s-1) * time.Second)
	}
	return l, nil
}

// VerifyAccessToken checks a bearer token the provider issued (a notebook's,
// a CI job's client-credentials token): signature by a published key,
// issuer, audience, expiry and not-before. A Keycloak ID token (typ "ID")
// is not an access token and is refused.
func (p *Provider) VerifyAccessToken(ctx context.Context, raw string) (Identity, error) {
	m, err := p.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	id, claims, err := p.verify(ctx, m, raw, p.cfg.Audience)
	if err != nil {
		return Identity{}, err
	}
	if strings.EqualFold(claims.Typ, "ID") {
		return Identity{}, invalidf("an ID token is not an access token")
	}
	return id, nil
}

// LogoutURL is the provider's end-session endpoint (RP-initiated logout)
// sending the browser back to redirect, or "" when it has none.
func (p *Provider) LogoutURL(ctx context.Context, redirect string) (string, error) {
	m, err := p.discover(ctx)
	if err != nil || m.endSession == "" {
		return "", err
	}
	u, err := url.Parse(m.endSession)
	if err != nil {
		return "", fmt.Errorf("the identity provider's end_session_endpoint: %w", err)
	}
	q := u.Query()
	q.Set("client_id", p.cfg.ClientID)
	if redirect != "" {
		q.Set("post_logout_redirect_uri", redirect)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// stdClaims are the claims read besides the mapped ones.
type stdClaims struct {
	Nonce string `json:"nonce"`
	Typ   string `json:"typ"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// verify checks raw's signature against the provider's key it names, then
// issuer, audience and times with go-oidc's verifier.
func (p *Provider) verify(ctx context.Context, m *metadata, raw, audience string) (Identity, stdClaims, error) {
	algs := make([]jose.SignatureAlgorithm, len(signingAlgs))
	for i, a := range signingAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		return Identity{}, stdClaims{}, invalidf("the token is not a JWT signed with an accepted algorithm")
	}
	if len(jws.Signatures) != 1 {
		return Identity{}, stdClaims{}, invalidf("the token must carry exactly one signature")
	}
	key, err := m.keys.key(ctx, jws.Signatures[0].Header.KeyID)
	if err != nil {
		return Identity{}, stdClaims{}, err
	}
	v := oidc.NewVerifier(p.cfg.Issuer, &oidc.StaticKeySet{PublicKeys: []crypto.PublicKey{key.Key}},
		&oidc.Config{ClientID: audience, SupportedSigningAlgs: signingAlgs, Now: p.cfg.Now})
	tok, err := v.Verify(ctx, raw)
	if err != nil {
		return Identity{}, stdClaims{}, invalidf("%s", rejection(err))
	}
	var std stdClaims
	var all map[string]any
	if err := tok.Claims(&std); err != nil {
		return Identity{}, stdClaims{}, invalidf("the token's claims are not readable")
	}
	if err := tok.Claims(&all); err != nil {
		return Identity{}, stdClaims{}, invalidf("the token's claims are not readable")
	}
	id := Identity{Subject: tok.Subject, Email: std.Email, Name: std.Name, Expiry: tok.Expiry}
	if id.Subject == "" {
		return Identity{}, stdClaims{}, invalidf("the token has no subject")
	}
	id.Username, _ = claim(all, p.cfg.UsernameClaim).(string)
	if p.cfg.GroupsClaim != "" {
		id.Groups, id.SyncGroups = stringList(claim(all, p.cfg.GroupsClaim)), true
	}
	return id, std, nil
}

// rejection says why go-oidc refused a token, without echoing its content.
func rejection(err error) string {
	var exp *oidc.TokenExpiredError
	msg := err.Error()
	switch {
	case errors.As(err, &exp):
		return "the token has expired"
	case strings.Contains(msg, "nbf"):
		return "the token is not valid yet"
	case strings.Contains(msg, "different provider"):
		return "the token was issued by another provider"
	case strings.Contains(msg, "audience"):
		return "the token is not meant for this service (audience)"
	case strings.Contains(msg, "signature"):
		return "the token's signature does not verify"
	}
	return "the token is not valid"
}

// claim reads a claim by name, or by a dotted path into nested objects.
func claim(all map[string]any, name string) any {
	if v, ok := all[name]; ok {
		return v
	}
	var cur any = all
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// stringList reads a claim that is a list of strings or one string.
func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func extraSeconds(v any) (int64, bool) {
	switch t := v.(type) {
	case float64:
		return int64(t), true
	case json.Number:
		n, err := t.Int64()
		return n, err == nil
	case string:
		var n int64
		_, err := fmt.Sscan(t, &n)
		return n, err == nil
	}
	return 0, false
}

// unavailable is a 503 with a message that says which part of the provider
// failed; errors.Is(err, ErrUnavailable) holds.
func unavailable(cause error, msg string) error {
	return apierror.Unavailable(fmt.Errorf("%w: %w", ErrUnavailable, cause), "%s", msg)
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf(format+": %w", append(args, apierror.ErrUnauthorized)...)
}

// LooksLikeJWT tells a compact JWS (three base64url parts) from ML Studio's
// own tokens, so only those reach the provider's verification.
func LooksLikeJWT(s string) bool {
	if len(s) > 16<<10 || strings.Count(s, ".") != 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
