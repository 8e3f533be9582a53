package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Provider is what single sign-on needs of an OpenID provider (idp.Provider).
type Provider interface {
	AuthCodeURL(ctx context.Context, state, nonce, verifier string) (string, error)
	Exchange(ctx context.Context, code, verifier, nonce string) (idp.Login, error)
	VerifyAccessToken(ctx context.Context, raw string) (idp.Identity, error)
	LogoutURL(ctx context.Context, redirect string) (string, error)
}

// SSOConfig is how sign-ins through the provider map to accounts.
type SSOConfig struct {
	// ProviderName is shown on the sign-in button ("Sign in with Keycloak").
	ProviderName string
	// AdminGroup: members of this provider group are admins, others not.
	// Empty leaves the admin flag to cerberus's admins.
	AdminGroup string
	// CreateUsers makes the account of a new identity at its first sign-in
	// or token (just in time); otherwise an admin creates it first.
	CreateUsers bool
	// LinkByUsername lets an identity take the existing local account of
	// its username that no identity holds yet.
	LinkByUsername bool
	// PasswordSignIn off refuses passwords (sign-in and basic credentials).
	PasswordSignIn bool
	// PostLogoutURL is where the provider sends the browser after signing out.
	PostLogoutURL string
	// Secure marks the sign-in cookie Secure (the callback is https).
	Secure bool
}

// How long each step of a sign-in may take.
const (
	signInTTL = 10 * time.Minute // from the redirect to the provider until the callback
	ticketTTL = 2 * time.Minute  // from the callback until the web app redeems the ticket
)

// SSO is single sign-on with an OpenID provider.
type SSO struct {
	svc    *Service
	idp    Provider
	cfg    SSOConfig
	synced *syncedTokens
}

// EnableSSO turns on sign-in with p and its bearer tokens.
func (s *Service) EnableSSO(p Provider, cfg SSOConfig) *SSO {
	s.sso = &SSO{svc: s, idp: p, cfg: cfg, synced: &syncedTokens{m: map[string]time.Time{}}}
	return s.sso
}

// SSO is the single sign-on, nil when not configured.
func (s *Service) SSO() *SSO { return s.sso }

// Providers is what the sign-in page offers.
type Providers struct {
	Password bool         `json:"password"`
	SSO      *ProviderRef `json:"sso"`
}

// ProviderRef names the provider and where a sign-in with it starts.
type ProviderRef struct {
	Name     string `json:"name"`
	LoginURL string `json:"login_url"`
}

// SignInPath starts a sign-in with the provider (the web app links to it).
const SignInPath = "/api/auth/oidc/login"

// Providers says how people may sign in.
func (s *Service) Providers() Providers {
	if s.sso == nil {
		return Providers{Password: true}
	}
	return Providers{Password: s.sso.cfg.PasswordSignIn, SSO: &ProviderRef{Name: s.sso.cfg.ProviderName, LoginURL: SignInPath}}
}

func (s *Service) passwordsAllowed() error {
	if s.sso != nil && !s.sso.cfg.PasswordSignIn {
		return fmt.Errorf("password sign-in is turned off: sign in with %s, or use an API token: %w", s.sso.cfg.ProviderName, apierror.ErrForbidden)
	}
	return nil
}

// Secure says whether the sign-in cookie must be Secure.
func (o *SSO) Secure() bool { return o.cfg.Secure }

// Begin starts a sign-in: it returns the provider's URL to send the browser
// to, and the secret the browser keeps in a cookie until the callback (the
// PKCE verifier, which also binds the sign-in to that browser). next is
// where to land afterwards: a path of this site, nothing else.
func (o *SSO) Begin(ctx context.Context, next string) (redirect, browserSecret string, err error) {
	next, err = SafeNext(next)
	if err != nil {
		return "", "", err
	}
	state, err := randomString()
	if err != nil {
		return "", "", err
	}
	nonce, err := randomString()
	if err != nil {
		return "", "", err
	}
	verifier, err := randomString()
	if err != nil {
		return "", "", err
	}
	redirect, err = o.idp.AuthCodeURL(ctx, state, nonce, verifier)
	if err != nil {
		return "", "", err
	}
	now := o.svc.now()
	l := store.OIDCLogin{StateHash: authn.HashToken(state), Challenge: challenge(verifier), Nonce: nonce, NextPath: next, CreatedAt: now, ExpiresAt: now.Add(signInTTL)}
	if err := o.svc.store.CreateOIDCLogin(ctx, &l); err != nil {
		return "", "", err
	}
	return redirect, verifier, nil
}

// Callback is the provider's answer: the state names the sign-in, taken
// once; the browser's secret must be the one that began it; the code is
// exchanged with it as PKCE verifier, and the ID token must carry the
// sign-in's nonce. The account is found or made and its groups synced. It
// returns a one-time ticket the web app redeems for a session in the same
// browser, and the path to land on.
func (o *SSO) Callback(ctx context.Context, m Meta, state, code, browserSecret string) (ticket, next string, err error) {
	switch {
	case state == "":
		return "", "", apierror.Required("state")
	case code == "":
		return "", "", apierror.Required("code")
	}
	l, err := o.svc.store.TakeOIDCState(ctx, authn.HashToken(state), o.svc.now())
	if err != nil {
		return "", "", err
	}
	if !sameBrowser(l, browserSecret) {
		o.svc.audit(ctx, m, nil, "login", "sso", "denied", "callback from another browser than the one that began the sign-in")
		return "", "", fmt.Errorf("this sign-in was begun in another browser (or its cookie is gone); start again: %w", apierror.ErrInvalid)
	}
	login, err := o.idp.Exchange(ctx, code, browserSecret, l.Nonce)
	if err != nil {
		o.svc.audit(ctx, m, nil, "login", "sso", "denied", errText(err))
		return "", "", err
	}
	u, err := o.account(ctx, login.Identity)
	if err != nil {
		o.svc.audit(ctx, m, nil, "login", "sso:"+clip(login.Username, 64), "denied", errText(err))
		return "", "", err
	}
	ticket, err = randomString()
	if err != nil {
		return "", "", err
	}
	now := o.svc.now()
	expires := now.Add(o.svc.cfg.SessionTTL)
	if !login.SessionEnd.IsZero() && login.SessionEnd.Before(expires) {
		expires = login.SessionEnd // never outlive the provider's session
	}
	if err := o.svc.store.SetOIDCTicket(ctx, l.ID, authn.HashToken(ticket), u.ID, expires, now.Add(ticketTTL)); err != nil {
		return "", "", err
	}
	return ticket, l.NextPath, nil
}

// Redeem turns a callback's ticket into a session, once, in the browser
// that began the sign-in. A ticket tried from another browser is spent too:
// it has leaked, and the person signs in again.
func (o *SSO) Redeem(ctx context.Context, m Meta, ticket, browserSecret string) (Session, error) {
	if ticket == "" {
		return Session{}, apierror.Required("ticket")
	}
	l, err := o.svc.store.TakeOIDCTicket(ctx, authn.HashToken(ticket), o.svc.now())
	if err != nil {
		return Session{}, err
	}
	if !sameBrowser(l, browserSecret) {
		o.svc.audit(ctx, m, nil, "login", "sso", "denied", "ticket redeemed by another browser than the one that began the sign-in")
		return Session{}, fmt.Errorf("this sign-in was begun in another browser; start again: %w", apierror.ErrInvalid)
	}
	if l.UserID == nil || l.SessionExpiresAt == nil || !l.SessionExpiresAt.After(o.svc.now()) {
		return Session{}, errSignInExpired
	}
	u, err := o.svc.store.UserByID(ctx, *l.UserID)
	if err != nil {
		return Session{}, err
	}
	if !u.IsActive {
		return Session{}, fmt.Errorf("this account is disabled: %w", apierror.ErrUnauthorized)
	}
	secret, hash, err := authn.NewToken(authn.Session)
	if err != nil {
		return Session{}, err
	}
	cred := store.Credential{UserID: u.ID, Kind: string(authn.Session), Name: "sso", TokenHash: hash, CreatedAt: o.svc.now(), ExpiresAt: *l.SessionExpiresAt}
	if err := o.svc.store.CreateCredential(ctx, &cred); err != nil {
		return Session{}, err
	}
	o.svc.audit(ctx, m, &Principal{Subject: subjectOf(u)}, "login", "user:"+u.Username, "ok", "sso")
	return Session{Token: secret, ExpiresAt: cred.ExpiresAt.Format(timeFormat), User: viewUser(u)}, nil
}

var errSignInExpired = fmt.Errorf("this sign-in has expired; start again: %w", apierror.ErrInvalid)

// LogoutURL is where to send the browser of a provider's user who signed
// out here, so the provider's session ends too; "" for a local account.
func (o *SSO) LogoutURL(ctx context.Context, p Principal) string {
	u, err := o.svc.store.UserByID(ctx, p.ID)
	if err != nil || u.IdPSubject == nil {
		return ""
	}
	out, err := o.idp.LogoutURL(ctx, o.cfg.PostLogoutURL)
	if err != nil {
		o.svc.log.Warn("single sign-on: the provider's logout URL", zap.Error(err))
		return ""
	}
	return out
}

// authenticateToken accepts a bearer JWT the provider signed (a CI job's
// client-credentials token, a notebook's access token) as its account.
// The account's groups are synced the first time a token is seen.
func (o *SSO) authenticateToken(ctx context.Context, raw string) (Principal, error) {
	id, err := o.idp.VerifyAccessToken(ctx, raw)
	if err != nil {
		return Principal{}, err
	}
	hash := authn.HashToken(raw)
	var u store.User
	if o.synced.has(hash, o.svc.now()) {
		u, err = o.svc.store.UserByIdPSubject(ctx, id.Subject)
	} else {
		u, err = o.account(ctx, id)
	}
	switch {
	case errors.Is(err, apierror.ErrNotFound):
		return Principal{}, errBadToken
	case err != nil:
		return Principal{}, err
	case !u.IsActive:
		return Principal{}, fmt.Errorf("this account is disabled: %w", apierror.ErrUnauthorized)
	}
	o.synced.add(hash, id.Expiry, o.svc.now())
	return Principal{Subject: subjectOf(u), Kind: authn.IdPToken}, nil
}

// account finds or makes the identity's account and syncs its groups and
// admin flag.
func (o *SSO) account(ctx context.Context, id idp.Identity) (store.User, error) {
	username := normalUsername(id.Username)
	if !usernameRe.MatchString(username) {
		return store.User{}, fmt.Errorf("the identity provider's username %q is not a valid ML Studio username (1-64 lower-case letters, digits, '.', '_' or '-'): %w", truncate(id.Username), apierror.ErrForbidden)
	}
	in := store.IdPUser{Subject: id.Subject, Username: username, DisplayName: clip(id.Name, 128), Create: o.cfg.CreateUsers, LinkByUsername: o.cfg.LinkByUsername,
		SyncGroups: id.SyncGroups}
	if validEmail(id.Email) == nil {
		in.Email = id.Email
	}
	for _, g := range id.Groups {
		if groupRe.MatchString(g) {
			in.Groups = append(in.Groups, g)
		}
	}
	if o.cfg.AdminGroup != "" {
		admin := false
		for _, g := range id.Groups {
			admin = admin || g == o.cfg.AdminGroup
		}
		in.Admin = &admin
	}
	u, err := o.svc.store.SyncIdPUser(ctx, in)
	if err != nil {
		return u, err
	}
	if !u.IsActive {
		return u, fmt.Errorf("this account is disabled: %w", apierror.ErrUnauthorized)
	}
	return u, nil
}

// syncedTokens remembers the provider tokens whose account was synced,
// until they expire, so a script's every call is not a write.
type syncedTokens struct {
	mu sync.Mutex
	m  map[string]time.Time
}

const maxSyncedTokens = 10_000

func (t *syncedTokens) has(hash string, now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	exp, ok := t.m[hash]
	return ok && now.Before(exp)
}

func (t *syncedTokens) add(hash string, exp, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxSyncedTokens {
		for k, e := range t.m {
			if !now.Before(e) {
				delete(t.m, k)
			}
		}
		if len(t.m) >= maxSyncedTokens {
			clear(t.m) // only costs a sync per token again
		}
	}
	t.m[hash] = exp
}

// SafeNext accepts where to land after a sign-in only as a path of this
// site: no scheme, no host, no "//" or "/\" (which browsers read as
// another host), no control characters.
func SafeNext(next string) (string, error) {
	if next == "" {
		return "/", nil
	}
	bad := fmt.Errorf("'next' must be a path on this site, such as /experiments: %w", apierror.ErrInvalid)
	if len(next) > 2048 || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, func(r rune) bool { return unicode.IsControl(r) || r == '\\' || unicode.IsSpace(r) }) {
		return "", bad
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "", bad
	}
	return next, nil
}

func sameBrowser(l store.OIDCLogin, browserSecret string) bool {
	return browserSecret != "" && subtle.ConstantTimeCompare([]byte(challenge(browserSecret)), []byte(l.Challenge)) == 1
}

// challenge is PKCE's S256 of a verifier.
func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomString is 256 random bits, base64url: a state, nonce, verifier or ticket.
func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}
