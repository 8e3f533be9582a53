package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ml-studio/ml-studio/pkg/apierror"
	"github.com/ml-studio/ml-studio/services/cerberus/internal/store"
)

// SCIM is provisioning by the identity provider over SCIM 2.0 (RFC 7644).
// It sees and changes only the provider's accounts and groups (see
// store.SCIMUsers); deactivating or deleting an account revokes its every
// session and token in the same transaction.
type SCIM struct {
	svc *Service
	// tokenHash is the SHA-256 of the provider's bearer secret: the secret
	// itself is not kept, and comparing hashes in constant time says
	// nothing of how much of a guess was right.
	tokenHash [sha256.Size]byte
}

// NewSCIM turns on SCIM provisioning behind the bearer secret token.
func NewSCIM(svc *Service, token string) *SCIM {
	return &SCIM{svc: svc, tokenHash: sha256.Sum256([]byte(token))}
}

// Authenticate says whether bearer is the provider's SCIM secret.
func (c *SCIM) Authenticate(bearer string) bool {
	sum := sha256.Sum256([]byte(bearer))
	return bearer != "" && subtle.ConstantTimeCompare(sum[:], c.tokenHash[:]) == 1
}

// SCIMUser is an account as SCIM shows it.
type SCIMUser struct {
	ID          string
	UserName    string
	DisplayName string
	Email       string
	Active      bool
	Created     time.Time
	Modified    time.Time
}

func scimUser(u store.User) SCIMUser {
	return SCIMUser{ID: strconv.FormatUint(u.ID, 10), UserName: u.Username, DisplayName: u.DisplayName, Email: u.Email,
		Active: u.IsActive, Created: u.CreatedAt.UTC(), Modified: u.UpdatedAt.UTC()}
}

// SCIMUserInput is a user as the provider sends it (POST, PUT).
type SCIMUserInput struct {
	UserName    string
	DisplayName string
	Email       string
	Active      *bool // nil: active on create, unchanged on replace
}

// SCIMUserPatch changes a user; nil fields stay.
type SCIMUserPatch struct {
	UserName    *string
	DisplayName *string
	Email       *string
	Active      *bool
}

// SCIMPage is what a list asks: RFC 7644's 1-based startIndex and count.
type SCIMPage struct {
	StartIndex int
	Count      int
}

// maxSCIMOffset bounds startIndex: beyond it every page is empty anyway.
const maxSCIMOffset = 1 << 30

func (p SCIMPage) store() (store.Page, bool) {
	off := max(p.StartIndex, 1) - 1
	if p.Count <= 0 || off >= maxSCIMOffset {
		return store.Page{}, false
	}
	return store.Page{Limit: p.Count, Offset: off}, true
}

func scimID(id string) (uint64, error) {
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("resource %q: %w", truncate(id), apierror.ErrNotFound)
	}
	return n, nil
}

func (c *SCIM) audit(ctx context.Context, m Meta, action, target string, err error) {
	c.svc.audit(ctx, m, nil, action, target, resultOf(err), "scim "+errText(err))
}

func scimInvalid(format string, args ...any) error { return invalid(format, args...) }

func checkUserFields(name, email *string) error {
	if name != nil && len(*name) > 128 {
		return scimInvalid("displayName must be at most 128 characters")
	}
	if email != nil {
		return validEmail(*email)
	}
	return nil
}

// Users lists the provider's accounts; userName "" lists all.
func (c *SCIM) Users(ctx context.Context, userName string, p SCIMPage) ([]SCIMUser, int64, error) {
	page, rows := p.store()
	if !rows {
		page = store.Page{Limit: 0}
	}
	users, total, err := c.svc.store.SCIMUsers(ctx, normalUsername(userName), page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]SCIMUser, 0, len(users))
	for _, u := range users {
		if rows {
			out = append(out, scimUser(u))
		}
	}
	return out, total, nil
}

// User finds one of the provider's accounts.
func (c *SCIM) User(ctx context.Context, id string) (SCIMUser, error) {
	n, err := scimID(id)
	if err != nil {
		return SCIMUser{}, err
	}
	u, err := c.svc.store.SCIMUser(ctx, n)
	return scimUser(u), err
}

// CreateUser provisions an account (no password: it signs in through the
// provider).
func (c *SCIM) CreateUser(ctx context.Context, m Meta, in SCIMUserInput) (SCIMUser, error) {
	name := normalUsername(in.UserName)
	u, err := c.createUser(ctx, name, in)
	c.audit(ctx, m, "scim.user.create", "user:"+clip(name, 64), err)
	return scimUser(u), err
}

func (c *SCIM) createUser(ctx context.Context, name string, in SCIMUserInput) (store.User, error) {
	switch {
	case name == "":
		return store.User{}, apierror.Required("userName")
	case !usernameRe.MatchString(name):
		return store.User{}, scimInvalid("userName must be 1-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if err := checkUserFields(&in.DisplayName, &in.Email); err != nil {
		return store.User{}, err
	}
	active := in.Active == nil || *in.Active
	return c.svc.store.ProvisionUser(ctx, store.ProvisionedUser{Username: name, DisplayName: in.DisplayName, Email: in.Email, Active: active})
}

// ReplaceUser is PUT: every field as sent (an absent one is emptied).
func (c *SCIM) ReplaceUser(ctx context.Context, m Meta, id string, in SCIMUserInput) (SCIMUser, error) {
	name := in.UserName
	return c.PatchUser(ctx, m, id, SCIMUserPatch{UserName: &name, DisplayName: &in.DisplayName, Email: &in.Email, Active: in.Active})
}

// ErrLastAdmin is a change refused because it would leave no active admin.
var ErrLastAdmin = store.ErrLastAdmin

// ErrUserNameImmutable: a username names the account in grants' audit
// trail and in ml_studio; the provider may not rename it.
var ErrUserNameImmutable = fmt.Errorf("userName cannot be changed here: %w", apierror.ErrInvalid)

// PatchUser changes one of the provider's accounts. active false disables
// it and revokes its every session and token.
func (c *SCIM) PatchUser(ctx context.Context, m Meta, id string, p SCIMUserPatch) (SCIMUser, error) {
	u, err := c.patchUser(ctx, id, p)
	c.audit(ctx, m, "scim.user.update", "user:"+u.Username, err)
	return scimUser(u), err
}

func (c *SCIM) patchUser(ctx context.Context, id string, p SCIMUserPatch) (store.User, error) {
	n, err := scimID(id)
	if err != nil {
		return store.User{}, err
	}
	u, err := c.svc.store.SCIMUser(ctx, n)
	if err != nil {
		return u, err
	}
	if p.UserName != nil && normalUsername(*p.UserName) != u.Username {
		return u, ErrUserNameImmutable
	}
	if err := checkUserFields(p.DisplayName, p.Email); err != nil {
		return u, err
	}
	ch := store.UserChanges{DisplayName: p.DisplayName, Email: p.Email, IsActive: p.Active}
	out, err := c.svc.store.UpdateSCIMUser(ctx, n, ch)
	if errors.Is(err, store.ErrLastAdmin) {
		return u, apierror.Wrap(409, err, "%s is the last active admin: make another user an admin first", u.Username)
	}
	return out, err
}

// DeleteUser deletes one of the provider's accounts as far as SCIM goes:
// it is disabled with every credential revoked, and SCIM sees it no more.
func (c *SCIM) DeleteUser(ctx context.Context, m Meta, id string) error {
	n, err := scimID(id)
	if err == nil {
		err = c.svc.store.DeleteSCIMUser(ctx, n)
	}
	if errors.Is(err, store.ErrLastAdmin) {
		err = apierror.Wrap(409, err, "user %s is the last active admin: make another user an admin first", id)
	}
	c.audit(ctx, m, "scim.user.delete", "user-id:"+clip(id, 32), err)
	return err
}

// SCIMGroup is a provider group as SCIM shows it.
type SCIMGroup struct {
	ID          string
	DisplayName string
	Members     []SCIMMember
	Created     time.Time
}

// SCIMMember is a member of a group: its id and username.
type SCIMMember struct {
	ID       string
	UserName string
}

// SCIMGroupChange changes a group; nil fields stay. Members (PUT, replace)
// becomes the whole membership; Add and Remove apply after it.
type SCIMGroupChange struct {
	DisplayName *string
	Members     *[]string
	Add         []string
	Remove      []string
}

func scimGroup(g store.Group, members []store.User) SCIMGroup {
	out := SCIMGroup{ID: strconv.FormatUint(g.ID, 10), DisplayName: g.Name, Created: g.CreatedAt.UTC(), Members: []SCIMMember{}}
	for _, u := range members {
		out.Members = append(out.Members, SCIMMember{ID: strconv.FormatUint(u.ID, 10), UserName: u.Username})
	}
	return out
}

func checkGroupName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", apierror.Required("displayName")
	case !groupRe.MatchString(name):
		return "", scimInvalid("displayName must be 1-64 letters, digits, spaces, '.', '_' or '-'")
	}
	return name, nil
}

func memberIDs(ids []string) ([]uint64, error) {
	out := make([]uint64, 0, len(ids))
	for _, id := range ids {
		n, err := strconv.ParseUint(id, 10, 64)
		if err != nil || n == 0 {
			return nil, scimInvalid("member %q is not a user id", truncate(id))
		}
		out = append(out, n)
	}
	return out, nil
}

// Groups lists the provider's groups; displayName "" lists all.
func (c *SCIM) Groups(ctx context.Context, displayName string, p SCIMPage) ([]SCIMGroup, int64, error) {
	page, rows := p.store()
	groups, total, err := c.svc.store.SCIMGroups(ctx, strings.TrimSpace(displayName), page)
	if err != nil || !rows {
		return []SCIMGroup{}, total, err
	}
	out := make([]SCIMGroup, 0, len(groups))
	for _, g := range groups {
		_, members, err := c.svc.store.SCIMGroup(ctx, g.ID)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, scimGroup(g, members))
	}
	return out, total, nil
}

// Group finds one of the provider's groups.
func (c *SCIM) Group(ctx context.Context, id string) (SCIMGroup, error) {
	n, err := scimID(id)
	if err != nil {
		return SCIMGroup{}, err
	}
	g, members, err := c.svc.store.SCIMGroup(ctx, n)
	return scimGroup(g, members), err
}

// CreateGroup makes a provider-managed group: a local group of the name
// is a conflict, never taken over.
func (c *SCIM) CreateGroup(ctx context.Context, m Meta, displayName string, members []string) (SCIMGroup, error) {
	out, err := c.createGroup(ctx, displayName, members)
	c.audit(ctx, m, "scim.group.create", "group:"+clip(displayName, 64), err)
	return out, err
}

func (c *SCIM) createGroup(ctx context.Context, displayName string, members []string) (SCIMGroup, error) {
	name, err := checkGroupName(displayName)
	if err != nil {
		return SCIMGroup{}, err
	}
	ids, err := memberIDs(members)
	if err != nil {
		return SCIMGroup{}, err
	}
	g, err := c.svc.store.CreateSCIMGroup(ctx, name, ids)
	if err != nil {
		return SCIMGroup{}, err
	}
	g2, users, err := c.svc.store.SCIMGroup(ctx, g.ID)
	return scimGroup(g2, users), err
}

// ChangeGroup renames a provider group or changes its members (PUT, PATCH).
func (c *SCIM) ChangeGroup(ctx context.Context, m Meta, id string, ch SCIMGroupChange) (SCIMGroup, error) {
	out, err := c.changeGroup(ctx, id, ch)
	c.audit(ctx, m, "scim.group.update", "group-id:"+clip(id, 32), err)
	return out, err
}

func (c *SCIM) changeGroup(ctx context.Context, id string, ch SCIMGroupChange) (SCIMGroup, error) {
	n, err := scimID(id)
	if err != nil {
		return SCIMGroup{}, err
	}
	var sc store.GroupChange
	if ch.DisplayName != nil {
		name, err := checkGroupName(*ch.DisplayName)
		if err != nil {
			return SCIMGroup{}, err
		}
		sc.Name = &name
	}
	if ch.Members != nil {
		ids, err := memberIDs(*ch.Members)
		if err != nil {
			return SCIMGroup{}, err
		}
		sc.Members = &ids
	}
	if sc.Add, err = memberIDs(ch.Add); err != nil {
		return SCIMGroup{}, err
	}
	// A member to remove that is not a user id cannot be a member: nothing to do.
	for _, id := range ch.Remove {
		if r, err := strconv.ParseUint(id, 10, 64); err == nil {
			sc.Remove = append(sc.Remove, r)
		}
	}
	if _, err := c.svc.store.ChangeSCIMGroup(ctx, n, sc); err != nil {
		return SCIMGroup{}, err
	}
	g, users, err := c.svc.store.SCIMGroup(ctx, n)
	return scimGroup(g, users), err
}

// DeleteGroup deletes a provider group with its memberships and grants.
func (c *SCIM) DeleteGroup(ctx context.Context, m Meta, id string) error {
	n, err := scimID(id)
	if err == nil {
		err = c.svc.store.DeleteSCIMGroup(ctx, n)
	}
	c.audit(ctx, m, "scim.group.delete", "group-id:"+clip(id, 32), err)
	return err
}
