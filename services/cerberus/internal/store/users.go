package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Page bounds a list.
type Page struct {
	Limit  int
	Offset int
}

// CreateUser inserts u and sets its ID.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	return classify(s.db.WithContext(ctx).Create(u).Error, fmt.Sprintf("user %q", u.Username))
}

// UserByName finds a user by username.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&u).Error
	return u, classify(err, fmt.Sprintf("user %q", username))
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id uint64) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Take(&u, id).Error
	return u, classify(err, fmt.Sprintf("user %d", id))
}

// CountUsers counts every account.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, classify(err, "users")
}

// ListUsers returns users ordered by username, and the total.
func (s *Store) ListUsers(ctx context.Context, p Page) ([]User, int64, error) {
	var (
		users []User
		total int64
	)
	q := s.db.WithContext(ctx).Model(&User{})
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "users")
	}
	err := q.Order("username").Limit(p.Limit).Offset(p.Offset).Find(&users).Error
	return users, total, classify(err, "users")
}

// FindUsers returns up to limit active users whose username starts with
// prefix or whose display name contains it (ignoring ASCII case), by username.
func (s *Store) FindUsers(ctx context.Context, prefix string, limit int) ([]User, error) {
	var users []User
	lower := strings.ToLower(prefix)
	err := s.db.WithContext(ctx).
		Where("is_active = ? AND (username LIKE ? ESCAPE '!' OR LOWER(display_name) LIKE ? ESCAPE '!')", true, likePrefix(lower), "%"+likePrefix(lower)).
		Order("username").Limit(limit).Find(&users).Error
	return users, classify(err, "users")
}

// UserChanges are the fields an update may set; nil leaves a field alone.
type UserChanges struct {
	DisplayName  *string
	Email        *string
	PasswordHash *string
	IsActive     *bool
	IsAdmin      *bool
	// SignOut revokes credentials of the user along with the changes (a new
	// password), in the same transaction: none outlives the old password.
	SignOut *SignOut
}

// SignOut says which of a user's credentials an update revokes.
type SignOut struct {
	Keep   uint64 // a credential spared (the session that made the change); 0 spares none
	Tokens bool   // API tokens too, not only sessions
}

// UpdateUser applies changes. Disabling a user revokes every session and
// token of theirs in the same transaction, so no credential outlives it.
func (s *Store) UpdateUser(ctx context.Context, id uint64, c UserChanges) (User, error) {
	var u User
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		if err := tx.Take(&u, id).Error; err != nil {
			return err
		}
		set := map[string]any{"updated_at": time.Now().UTC()}
		if c.DisplayName != nil {
			set["display_name"] = *c.DisplayName
		}
		if c.Email != nil {
			set["email"] = *c.Email
		}
		if c.PasswordHash != nil {
			set["password_hash"] = *c.PasswordHash
		}
		if c.IsActive != nil {
			set["is_active"] = *c.IsActive
		}
		if c.IsAdmin != nil {
			set["is_admin"] = *c.IsAdmin
		}
		if u.IsAdmin && u.IsActive && ((c.IsActive != nil && !*c.IsActive) || (c.IsAdmin != nil && !*c.IsAdmin)) {
			if err := anotherActiveAdmin(tx, id); err != nil {
				return err
			}
		}
		if err := tx.Model(&u).Updates(set).Error; err != nil {
			return err
		}
		switch {
		case c.IsActive != nil && !*c.IsActive:
			if err := revokeAll(tx, id); err != nil {
				return err
			}
		case c.SignOut != nil:
			q := tx.Model(&Credential{}).Where("user_id = ? AND revoked_at IS NULL AND id <> ?", id, c.SignOut.Keep)
			if !c.SignOut.Tokens {
				q = q.Where("kind = ?", "session")
			}
			if err := q.Update("revoked_at", time.Now().UTC()).Error; err != nil {
				return err
			}
		}
		// One change for the user makes every decision cache forget their
		// credentials with their flags: a revoked token is refused at once.
		changes.add(ScopeUser, id)
		return tx.Take(&u, id).Error
	})
	if errors.Is(err, ErrLastAdmin) {
		return u, err
	}
	return u, classify(err, fmt.Sprintf("user %d", id))
}

// ErrLastAdmin refuses a change that would leave no active admin: nobody
// could then manage users or lift an admin's deny.
var ErrLastAdmin = errors.New("the last active admin cannot be disabled or demoted")

// anotherActiveAdmin fails with ErrLastAdmin unless an active admin other
// than user id exists. On MySQL the read locks the admins it scans, so two
// admins demoting each other at once are serialized and the second is
// refused; SQLite has one writer at a time, and a transaction whose read is
// outdated by the time it writes fails rather than commits.
func anotherActiveAdmin(tx *gorm.DB, id uint64) error {
	q := tx.Model(&User{})
	if tx.Dialector.Name() == "mysql" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	var others []uint64
	if err := q.Where("is_admin = ? AND is_active = ? AND id <> ?", true, true, id).Limit(1).Pluck("id", &others).Error; err != nil {
		return err
	}
	if len(others) == 0 {
		return ErrLastAdmin
	}
	return nil
}

// CredentialOwner is a live credential with the user it belongs to: what
// one lookup by token hash returns.
type CredentialOwner struct {
	Credential Credential `gorm:"embedded;embeddedPrefix:c_"`
	User       User       `gorm:"embedded;embeddedPrefix:u_"`
}

// CreateCredential stores a session or token by its hash.
func (s *Store) CreateCredential(ctx context.Context, c *Credential) error {
	return classify(s.db.WithContext(ctx).Create(c).Error, "credential")
}

// ResolveCredential finds the unrevoked, unexpired credential with this hash
// and its owner in one query.
func (s *Store) ResolveCredential(ctx context.Context, hash string, now time.Time) (CredentialOwner, error) {
	var out CredentialOwner
	err := s.db.WithContext(ctx).Raw(`
SELECT c.id AS c_id, c.user_id AS c_user_id, c.kind AS c_kind, c.name AS c_name,
       c.created_at AS c_created_at, c.expires_at AS c_expires_at, c.last_used_at AS c_last_used_at,
       u.id AS u_id, u.username AS u_username, u.display_name AS u_display_name, u.email AS u_email,
       u.is_active AS u_is_active, u.is_admin AS u_is_admin, u.created_at AS u_created_at, u.updated_at AS u_updated_at
FROM credential c JOIN `+"`user`"+` u ON u.id = c.user_id
WHERE c.token_hash = ? AND c.revoked_at IS NULL AND c.expires_at > ?`, hash, now).Scan(&out).Error
	if err == nil && out.Credential.ID == 0 {
		err = gorm.ErrRecordNotFound
	}
	return out, classify(err, "credential")
}

// TouchCredential records a use, at most once a minute per credential, so
// a busy token does not turn every request into a write.
func (s *Store) TouchCredential(ctx context.Context, id uint64, now time.Time) error {
	err := s.db.WithContext(ctx).Model(&Credential{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, now.Add(-time.Minute)).
		Update("last_used_at", now).Error
	return classify(err, "credential")
}

// ListCredentials lists a user's credentials of one kind, newest first;
// userID 0 lists everyone's.
func (s *Store) ListCredentials(ctx context.Context, userID uint64, kind string, p Page) ([]Credential, int64, error) {
	var (
		out   []Credential
		total int64
	)
	q := s.db.WithContext(ctx).Model(&Credential{}).Where("kind = ?", kind)
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "credentials")
	}
	err := q.Order("id DESC").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "credentials")
}

// CredentialByID finds a credential.
func (s *Store) CredentialByID(ctx context.Context, id uint64) (Credential, error) {
	var c Credential
	err := s.db.WithContext(ctx).Take(&c, id).Error
	return c, classify(err, fmt.Sprintf("token %d", id))
}

// RevokeCredential revokes one credential; revoking twice is not an error.
func (s *Store) RevokeCredential(ctx context.Context, id uint64, now time.Time) error {
	return s.revokeWhere(ctx, fmt.Sprintf("token %d", id), now, "id = ?", id)
}

// RevokeCredentialByHash revokes the credential with this hash (logout).
func (s *Store) RevokeCredentialByHash(ctx context.Context, hash string, now time.Time) error {
	return s.revokeWhere(ctx, "credential", now, "token_hash = ?", hash)
}

// RevokeUserCredentials revokes every session and API token of a user
// ("sign out everywhere").
func (s *Store) RevokeUserCredentials(ctx context.Context, userID uint64, now time.Time) error {
	return s.revokeWhere(ctx, "credentials", now, "user_id = ?", userID)
}

// revokeWhere revokes the live credentials matching the condition and
// records a change for each owner, so no cache keeps accepting them.
func (s *Store) revokeWhere(ctx context.Context, what string, now time.Time, cond string, args ...any) error {
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		live := tx.Model(&Credential{}).Where(cond, args...).Where("revoked_at IS NULL").Session(&gorm.Session{})
		var owners []uint64
		if err := live.Distinct().Pluck("user_id", &owners).Error; err != nil {
			return err
		}
		if len(owners) == 0 {
			return nil
		}
		if err := live.Update("revoked_at", now).Error; err != nil {
			return err
		}
		for _, id := range owners {
			changes.add(ScopeUser, id)
		}
		return nil
	})
	return classify(err, what)
}

func revokeAll(tx *gorm.DB, userID uint64) error {
	return tx.Model(&Credential{}).Where("user_id = ? AND revoked_at IS NULL", userID).
		Update("revoked_at", time.Now().UTC()).Error
}
