package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// Root is the element standing for a whole component: a grant on it reaches
// every element of the component.
const Root = "*"

// MaxDepth bounds the parent chain, so a corrupt cycle cannot loop forever.
const MaxDepth = 32

// ElementByName finds an element of a component.
func (s *Store) ElementByName(ctx context.Context, componentID uint64, name string) (Element, error) {
	return elementByName(s.db.WithContext(ctx), componentID, name)
}

func elementByName(tx *gorm.DB, componentID uint64, name string) (Element, error) {
	var e Element
	err := tx.Where("component_id = ? AND name = ?", componentID, name).Take(&e).Error
	return e, classify(err, fmt.Sprintf("element %q", name))
}

// RegisterElement creates an element under parent (empty for none) and gives
// its creator manage on it, in one transaction.
func (s *Store) RegisterElement(ctx context.Context, componentID uint64, name, parent string, creator *uint64) (Element, error) {
	e := Element{ComponentID: componentID, Name: name, CreatedBy: creator}
	manage, err := s.OperationByName("manage")
	if err != nil {
		return e, err
	}
	err = s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		if parent != "" {
			p, err := elementByName(tx, componentID, parent)
			if err != nil {
				return fmt.Errorf("parent: %w", err)
			}
			e.ParentID = &p.ID
		}
		if err := tx.Create(&e).Error; err != nil {
			return classify(err, fmt.Sprintf("element %q", name))
		}
		changes.add(ScopeElement, e.ID)
		if creator == nil {
			return nil
		}
		changes.add(ScopeUser, *creator)
		perm, err := permissionFor(tx, componentID, e.ID, manage.ID)
		if err != nil {
			return err
		}
		return classify(tx.Create(&UserPermission{UserID: *creator, PermissionID: perm.ID, Effect: Allow, GrantedBy: creator}).Error, "creator's grant")
	})
	return e, err
}

// ElementFilter selects elements for a list.
type ElementFilter struct {
	ComponentID uint64
	Kind        string // "project" lists project:*; empty lists all
	Parent      string // only the children of this element
}

// ListElements lists elements by name.
func (s *Store) ListElements(ctx context.Context, f ElementFilter, p Page) ([]Element, int64, error) {
	q := s.db.WithContext(ctx).Model(&Element{}).Where("component_id = ?", f.ComponentID)
	if f.Kind != "" {
		q = q.Where("name LIKE ? ESCAPE '!'", likePrefix(f.Kind+":"))
	}
	if f.Parent != "" {
		parent, err := s.ElementByName(ctx, f.ComponentID, f.Parent)
		if err != nil {
			return nil, 0, err
		}
		q = q.Where("parent_id = ?", parent.ID)
	}
	var (
		out   []Element
		total int64
	)
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "elements")
	}
	err := q.Order("name").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "elements")
}

// RenameElement renames an element, keeping its grants (a model rename keeps access).
func (s *Store) RenameElement(ctx context.Context, componentID uint64, from, to string) error {
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		e, err := elementByName(tx, componentID, from)
		if err != nil {
			return err
		}
		if err := tx.Model(&e).Update("name", to).Error; err != nil {
			return classify(err, fmt.Sprintf("element %q", to))
		}
		changes.add(ScopeElement, e.ID)
		return nil
	})
}

// permissionFor finds or creates the (component, element, operation) row.
// Two concurrent grants may both try to create it: the loser reads the winner's.
func permissionFor(tx *gorm.DB, componentID, elementID, operationID uint64) (Permission, error) {
	p := Permission{ComponentID: componentID, ElementID: elementID, OperationID: operationID}
	find := func(q *gorm.DB) error {
		return q.Where(&p).Take(&p).Error
	}
	err := find(tx)
	if errors.Is(err, gorm.ErrRecordNotFound) {
		err = tx.Create(&p).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			// The winner's row is newer than this transaction's snapshot
			// under MySQL's REPEATABLE READ: only a locking read sees it.
			// (SQLite has no such clause and needs none: one writer at a time.)
			q := tx
			if tx.Dialector.Name() == "mysql" {
				q = tx.Clauses(clause.Locking{Strength: "SHARE"})
			}
			err = find(q)
		}
	}
	return p, classify(err, "permission")
}

// likePrefix escapes a LIKE pattern's wildcards (with '!', which both
// MySQL and SQLite accept as ESCAPE) and matches the prefix.
func likePrefix(prefix string) string {
	r := strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`)
	return r.Replace(prefix) + "%"
}

// DeleteElement removes an element and every grant on it. An element with
// children is a conflict: its children would lose their parent's grants.
func (s *Store) DeleteElement(ctx context.Context, componentID uint64, name string) error {
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		e, err := elementByName(tx, componentID, name)
		if err != nil {
			return err
		}
		var children int64
		if err := tx.Model(&Element{}).Where("parent_id = ?", e.ID).Count(&children).Error; err != nil {
			return classify(err, "element children")
		}
		if children > 0 {
			return fmt.Errorf("element %q still holds %d elements: %w", name, children, apierror.ErrConflict)
		}
		// Grants go first: SQLite enforces the cascades only with foreign
		// keys on, and being explicit keeps both backends alike.
		perms := tx.Model(&Permission{}).Select("id").Where("element_id = ?", e.ID)
		for _, grants := range []any{&UserPermission{}, &GroupPermission{}} {
			if err := tx.Where("permission_id IN (?)", perms).Delete(grants).Error; err != nil {
				return classify(err, "grants")
			}
		}
		if err := tx.Where("element_id = ?", e.ID).Delete(&Permission{}).Error; err != nil {
			return classify(err, "permissions")
		}
		changes.add(ScopeElement, e.ID)
		return classify(tx.Delete(&e).Error, fmt.Sprintf("element %q", name))
	})
}
