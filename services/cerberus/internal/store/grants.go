package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// SubjectKind says who a grant is for.
type SubjectKind string

// The two kinds of grantee.
const (
	SubjectUser  SubjectKind = "user"
	SubjectGroup SubjectKind = "group"
)

// Subject is a user or a group.
type Subject struct {
	Kind SubjectKind
	ID   uint64
}

func (s Subject) scope() string {
	if s.Kind == SubjectGroup {
		return ScopeGroup
	}
	return ScopeUser
}

// GrantSpec is one grant to create or remove. A deny is stored on the
// element's read permission, in a row of its own beside the subject's
// allows (effect is part of the unique key), and removes every access.
type GrantSpec struct {
	Subject     Subject
	ComponentID uint64
	Element     string
	Operation   string // ignored for a deny
	Effect      string
	By          *uint64 // who grants: recorded as the row's granted_by
	// Adopt, on a grant, takes over the same grant when a user who is not
	// an admin placed it (By becomes its granted_by) rather than answering a
	// conflict: an admin's deny must not be one a manager can lift.
	Adopt bool
	// OnlyPlacedBy, on a revoke, removes the grant only if this user placed
	// it; one placed by anyone else, or by a user since deleted, is
	// forbidden.
	OnlyPlacedBy *uint64
}

// grantRow selects the one row a spec names on a permission, in a fresh
// statement each call, and the model of its table.
func grantRow(tx *gorm.DB, g GrantSpec, permissionID uint64) (*gorm.DB, any, error) {
	var model any
	switch g.Subject.Kind {
	case SubjectUser:
		model = &UserPermission{}
		tx = tx.Model(model).Where("user_id = ? AND permission_id = ? AND effect = ?", g.Subject.ID, permissionID, g.Effect)
	case SubjectGroup:
		model = &GroupPermission{}
		tx = tx.Model(model).Where("group_id = ? AND permission_id = ? AND effect = ?", g.Subject.ID, permissionID, g.Effect)
	default:
		return nil, nil, fmt.Errorf("subject kind %q: %w", g.Subject.Kind, apierror.ErrInvalid)
	}
	return tx, model, nil
}

func (s *Store) grantTarget(tx *gorm.DB, g GrantSpec) (Permission, error) {
	opName := g.Operation
	if g.Effect == Deny {
		opName = "read"
	}
	op, err := s.OperationByName(opName)
	if err != nil {
		return Permission{}, err
	}
	el, err := elementByName(tx, g.ComponentID, g.Element)
	if err != nil {
		return Permission{}, err
	}
	return permissionFor(tx, g.ComponentID, el.ID, op.ID)
}

// Grant records a grant; the same grant twice is a conflict (unless Adopt
// takes it over).
func (s *Store) Grant(ctx context.Context, g GrantSpec) error {
	what := fmt.Sprintf("%s grant of %s on %q to %s %d", g.Effect, g.Operation, g.Element, g.Subject.Kind, g.Subject.ID)
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		perm, err := s.grantTarget(tx, g)
		if err != nil {
			return err
		}
		changes.add(g.Subject.scope(), g.Subject.ID)
		if g.Adopt && g.By != nil {
			q, _, err := grantRow(tx, g, perm.ID)
			if err != nil {
				return err
			}
			nonAdmins := tx.Model(&User{}).Select("id").Where("is_admin = ?", false)
			res := q.Where("granted_by IN (?)", nonAdmins).Update("granted_by", *g.By)
			if res.Error != nil || res.RowsAffected > 0 {
				return classify(res.Error, what)
			}
		}
		var row any
		switch g.Subject.Kind {
		case SubjectUser:
			row = &UserPermission{UserID: g.Subject.ID, PermissionID: perm.ID, Effect: g.Effect, GrantedBy: g.By}
		case SubjectGroup:
			row = &GroupPermission{GroupID: g.Subject.ID, PermissionID: perm.ID, Effect: g.Effect, GrantedBy: g.By}
		default:
			return fmt.Errorf("subject kind %q: %w", g.Subject.Kind, apierror.ErrInvalid)
		}
		return classify(tx.Create(row).Error, what)
	})
}

// Revoke removes a grant; removing one that does not exist is not found,
// and one OnlyPlacedBy did not place is forbidden.
func (s *Store) Revoke(ctx context.Context, g GrantSpec) error {
	what := fmt.Sprintf("%s grant of %s on %q", g.Effect, g.Operation, g.Element)
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		perm, err := s.grantTarget(tx, g)
		if err != nil {
			return err
		}
		changes.add(g.Subject.scope(), g.Subject.ID)
		q, model, err := grantRow(tx, g, perm.ID)
		if err != nil {
			return err
		}
		if g.OnlyPlacedBy != nil {
			q = q.Where("granted_by = ?", *g.OnlyPlacedBy)
		}
		res := q.Delete(model)
		if res.Error != nil {
			return classify(res.Error, what)
		}
		if res.RowsAffected > 0 {
			return nil
		}
		if g.OnlyPlacedBy != nil {
			// Nothing of theirs went: tell someone else's grant from none.
			var n int64
			q, _, _ := grantRow(tx, g, perm.ID)
			if err := q.Count(&n).Error; err != nil {
				return classify(err, what)
			}
			if n > 0 {
				return fmt.Errorf("%s: placed by someone else: %w", what, apierror.ErrForbidden)
			}
		}
		return fmt.Errorf("%s: %w", what, apierror.ErrNotFound)
	})
}

// GrantRow is a grant as lists and decisions see it.
type GrantRow struct {
	SubjectKind string
	SubjectID   uint64
	SubjectName string
	Element     string
	Operation   string
	Ordinal     int
	Effect      string
	Depth       int // 0 on the element itself, 1 on its parent, …; -1 on the component root
	CreatedAt   time.Time
}
