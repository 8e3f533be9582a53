package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authz"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/idp"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// Session is what a login returns: the secret is shown once.
type Session struct {
	Token     string   `json:"token"`
	ExpiresAt string   `json:"expires_at"`
	User      UserView `json:"user"`
}

var errBadLogin = fmt.Errorf("wrong username or password: %w", apierror.ErrUnauthorized)

// Login checks a password and opens a session.
func (s *Service) Login(ctx context.Context, m Meta, username, password string) (Session, error) {
	if err := s.passwordsAllowed(); err != nil {
		return Session{}, err
	}
	u, err := s.checkPassword(ctx, m, username, password)
	if err != nil {
		return Session{}, err
	}
	secret, hash, err := authn.NewToken(authn.Session)
	if err != nil {
		return Session{}, err
	}
	cred := store.Credential{UserID: u.ID, Kind: string(authn.Session), Name: "session", TokenHash: hash, CreatedAt: s.now(), ExpiresAt: s.now().Add(s.cfg.SessionTTL)}
	if err := s.store.CreateCredential(ctx, &cred); err != nil {
		return Session{}, err
	}
	s.audit(ctx, m, &Principal{Subject: subjectOf(u)}, "login", "user:"+u.Username, "ok", "")
	return Session{Token: secret, ExpiresAt: cred.ExpiresAt.Format(timeFormat), User: viewUser(u)}, nil
}

// checkPassword verifies a password, throttling failures per account and
// per address, and auditing every refusal.
//
// A locked account refuses even its right password. A locked address does
// not: many people may share one (an office's NAT, a proxy cerberus is told
// not to believe), so one person's typos or an attacker's flood must not
// sign them all out. The address is looked at only once a password was
// wrong, where it turns the 401 into a 429 so a flooding client is told to
// stop; the account key is what bounds guessing.
func (s *Service) checkPassword(ctx context.Context, m Meta, username, password string) (store.User, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	userKey, ipKey := "user:"+username, "ip:"+m.ClientIP
	if wait, blocked := s.throttle.Check(userKey); blocked {
		return store.User{}, s.throttled(ctx, m, username, wait, "account locked")
	}
	u, err := s.store.UserByName(ctx, username)
	switch {
	case errors.Is(err, apierror.ErrNotFound):
		s.passwords.DummyVerify(password) // same time as a real check: no account enumeration
		return store.User{}, s.failed(ctx, m, nil, username, userKey, ipKey, "unknown user")
	case err != nil:
		return store.User{}, err
	}
	actor := &Principal{Subject: subjectOf(u)}
	if !s.passwords.Verify(u.PasswordHash, password) {
		return store.User{}, s.failed(ctx, m, actor, username, userKey, ipKey, "wrong password")
	}
	if !u.IsActive {
		// Answered and counted as a wrong password: otherwise a disabled
		// account would confirm a guessed password.
		return store.User{}, s.failed(ctx, m, actor, username, userKey, ipKey, "user disabled")
	}
	// Only the account's count: resetting the address's too would let one
	// valid account launder an attacker's failures against others.
	s.throttle.Reset(userKey)
	return u, nil
}

// failed records a wrong login against the account and the address. An
// address already locked answers 429, as a locked account would; the
// failure still counts against the account.
func (s *Service) failed(ctx context.Context, m Meta, actor *Principal, username, userKey, ipKey, detail string) error {
	wait, blocked := s.throttle.Check(ipKey)
	s.throttle.Fail(userKey, ipKey)
	if blocked {
		return s.throttled(ctx, m, username, wait, "address locked; "+detail)
	}
	s.audit(ctx, m, actor, "login", "user:"+username, "denied", detail)
	return errBadLogin
}

// throttled audits a refused login and answers 429 with Retry-After.
func (s *Service) throttled(ctx context.Context, m Meta, username string, wait time.Duration, detail string) error {
	s.audit(ctx, m, nil, "login", "user:"+username, "throttled", detail)
	return &apierror.Error{Status: 429, Message: "too many failed logins; try again later", RetryAfter: int(math.Ceil(wait.Seconds()))}
}

// Logout revokes the session (or token) the caller used.
func (s *Service) Logout(ctx context.Context, m Meta, p Principal) error {
	if p.CredentialID == 0 {
		return invalid("basic credentials open no session: there is nothing to sign out")
	}
	if err := s.store.RevokeCredential(ctx, p.CredentialID, s.now()); err != nil {
		return err
	}
	s.audit(ctx, m, &p, "logout", "user:"+p.Username, "ok", "")
	return nil
}

var errBadToken = fmt.Errorf("invalid, expired or revoked token: %w", apierror.ErrUnauthorized)

// Authenticate resolves a session or API token secret to its user: one
// indexed query by SHA-256 hash (none when cached), never a password hash.
// With single sign-on, a JWT the OpenID provider signed is accepted too.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	kind, ok := authn.KindOf(secret)
	if !ok {
		if s.sso != nil && idp.LooksLikeJWT(secret) {
			return s.sso.authenticateToken(ctx, secret)
		}
		return Principal{}, errBadToken
	}
	hash := authn.HashToken(secret)
	owner, err := s.access.ResolveCredential(ctx, hash, s.now())
	switch {
	case errors.Is(err, apierror.ErrNotFound):
		return Principal{}, errBadToken
	case err != nil:
		return Principal{}, err
	}
	if owner.Credential.Kind != string(kind) {
		return Principal{}, errBadToken
	}
	if !owner.User.IsActive {
		return Principal{}, fmt.Errorf("this account is disabled: %w", apierror.ErrUnauthorized)
	}
	if now := s.now(); kind == authn.APIToken && stale(owner.Credential, now) {
		s.access.MarkUsed(hash, now)
		go s.touch(owner.Credential.ID)
	}
	return Principal{Subject: subjectOf(owner.User), CredentialID: owner.Credential.ID, Kind: kind}, nil
}

// AuthenticateBasic accepts HTTP basic credentials the way the MLflow client
// sends them: username with a password, or username with an API token.
func (s *Service) AuthenticateBasic(ctx context.Context, m Meta, username, secret string) (Principal, error) {
	if _, isToken := authn.KindOf(secret); isToken {
		p, err := s.Authenticate(ctx, secret)
		if err != nil {
			return p, err
		}
		if p.Username != strings.ToLower(username) {
			return Principal{}, errBadToken
		}
		return p, nil
	}
	if err := s.passwordsAllowed(); err != nil {
		return Principal{}, err
	}
	// A basic-auth password check is one request, not a session: nothing is stored.
	u, err := s.checkPassword(ctx, m, username, secret)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Subject: subjectOf(u)}, nil
}

func (s *Service) touch(id uint64) {
	if err := s.store.TouchCredential(context.Background(), id, s.now()); err != nil {
		s.log.Warn("record token use", zap.Error(err))
	}
}

func subjectOf(u store.User) authz.Subject {
	return authz.Subject{ID: u.ID, Username: u.Username, IsAdmin: u.IsAdmin, IsActive: u.IsActive}
}
