package service

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/authn"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

const timeFormat = time.RFC3339

// UserView is a user as the API shows it: never the password hash.
type UserView struct {
	ID          uint64 `json:"id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	IsActive    bool   `json:"is_active"`
	IsAdmin     bool   `json:"is_admin"`
	CreatedAt   string `json:"created_at,omitempty"`
}

func viewUser(u store.User) UserView {
	return UserView{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Email: u.Email,
		IsActive: u.IsActive, IsAdmin: u.IsAdmin, CreatedAt: u.CreatedAt.UTC().Format(timeFormat)}
}

// NewUser is what creating a user takes.
type NewUser struct {
	Username    string `json:"username"`
	Password    string `json:"password"`
	DisplayName string `json:"display_name"`
	Email       string `json:"email"`
	IsAdmin     bool   `json:"is_admin"`
}

func normalUsername(u string) string { return strings.ToLower(strings.TrimSpace(u)) }

func (n *NewUser) validate() error {
	n.Username = normalUsername(n.Username)
	switch {
	case n.Username == "":
		return apierror.Required("username")
	case !usernameRe.MatchString(n.Username):
		return invalid("username must be 1-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	case len(n.DisplayName) > 128:
		return invalid("display_name must be at most 128 characters")
	}
	return validEmail(n.Email)
}

func validEmail(e string) error {
	if e == "" {
		return nil
	}
	if a, err := mail.ParseAddress(e); err != nil || a.Address != e || len(e) > 254 {
		return invalid("email %q is not a valid address", truncate(e))
	}
	return nil
}

// CreateUser makes an account (admins only).
func (s *Service) CreateUser(ctx context.Context, m Meta, p Principal, n NewUser) (UserView, error) {
	if err := requireAdmin(p); err != nil {
		return UserView{}, err
	}
	n.Username = normalUsername(n.Username) // the audit names the account as stored
	u, err := s.createUser(ctx, n)
	s.audit(ctx, m, &p, "user.create", "user:"+n.Username, resultOf(err), errText(err))
	return viewUser(u), err
}

func (s *Service) createUser(ctx context.Context, n NewUser) (store.User, error) {
	if err := n.validate(); err != nil {
		return store.User{}, err
	}
	hash, err := s.hashPassword(n.Password)
	if err != nil {
		return store.User{}, err
	}
	u := store.User{Username: n.Username, DisplayName: n.DisplayName, Email: n.Email, PasswordHash: hash, IsActive: true, IsAdmin: n.IsAdmin}
	return u, s.store.CreateUser(ctx, &u)
}

// hashPassword hashes a new password, saying plainly what is wrong with a bad one.
func (s *Service) hashPassword(plain string) (string, error) {
	hash, err := s.passwords.Hash(plain)
	switch {
	case errors.Is(err, authn.ErrPasswordTooShort), errors.Is(err, authn.ErrPasswordTooLong):
		_, why, _ := strings.Cut(err.Error(), ": ")
		return "", invalid("password: %s", why)
	case err != nil:
		return "", fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// Bootstrap creates the first admin when there is no user at all. With an
// empty password it generates one; the caller prints it once.
func (s *Service) Bootstrap(ctx context.Context, username, password string) (created bool, generated string, err error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	if password == "" {
		if password, err = authn.GeneratePassword(); err != nil {
			return false, "", err
		}
		generated = password
	}
	if _, err := s.createUser(ctx, NewUser{Username: username, Password: password, DisplayName: "Administrator", IsAdmin: true}); err != nil {
		if errors.Is(err, apierror.ErrConflict) { // another replica made it first
			return false, "", nil
		}
		return false, "", fmt.Errorf("create the first admin: %w", err)
	}
	s.audit(ctx, Meta{}, nil, "user.bootstrap", "user:"+username, "ok", "")
	return true, generated, nil
}

// ListUsers pages through users (admins only).
func (s *Service) ListUsers(ctx context.Context, p Principal, page store.Page) ([]UserView, int64, error) {
	if err := requireAdmin(p); err != nil {
		return nil, 0, err
	}
	users, total, err := s.store.ListUsers(ctx, page)
	out := make([]UserView, 0, len(users))
	for _, u := range users {
		out = append(out, viewUser(u))
	}
	return out, total, err
}

// Person is what any signed-in user may see of another: enough to pick
// them when granting access, nothing more (no email, no flags).
type Person struct {
	Username    string `json:"username"`
	DisplayName string `json:"display_name"`
}

// Directory finds active users by the start of their username or a part of
// their display name, for anyone signed in: whoever manages an element must
// be able to find the colleague to grant it to.
func (s *Service) Directory(ctx context.Context, query string, limit int) ([]Person, error) {
	query = strings.TrimSpace(query)
	switch {
	case query == "":
		return nil, apierror.Required("q")
	case utf8.RuneCountInString(query) > 64:
		return nil, invalid("q is at most 64 characters")
	}
	users, err := s.store.FindUsers(ctx, query, limit)
	out := make([]Person, 0, len(users))
	for _, u := range users {
		out = append(out, Person{Username: u.Username, DisplayName: u.DisplayName})
	}
	return out, err
}

// GetUser shows a user: admins see anyone, others themselves.
func (s *Service) GetUser(ctx context.Context, p Principal, username string) (UserView, error) {
	if !p.IsAdmin && p.Username != username {
		return UserView{}, fmt.Errorf("you may only see your own account: %w", apierror.ErrForbidden)
	}
	u, err := s.store.UserByName(ctx, username)
	return viewUser(u), err
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	DisplayName *string `json:"display_name"`
	Email       *string `json:"email"`
	Password    *string `json:"password"`
	// CurrentPassword proves a change of one's own password; an admin's
	// reset of someone else's takes none.
	CurrentPassword *string `json:"current_password"`
	IsActive        *bool   `json:"is_active"`
	IsAdmin         *bool   `json:"is_admin"`
}

// UpdateUser lets users edit their own profile and password, and admins
// anything. Disabling revokes all the user's sessions and tokens at once.
//
// A new password revokes credentials in the same transaction. An admin's
// reset of someone else's is the remedy for a taken-over account, so every
// session and API token of theirs goes. Changing one's own signs the other
// sessions out but keeps the API tokens: scripts and notebooks keep running,
// and a token can neither change the password nor mint tokens; "sign out
// everywhere" (SignOutEverywhere) revokes them too.
func (s *Service) UpdateUser(ctx context.Context, m Meta, p Principal, username string, up UserUpdate) (UserView, error) {
	self := p.Username == username
	if !p.IsAdmin && (!self || up.IsActive != nil || up.IsAdmin != nil) {
		return UserView{}, fmt.Errorf("only an admin may change another user or the active and admin flags: %w", apierror.ErrForbidden)
	}
	if p.IsAdmin && self && ((up.IsActive != nil && !*up.IsActive) || (up.IsAdmin != nil && !*up.IsAdmin)) {
		return UserView{}, invalid("an admin cannot disable or demote their own account")
	}
	if up.CurrentPassword != nil && (!self || up.Password == nil) {
		return UserView{}, invalid("current_password goes only with a new password for your own account")
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		return UserView{}, err
	}
	ch := store.UserChanges{DisplayName: up.DisplayName, Email: up.Email, IsActive: up.IsActive, IsAdmin: up.IsAdmin}
	if up.Email != nil {
		if err := validEmail(*up.Email); err != nil {
			return UserView{}, err
		}
	}
	if up.DisplayName != nil && len(*up.DisplayName) > 128 {
		return UserView{}, invalid("display_name must be at most 128 characters")
	}
	if up.Password != nil {
		if self {
			if err := s.needsSignIn(ctx, m, p, "user.update", "user:"+username, "change your password"); err != nil {
				return UserView{}, err
			}
			if up.CurrentPassword == nil || *up.CurrentPassword == "" {
				return UserView{}, apierror.Required("current_password")
			}
		}
		hash, err := s.hashPassword(*up.Password)
		if err != nil {
			return UserView{}, err
		}
		if self {
			if err := s.confirmPassword(ctx, m, p, u, *up.CurrentPassword); err != nil {
				return UserView{}, err
			}
		}
		ch.PasswordHash = &hash
		ch.SignOut = &store.SignOut{Tokens: !self}
		if self {
			ch.SignOut.Keep = p.CredentialID // the session changing the password stays signed in
		}
	}
	u, err = s.store.UpdateUser(ctx, u.ID, ch)
	if errors.Is(err, store.ErrLastAdmin) {
		err = apierror.Wrap(http.StatusConflict, err, "%s is the last active admin: make another user an admin before disabling or demoting them", username)
	}
	s.audit(ctx, m, &p, "user.update", "user:"+username, resultOf(err), changedFields(up))
	return viewUser(u), err
}

// needsSignIn refuses an API token where the account itself is at stake
// (its password, its tokens): a token is a script's credential, and a leaked
// one must not become the account. A session or the password over basic
// authentication is needed.
func (s *Service) needsSignIn(ctx context.Context, m Meta, p Principal, action, target, what string) error {
	if p.Kind != authn.APIToken && p.Kind != authn.IdPToken {
		return nil
	}
	s.audit(ctx, m, &p, action, target, "denied", "an API token may not "+what)
	return fmt.Errorf("an API token may not %s: sign in, or use basic authentication with your password: %w", what, apierror.ErrForbidden)
}

// confirmPassword checks the current password of the caller's own account,
// throttled per account like a login: a stolen session must not be a way to
// guess the password.
func (s *Service) confirmPassword(ctx context.Context, m Meta, p Principal, u store.User, current string) error {
	key := "user:" + u.Username // the login throttle's key for the account
	if wait, blocked := s.throttle.Check(key); blocked {
		s.audit(ctx, m, &p, "user.update", "user:"+u.Username, "throttled", "current password")
		return &apierror.Error{Status: http.StatusTooManyRequests, Message: "too many failed password checks; try again later", RetryAfter: int(math.Ceil(wait.Seconds()))}
	}
	if !s.passwords.Verify(u.PasswordHash, current) {
		s.throttle.Fail(key)
		s.audit(ctx, m, &p, "user.update", "user:"+u.Username, "denied", "wrong current password")
		return fmt.Errorf("current_password is not your current password: %w", apierror.ErrForbidden)
	}
	s.throttle.Reset(key)
	return nil
}

func changedFields(up UserUpdate) string {
	var f []string
	if up.DisplayName != nil {
		f = append(f, "display_name")
	}
	if up.Email != nil {
		f = append(f, "email")
	}
	if up.Password != nil {
		f = append(f, "password")
	}
	if up.IsActive != nil {
		f = append(f, fmt.Sprintf("is_active=%v", *up.IsActive))
	}
	if up.IsAdmin != nil {
		f = append(f, fmt.Sprintf("is_admin=%v", *up.IsAdmin))
	}
	return strings.Join(f, ",")
}

func resultOf(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return apierror.Resolve(err).Message
}
