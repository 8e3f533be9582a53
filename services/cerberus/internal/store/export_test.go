package store

import (
	"context"
	"fmt"
)

// GrowForTest adds, in bulk (a few statements, not a transaction per row),
// a project of elements named <prefix>:<i> under a new project and grants
// on them: perUser read grants to each of users new users, and, when group
// is not 0, perGroup read grants to that group. What a storage test needs
// to make the tables grow around a caller.
func (s *Store) GrowForTest(ctx context.Context, componentID uint64, prefix string, elements, users, perUser int, group uint64, perGroup int) error {
	db := s.db.WithContext(ctx)
	project := Element{ComponentID: componentID, Name: "project:" + prefix}
	if err := db.Create(&project).Error; err != nil {
		return err
	}
	read, err := s.OperationByName("read")
	if err != nil {
		return err
	}
	elems := make([]Element, elements)
	for i := range elems {
		elems[i] = Element{ComponentID: componentID, Name: fmt.Sprintf("experiment:%s-%d", prefix, i), ParentID: &project.ID}
	}
	if err := db.CreateInBatches(elems, 500).Error; err != nil {
		return err
	}
	perms := make([]Permission, elements)
	for i, e := range elems {
		perms[i] = Permission{ComponentID: componentID, ElementID: e.ID, OperationID: read.ID}
	}
	if err := db.CreateInBatches(perms, 500).Error; err != nil {
		return err
	}
	var grants []UserPermission
	for u := range users {
		user := User{Username: fmt.Sprintf("%s-user%d", prefix, u), IsActive: true}
		if err := db.Create(&user).Error; err != nil {
			return err
		}
		for k := range perUser {
			grants = append(grants, UserPermission{UserID: user.ID, PermissionID: perms[(u*perUser+k)%elements].ID, Effect: Allow})
		}
	}
	if err := db.CreateInBatches(grants, 500).Error; err != nil {
		return err
	}
	if group == 0 {
		return nil
	}
	gg := make([]GroupPermission, 0, perGroup)
	for k := range min(perGroup, elements) {
		gg = append(gg, GroupPermission{GroupID: group, PermissionID: perms[k].ID, Effect: Allow})
	}
	return db.CreateInBatches(gg, 500).Error
}
