package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// OIDCLogin is a sign-in with the OpenID provider under way: begun (state),
// called back (ticket), redeemed (a session).
type OIDCLogin struct {
	ID               uint64 `gorm:"primaryKey"`
	StateHash        string
	Challenge        string
	Nonce            string
	NextPath         string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	StateUsedAt      *time.Time
	TicketHash       *string
	TicketUsedAt     *time.Time
	UserID           *uint64
	SessionExpiresAt *time.Time
}

// TableName is the sign-ins table.
func (OIDCLogin) TableName() string { return "oidc_login" }

// CreateOIDCLogin records a sign-in begun, and deletes those that ended
// more than an hour ago.
func (s *Store) CreateOIDCLogin(ctx context.Context, l *OIDCLogin) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", l.CreatedAt.Add(-time.Hour)).Delete(&OIDCLogin{}).Error; err != nil {
		return classify(err, "sign-ins")
	}
	return classify(db.Create(l).Error, "sign-in")
}

// errSignInGone is what a state or ticket that is unknown, expired or used
// already answers: which of these it was is nobody's business.
var errSignInGone = fmt.Errorf("this sign-in is unknown, expired or already used; start again: %w", apierror.ErrInvalid)

// TakeOIDCState marks the sign-in with this state as called back and
// returns it, once: a second call with the same state finds nothing.
func (s *Store) TakeOIDCState(ctx context.Context, stateHash string, now time.Time) (OIDCLogin, error) {
	return s.takeOnce(ctx, "state_hash", stateHash, "state_used_at", now)
}

// TakeOIDCTicket marks the called-back sign-in with this ticket as redeemed
// and returns it, once.
func (s *Store) TakeOIDCTicket(ctx context.Context, ticketHash string, now time.Time) (OIDCLogin, error) {
	return s.takeOnce(ctx, "ticket_hash", ticketHash, "ticket_used_at", now)
}

// takeOnce sets used on the live row whose key column is value, only if it
// was not set: the UPDATE decides, so two racing callers cannot both win.
func (s *Store) takeOnce(ctx context.Context, key, value, used string, now time.Time) (OIDCLogin, error) {
	var l OIDCLogin
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&OIDCLogin{}).Where(key+" = ? AND "+used+" IS NULL AND expires_at > ?", value, now).Update(used, now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return errSignInGone
		}
		return tx.Where(key+" = ?", value).Take(&l).Error
	})
	if errors.Is(err, errSignInGone) {
		return l, err
	}
	return l, classify(err, "sign-in")
}

// SetOIDCTicket records who signed in and the ticket that redeems it.
func (s *Store) SetOIDCTicket(ctx context.Context, id uint64, ticketHash string, userID uint64, sessionExpires, ticketExpires time.Time) error {
	err := s.db.WithContext(ctx).Model(&OIDCLogin{}).Where("id = ?", id).Updates(map[string]any{
		"ticket_hash": ticketHash, "user_id": userID, "session_expires_at": sessionExpires, "expires_at": ticketExpires,
	}).Error
	return classify(err, "sign-in")
}

// IdPUser is an account as the OpenID provider describes it at a sign-in.
type IdPUser struct {
	Subject     string
	Username    string
	DisplayName string
	Email       string
	// Groups are the provider's groups, valid group names only.
	Groups []string
	// SyncGroups makes the provider-group memberships exactly Groups; off
	// (no groups claim configured) they stay as they are.
	SyncGroups bool
	// Admin, when not nil, is whether the provider's admin group holds the
	// user. Demoting the last active admin is skipped, not an error.
	Admin *bool
	// Create lets a sign-in make the account (just in time).
	Create bool
	// LinkByUsername lets a sign-in take an existing local account of the
	// same username that no provider identity holds yet.
	LinkByUsername bool
}

// ErrNoAccount means the provider's identity has no account here and may
// not make one.
var ErrNoAccount = fmt.Errorf("no ML Studio account is linked to this identity; ask an admin: %w", apierror.ErrForbidden)

// SyncIdPUser finds (or makes) the account of a provider identity, brings
// its name, email and admin flag up to date and sets its memberships of
// provider-managed groups to exactly in.Groups, creating those groups when
// missing. A local group of a listed name is left as it is. A disabled
// account is returned unchanged: the caller refuses it.
func (s *Store) SyncIdPUser(ctx context.Context, in IdPUser) (User, error) {
	var u User
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		err := tx.Where("idp_subject = ?", in.Subject).Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			if err := linkOrCreate(tx, in, &u); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if !u.IsActive {
			return nil
		}
		set := map[string]any{}
		if in.DisplayName != "" && in.DisplayName != u.DisplayName {
			set["display_name"] = in.DisplayName
		}
		if in.Email != u.Email {
			set["email"] = in.Email
		}
		if in.Admin != nil && *in.Admin != u.IsAdmin {
			demoteLast := !*in.Admin && anotherActiveAdmin(tx, u.ID) != nil
			if !demoteLast {
				set["is_admin"] = *in.Admin
			}
		}
		if len(set) > 0 {
			set["updated_at"] = time.Now().UTC()
			if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(set).Error; err != nil {
				return err
			}
		}
		changed := false
		if in.SyncGroups {
			if changed, err = syncIdPGroups(tx, u.ID, in.Groups); err != nil {
				return err
			}
		}
		if changed || set["is_admin"] != nil {
			changes.add(ScopeUser, u.ID)
		}
		return tx.Take(&u, u.ID).Error
	})
	var taken *accountTaken
	if errors.Is(err, ErrNoAccount) || errors.As(err, &taken) {
		return u, err
	}
	return u, classify(err, fmt.Sprintf("user %q", in.Username))
}

// accountTaken refuses a sign-in whose username names an account that is
// not this identity's: taking it would hand someone else's access over.
type accountTaken struct{ username string }

func (e *accountTaken) Error() string {
	return fmt.Sprintf("an account named %q exists and is not linked to this identity; an admin must rename it or allow linking", e.username)
}

func (e *accountTaken) Unwrap() error { return apierror.ErrConflict }

func linkOrCreate(tx *gorm.DB, in IdPUser, u *User) error {
	err := tx.Where("username = ?", in.Username).Take(u).Error
	switch {
	case err == nil:
		// An account SCIM provisioned is the provider's: its identity of
		// that username takes it at the first sign-in.
		if (!in.LinkByUsername && !u.SCIMProvisioned) || u.IdPSubject != nil {
			return &accountTaken{username: in.Username}
		}
		u.IdPSubject = &in.Subject
		return tx.Model(&User{}).Where("id = ?", u.ID).Update("idp_subject", in.Subject).Error
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return err
	case !in.Create:
		return ErrNoAccount
	}
	now := time.Now().UTC()
	*u = User{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, IsActive: true, IdPSubject: &in.Subject, CreatedAt: now, UpdatedAt: now}
	return tx.Create(u).Error
}

// syncIdPGroups sets the user's memberships of provider-managed groups to
// names, and says whether any changed.
func syncIdPGroups(tx *gorm.DB, userID uint64, names []string) (bool, error) {
	var groups []Group
	if len(names) > 0 {
		if err := tx.Where("name IN ?", names).Find(&groups).Error; err != nil {
			return false, err
		}
	}
	want := map[uint64]bool{}
	for _, name := range names {
		i := slices.IndexFunc(groups, func(g Group) bool { return g.Name == name })
		switch {
		case i < 0:
			g := Group{Name: name, Description: "from the identity provider", IdPManaged: true, CreatedAt: time.Now().UTC()}
			if err := tx.Create(&g).Error; err != nil {
				return false, err
			}
			want[g.ID] = true
		case groups[i].IdPManaged:
			want[groups[i].ID] = true
		}
	}
	var have []uint64
	if err := tx.Model(&Member{}).Joins("JOIN user_group g ON g.id = user_group_member.group_id").
		Where("user_group_member.user_id = ? AND g.idp_managed = ?", userID, true).Pluck("user_group_member.group_id", &have).Error; err != nil {
		return false, err
	}
	changed := false
	for _, id := range have {
		if want[id] {
			delete(want, id)
			continue
		}
		if err := tx.Where("group_id = ? AND user_id = ?", id, userID).Delete(&Member{}).Error; err != nil {
			return false, err
		}
		changed = true
	}
	for id := range want {
		if err := tx.Create(&Member{GroupID: id, UserID: userID, CreatedAt: time.Now().UTC()}).Error; err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// UserByIdPSubject finds the account a provider identity signed in.
func (s *Store) UserByIdPSubject(ctx context.Context, subject string) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("idp_subject = ?", subject).Take(&u).Error
	return u, classify(err, "user")
}
