package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// SCIM provisioning sees only the identity provider's accounts (made over
// SCIM or signed in through the provider) and its groups (idp_managed):
// local accounts and groups are never shown to it nor changed by it.

func scimUsers(db *gorm.DB) *gorm.DB {
	return db.Model(&User{}).Where("(scim_provisioned = ? OR idp_subject IS NOT NULL) AND scim_deleted_at IS NULL", true)
}

func scimGroups(db *gorm.DB) *gorm.DB {
	return db.Model(&Group{}).Where("idp_managed = ?", true)
}

// errSCIMUserGone is any account SCIM may not see: unknown, local or deleted.
func errSCIMUserGone(id uint64) error { return fmt.Errorf("user %d: %w", id, apierror.ErrNotFound) }

// SCIMUsers lists the provider's accounts by id; a username lists at most
// the one of that name.
func (s *Store) SCIMUsers(ctx context.Context, username string, p Page) ([]User, int64, error) {
	q := scimUsers(s.db.WithContext(ctx))
	if username != "" {
		q = q.Where("username = ?", username)
	}
	var (
		out   []User
		total int64
	)
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "users")
	}
	err := q.Order("id").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "users")
}

// SCIMUser finds one of the provider's accounts.
func (s *Store) SCIMUser(ctx context.Context, id uint64) (User, error) {
	var u User
	err := scimUsers(s.db.WithContext(ctx)).Where("id = ?", id).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return u, errSCIMUserGone(id)
	}
	return u, classify(err, "user")
}

// ProvisionedUser is an account as SCIM creates it.
type ProvisionedUser struct {
	Username    string
	DisplayName string
	Email       string
	Active      bool
}

// ErrUsernameTaken refuses to provision a username a local account (or a
// live provider account) holds: SCIM never takes over a local account.
var ErrUsernameTaken = fmt.Errorf("an account of this username exists: %w", apierror.ErrConflict)

// ProvisionUser makes the account, or revives the one of this username
// that SCIM deleted.
func (s *Store) ProvisionUser(ctx context.Context, in ProvisionedUser) (User, error) {
	var u User
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		now := time.Now().UTC()
		err := tx.Where("username = ?", in.Username).Take(&u).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			u = User{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, IsActive: in.Active, SCIMProvisioned: true, CreatedAt: now, UpdatedAt: now}
			return tx.Create(&u).Error
		case err != nil:
			return err
		case u.SCIMDeletedAt == nil:
			return ErrUsernameTaken
		}
		if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{
			"display_name": in.DisplayName, "email": in.Email, "is_active": in.Active,
			"scim_provisioned": true, "scim_deleted_at": nil, "updated_at": now,
		}).Error; err != nil {
			return err
		}
		changes.add(ScopeUser, u.ID)
		return tx.Take(&u, u.ID).Error
	})
	if errors.Is(err, ErrUsernameTaken) {
		return u, err
	}
	return u, classify(err, fmt.Sprintf("user %q", in.Username))
}

// UpdateSCIMUser applies changes to one of the provider's accounts; making
// it inactive revokes its every session and token (UpdateUser).
func (s *Store) UpdateSCIMUser(ctx context.Context, id uint64, c UserChanges) (User, error) {
	if _, err := s.SCIMUser(ctx, id); err != nil {
		return User{}, err
	}
	return s.UpdateUser(ctx, id, c)
}

// DeleteSCIMUser deletes one of the provider's accounts as SCIM sees it:
// disabled, every credential revoked and its provider-group memberships
// dropped, in one transaction. The row stays for its grants' and audit
// entries' sake, and so a provider token still valid cannot make it again.
func (s *Store) DeleteSCIMUser(ctx context.Context, id uint64) error {
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		var u User
		if err := scimUsers(tx).Where("id = ?", id).Take(&u).Error; err != nil {
			return err
		}
		if u.IsAdmin && u.IsActive {
			if err := anotherActiveAdmin(tx, id); err != nil {
				return err
			}
		}
		now := time.Now().UTC()
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"is_active": false, "scim_deleted_at": now, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := revokeAll(tx, id); err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND group_id IN (?)", id, scimGroups(tx).Select("id")).Delete(&Member{}).Error; err != nil {
			return err
		}
		changes.add(ScopeUser, id)
		return nil
	})
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return errSCIMUserGone(id)
	case errors.Is(err, ErrLastAdmin):
		return err
	}
	return classify(err, fmt.Sprintf("user %d", id))
}

// SCIMGroups lists the provider's groups by id; a name lists at most the
// one of that name.
func (s *Store) SCIMGroups(ctx context.Context, name string, p Page) ([]Group, int64, error) {
	q := scimGroups(s.db.WithContext(ctx))
	if name != "" {
		q = q.Where("name = ?", name)
	}
	var (
		out   []Group
		total int64
	)
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "groups")
	}
	err := q.Order("id").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "groups")
}

// SCIMGroup finds one of the provider's groups and its members that SCIM sees.
func (s *Store) SCIMGroup(ctx context.Context, id uint64) (Group, []User, error) {
	var g Group
	db := s.db.WithContext(ctx)
	err := scimGroups(db).Where("id = ?", id).Take(&g).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return g, nil, fmt.Errorf("group %d: %w", id, apierror.ErrNotFound)
	}
	if err != nil {
		return g, nil, classify(err, "group")
	}
	var members []User
	err = scimUsers(db).Where("id IN (?)", db.Model(&Member{}).Where("group_id = ?", id).Select("user_id")).Order("id").Find(&members).Error
	return g, members, classify(err, "members")
}

// GroupChange is what a SCIM write does to a group; nil fields stay.
type GroupChange struct {
	Name *string
	// Members, when not nil, becomes the whole membership (PUT, replace).
	Members *[]uint64
	Add     []uint64
	Remove  []uint64
}

// ErrUnknownMember names a member that is not one of the provider's accounts.
type ErrUnknownMember struct{ ID uint64 }

func (e *ErrUnknownMember) Error() string {
	return fmt.Sprintf("member %d is not a user provisioned here", e.ID)
}

// Unwrap makes it a bad request.
func (e *ErrUnknownMember) Unwrap() error { return apierror.ErrInvalid }

// CreateSCIMGroup makes a provider-managed group with these members.
func (s *Store) CreateSCIMGroup(ctx context.Context, name string, members []uint64) (Group, error) {
	g := Group{Name: name, Description: "provisioned by the identity provider (SCIM)", IdPManaged: true, CreatedAt: time.Now().UTC()}
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		if err := tx.Create(&g).Error; err != nil {
			return err
		}
		return setMembers(tx, changes, g.ID, GroupChange{Members: &members})
	})
	return g, s.groupErr(err, name)
}

// ChangeSCIMGroup renames one of the provider's groups and changes its members.
func (s *Store) ChangeSCIMGroup(ctx context.Context, id uint64, c GroupChange) (Group, error) {
	var g Group
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		if err := scimGroups(tx).Where("id = ?", id).Take(&g).Error; err != nil {
			return err
		}
		if c.Name != nil && *c.Name != g.Name {
			if err := tx.Model(&Group{}).Where("id = ?", id).Update("name", *c.Name).Error; err != nil {
				return err
			}
			g.Name = *c.Name
		}
		return setMembers(tx, changes, id, c)
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return g, fmt.Errorf("group %d: %w", id, apierror.ErrNotFound)
	}
	return g, s.groupErr(err, g.Name)
}

func (s *Store) groupErr(err error, name string) error {
	var unknown *ErrUnknownMember
	if errors.As(err, &unknown) {
		return err
	}
	return classify(err, fmt.Sprintf("group %q", name))
}

// setMembers applies c's membership changes to group id, recording a
// change for each user whose membership changed.
func setMembers(tx *gorm.DB, changes *changeSet, id uint64, c GroupChange) error {
	var have []uint64
	if err := tx.Model(&Member{}).Where("group_id = ?", id).Pluck("user_id", &have).Error; err != nil {
		return err
	}
	want := map[uint64]bool{}
	if c.Members != nil {
		for _, u := range *c.Members {
			want[u] = true
		}
	} else {
		for _, u := range have {
			want[u] = true
		}
	}
	for _, u := range c.Add {
		want[u] = true
	}
	for _, u := range c.Remove {
		delete(want, u)
	}
	had := map[uint64]bool{}
	for _, u := range have {
		had[u] = true
	}
	var added []uint64
	for u := range want {
		if !had[u] {
			added = append(added, u)
		}
	}
	if len(added) > 0 {
		var known []uint64
		if err := scimUsers(tx).Where("id IN ?", added).Pluck("id", &known).Error; err != nil {
			return err
		}
		ok := map[uint64]bool{}
		for _, u := range known {
			ok[u] = true
		}
		for _, u := range added {
			if !ok[u] {
				return &ErrUnknownMember{ID: u}
			}
		}
	}
	now := time.Now().UTC()
	for _, u := range added {
		if err := tx.Create(&Member{GroupID: id, UserID: u, CreatedAt: now}).Error; err != nil {
			return err
		}
		changes.add(ScopeUser, u)
	}
	for _, u := range have {
		if want[u] {
			continue
		}
		if err := tx.Where("group_id = ? AND user_id = ?", id, u).Delete(&Member{}).Error; err != nil {
			return err
		}
		changes.add(ScopeUser, u)
	}
	return nil
}

// DeleteSCIMGroup deletes one of the provider's groups, its memberships
// and grants (cascade).
func (s *Store) DeleteSCIMGroup(ctx context.Context, id uint64) error {
	err := s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		var g Group
		if err := scimGroups(tx).Where("id = ?", id).Take(&g).Error; err != nil {
			return err
		}
		var members []uint64
		if err := tx.Model(&Member{}).Where("group_id = ?", id).Pluck("user_id", &members).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Group{}, id).Error; err != nil {
			return err
		}
		for _, u := range members {
			changes.add(ScopeUser, u)
		}
		changes.add(ScopeGroup, id)
		return nil
	})
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("group %d: %w", id, apierror.ErrNotFound)
	}
	return classify(err, fmt.Sprintf("group %d", id))
}
