package service

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// GroupView is a group as the API shows it.
type GroupView struct {
	ID          uint64 `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// IdPManaged: the identity provider sets its members at each sign-in
	// (shown only when true).
	IdPManaged bool   `json:"idp_managed,omitempty"`
	CreatedAt  string `json:"created_at"`
}

func viewGroup(g store.Group) GroupView {
	return GroupView{ID: g.ID, Name: g.Name, Description: g.Description, IdPManaged: g.IdPManaged, CreatedAt: g.CreatedAt.UTC().Format(timeFormat)}
}

// CreateGroup makes a team (admins only).
func (s *Service) CreateGroup(ctx context.Context, m Meta, p Principal, name, description string) (GroupView, error) {
	return s.CreateGroupManaged(ctx, m, p, name, description, false)
}

// CreateGroupManaged makes a team; idpManaged makes it one the identity
// provider's groups claim fills, so an admin can grant to it before anyone
// of it has signed in (a local group of that name would never be filled).
func (s *Service) CreateGroupManaged(ctx context.Context, m Meta, p Principal, name, description string, idpManaged bool) (GroupView, error) {
	if err := requireAdmin(p); err != nil {
		return GroupView{}, err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return GroupView{}, apierror.Required("name")
	case !groupRe.MatchString(name):
		return GroupView{}, invalid("group name must be 1-64 letters, digits, spaces, '.', '_' or '-'")
	case len(description) > 255:
		return GroupView{}, invalid("description must be at most 255 characters")
	}
	g := store.Group{Name: name, Description: description, IdPManaged: idpManaged}
	err := s.store.CreateGroup(ctx, &g)
	s.audit(ctx, m, &p, "group.create", "group:"+name, resultOf(err), errText(err))
	return viewGroup(g), err
}

// ListGroups pages through groups; any signed-in user may see them, to grant.
func (s *Service) ListGroups(ctx context.Context, page store.Page) ([]GroupView, int64, error) {
	groups, total, err := s.store.ListGroups(ctx, page)
	out := make([]GroupView, 0, len(groups))
	for _, g := range groups {
		out = append(out, viewGroup(g))
	}
	return out, total, err
}

// Members lists a group's users, to admins and to the group's own members.
// Admins see full accounts; members see names only, as the directory shows
// them: sharing a team is no reason to learn each other's email or flags.
// The answer is a []UserView or a []Person.
func (s *Service) Members(ctx context.Context, p Principal, group string) (any, error) {
	g, err := s.store.GroupByName(ctx, group)
	if err != nil {
		return nil, err
	}
	users, err := s.store.Members(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	if p.IsAdmin {
		out := make([]UserView, 0, len(users))
		for _, u := range users {
			out = append(out, viewUser(u))
		}
		return out, nil
	}
	if !slices.ContainsFunc(users, func(u store.User) bool { return u.ID == p.ID }) {
		return nil, fmt.Errorf("only admins and members may see who is in group %q: %w", group, apierror.ErrForbidden)
	}
	out := make([]Person, 0, len(users))
	for _, u := range users {
		out = append(out, Person{Username: u.Username, DisplayName: u.DisplayName})
	}
	return out, nil
}

// SetMember adds (in) or removes a user from a group (admins only).
func (s *Service) SetMember(ctx context.Context, m Meta, p Principal, group, username string, in bool) error {
	if err := requireAdmin(p); err != nil {
		return err
	}
	g, err := s.store.GroupByName(ctx, group)
	if err != nil {
		return err
	}
	if g.IdPManaged {
		// The next sign-in would undo the change: the provider owns it.
		return fmt.Errorf("group %q is managed by the identity provider: change its members there: %w", group, apierror.ErrConflict)
	}
	u, err := s.store.UserByName(ctx, username)
	if err != nil {
		return err
	}
	action := "group.member.add"
	if in {
		err = s.store.AddMember(ctx, g.ID, u.ID)
	} else {
		action = "group.member.remove"
		err = s.store.RemoveMember(ctx, g.ID, u.ID)
	}
	s.audit(ctx, m, &p, action, "group:"+group, resultOf(err), "user:"+username)
	return err
}
