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
// element's read permission and removes every access.
type GrantSpec struct {
	Subject     Subject
	ComponentID uint64
	Element     string
	Operation   string // ignored for a deny
	Effect      string
	By          *uint64
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

// Grant records a grant; the same grant twice is a conflict.
func (s *Store) Grant(ctx context.Context, g GrantSpec) error {
	what := fmt.Sprintf("%s grant of %s on %q to %s %d", g.Effect, g.Operation, g.Element, g.Subject.Kind, g.Subject.ID)
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		perm, err := s.grantTarget(tx, g)
		if err != nil {
			return err
		}
		changes.add(g.Subject.scope(), g.Subject.ID)
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

// Revoke removes a grant; removing one that does not exist is not found.
func (s *Store) Revoke(ctx context.Context, g GrantSpec) error {
	what := fmt.Sprintf("%s grant of %s on %q", g.Effect, g.Operation, g.Element)
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		perm, err := s.grantTarget(tx, g)
		if err != nil {
			return err
		}
		changes.add(g.Subject.scope(), g.Subject.ID)
		var res *gorm.DB
		switch g.Subject.Kind {
		case SubjectUser:
			res = tx.Where("user_id = ? AND permission_id = ? AND effect = ?", g.Subject.ID, perm.ID, g.Effect).Delete(&UserPermission{})
		case SubjectGroup:
			res = tx.Where("group_id = ? AND permission_id = ? AND effect = ?", g.Subject.ID, perm.ID, g.Effect).Delete(&GroupPermission{})
		default:
			return fmt.Errorf("subject kind %q: %w", g.Subject.Kind, apierror.ErrInvalid)
		}
		if res.Error != nil {
			return classify(res.Error, what)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%s: %w", what, apierror.ErrNotFound)
		}
		return nil
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
