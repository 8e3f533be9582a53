package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// TokenView is an API token as lists show it: never the secret.
type TokenView struct {
	ID         uint64  `json:"id"`
	Name       string  `json:"name"`
	Username   string  `json:"username,omitempty"`
	CreatedAt  string  `json:"created_at"`
	ExpiresAt  string  `json:"expires_at"`
	LastUsedAt *string `json:"last_used_at"`
	Revoked    bool    `json:"revoked"`
}

// NewToken is the one answer that carries the secret.
type NewToken struct {
	TokenView
	Token string `json:"token"`
}

func viewToken(c store.Credential) TokenView {
	v := TokenView{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt.UTC().Format(timeFormat), ExpiresAt: c.ExpiresAt.UTC().Format(timeFormat), Revoked: c.RevokedAt != nil}
	if c.LastUsedAt != nil {
		s := c.LastUsedAt.UTC().Format(timeFormat)
		v.LastUsedAt = &s
	}
	return v
}

// CreateToken makes an API token for the caller; the secret is returned once.
// The caller must have signed in: a token minting tokens would let a leaked
// one outlive its own revocation and expiry.
func (s *Service) CreateToken(ctx context.Context, m Meta, p Principal, name string, ttl time.Duration) (NewToken, error) {
	if err := s.needsSignIn(ctx, m, p, "token.create", "user:"+p.Username, "create API tokens"); err != nil {
		return NewToken{}, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return NewToken{}, apierror.Required("name")
	case len(name) > 128:
		return NewToken{}, invalid("name must be at most 128 characters")
	case ttl == 0:
		ttl = s.cfg.DefaultTokenTT
	case ttl < time.Minute || ttl > s.cfg.MaxTokenTTL:
		return NewToken{}, invalid("expires_in_days must give a lifetime between one minute and %d days", int(s.cfg.MaxTokenTTL.Hours()/24))
	}
	secret, hash, err := authn.NewToken(authn.APIToken)
	if err != nil {
		return NewToken{}, err
	}
	c := store.Credential{UserID: p.ID, Kind: string(authn.APIToken), Name: name, TokenHash: hash, CreatedAt: s.now(), ExpiresAt: s.now().Add(ttl)}
	err = s.store.CreateCredential(ctx, &c)
	s.audit(ctx, m, &p, "token.create", fmt.Sprintf("token:%d", c.ID), resultOf(err), name)
	if err != nil {
		return NewToken{}, err
	}
	return NewToken{TokenView: viewToken(c), Token: secret}, nil
}

// ListTokens lists the caller's tokens; admins may list anyone's (all when
// username is empty and all is set).
func (s *Service) ListTokens(ctx context.Context, p Principal, username string, all bool, page store.Page) ([]TokenView, int64, error) {
	userID := p.ID
	switch {
	case all || (username != "" && username != p.Username):
		if err := requireAdmin(p); err != nil {
			return nil, 0, err
		}
		userID = 0
		if username != "" {
			u, err := s.store.UserByName(ctx, username)
			if err != nil {
				return nil, 0, err
			}
			userID = u.ID
		}
	}
	creds, total, err := s.store.ListCredentials(ctx, userID, string(authn.APIToken), page)
	out := make([]TokenView, 0, len(creds))
	for _, c := range creds {
		v := viewToken(c)
		if userID == 0 {
			if u, err := s.store.UserByID(ctx, c.UserID); err == nil {
				v.Username = u.Username
			}
		}
		out = append(out, v)
	}
	return out, total, err
}

// RevokeToken revokes an API token of the caller's, or anyone's for an admin.
func (s *Service) RevokeToken(ctx context.Context, m Meta, p Principal, id uint64) error {
	c, err := s.store.CredentialByID(ctx, id)
	if err != nil && !errors.Is(err, apierror.ErrNotFound) {
		return err // an outage is a 503, not a missing token
	}
	if err != nil || c.Kind != string(authn.APIToken) || (c.UserID != p.ID && !p.IsAdmin) {
		// Someone else's token is "not found", not "forbidden": ids are not confirmed.
		return fmt.Errorf("token %d: %w", id, apierror.ErrNotFound)
	}
	err = s.store.RevokeCredential(ctx, id, s.now())
	s.audit(ctx, m, &p, "token.revoke", fmt.Sprintf("token:%d", id), resultOf(err), c.Name)
	return err
}

// SignOutEverywhere revokes every session and API token of the caller's,
// the one used included: the remedy when any of them may have leaked. Like
// a password change it needs a session or the password, so a leaked token
// cannot sign its owner out.
func (s *Service) SignOutEverywhere(ctx context.Context, m Meta, p Principal) error {
	if err := s.needsSignIn(ctx, m, p, "logout", "user:"+p.Username, "sign out everywhere"); err != nil {
		return err
	}
	err := s.store.RevokeUserCredentials(ctx, p.ID, s.now())
	s.audit(ctx, m, &p, "logout", "user:"+p.Username, resultOf(err), "everywhere")
	return err
}
