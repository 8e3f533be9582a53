package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/ml-studio/ml-studio/pkg/apierror"
)

// CreateGroup inserts g and sets its ID.
func (s *Store) CreateGroup(ctx context.Context, g *Group) error {
	return classify(s.db.WithContext(ctx).Create(g).Error, fmt.Sprintf("group %q", g.Name))
}

// GroupByName finds a group.
func (s *Store) GroupByName(ctx context.Context, name string) (Group, error) {
	var g Group
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&g).Error
	return g, classify(err, fmt.Sprintf("group %q", name))
}

// ListGroups lists groups by name.
func (s *Store) ListGroups(ctx context.Context, p Page) ([]Group, int64, error) {
	var (
		out   []Group
		total int64
	)
	q := s.db.WithContext(ctx).Model(&Group{})
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, classify(err, "groups")
	}
	err := q.Order("name").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, total, classify(err, "groups")
}

// AddMember puts a user in a group; twice is a conflict.
func (s *Store) AddMember(ctx context.Context, groupID, userID uint64) error {
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		changes.add(ScopeUser, userID)
		return classify(tx.Create(&Member{GroupID: groupID, UserID: userID}).Error, "membership")
	})
}

// RemoveMember takes a user out of a group.
func (s *Store) RemoveMember(ctx context.Context, groupID, userID uint64) error {
	return s.write(ctx, func(tx *gorm.DB, changes *changeSet) error {
		res := tx.Where("group_id = ? AND user_id = ?", groupID, userID).Delete(&Member{})
		if res.Error == nil && res.RowsAffected == 0 {
			return fmt.Errorf("membership: %w", apierror.ErrNotFound)
		}
		changes.add(ScopeUser, userID)
		return classify(res.Error, "membership")
	})
}

// Members lists a group's users by username.
func (s *Store) Members(ctx context.Context, groupID uint64) ([]User, error) {
	var out []User
	err := s.db.WithContext(ctx).Joins("JOIN user_group_member m ON m.user_id = `user`.id").
		Where("m.group_id = ?", groupID).Order("username").Find(&out).Error
	return out, classify(err, "members")
}
