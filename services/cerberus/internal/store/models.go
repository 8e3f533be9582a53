package store

import "time"

// User is a row of the seed's `user` table.
type User struct {
	ID           uint64 `gorm:"primaryKey"`
	Username     string
	DisplayName  string
	Email        string
	PasswordHash string
	IsActive     bool
	IsAdmin      bool
	// IdPSubject is the OpenID provider's sub of an account it signs in;
	// nil for a local account.
	IdPSubject *string `gorm:"column:idp_subject"`
	// SCIMProvisioned: the provider made the account over SCIM.
	SCIMProvisioned bool `gorm:"column:scim_provisioned"`
	// SCIMDeletedAt: SCIM deleted the account (it stays, disabled).
	SCIMDeletedAt *time.Time `gorm:"column:scim_deleted_at"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName keeps the seed's name.
func (User) TableName() string { return "user" }

// Group is a team whose grants reach its members.
type Group struct {
	ID          uint64 `gorm:"primaryKey"`
	Name        string
	Description string
	// IdPManaged groups are filled from the OpenID provider's groups claim
	// at each sign-in; admins do not edit their members.
	IdPManaged bool `gorm:"column:idp_managed"`
	CreatedAt  time.Time
}

// TableName avoids the reserved word GROUP.
func (Group) TableName() string { return "user_group" }

// Member is a user's membership of a group.
type Member struct {
	GroupID   uint64 `gorm:"primaryKey;autoIncrement:false"`
	UserID    uint64 `gorm:"primaryKey;autoIncrement:false"`
	CreatedAt time.Time
}

// TableName is the membership table.
func (Member) TableName() string { return "user_group_member" }

// Element is a protected thing, named kind:key, possibly under a parent.
type Element struct {
	ID          uint64 `gorm:"primaryKey"`
	ComponentID uint64
	Name        string
	ParentID    *uint64
	CreatedBy   *uint64
	CreatedAt   time.Time
}

// TableName keeps the seed's name.
func (Element) TableName() string { return "element" }

// Permission is one (component, element, operation) triple.
type Permission struct {
	ID          uint64 `gorm:"primaryKey"`
	ComponentID uint64
	ElementID   uint64
	OperationID uint64
}

// TableName keeps the seed's name.
func (Permission) TableName() string { return "permission" }

// Effects of a grant.
const (
	Allow = "allow"
	Deny  = "deny"
)

// UserPermission grants a permission to a user.
type UserPermission struct {
	ID           uint64 `gorm:"primaryKey"`
	UserID       uint64
	PermissionID uint64
	Effect       string
	GrantedBy    *uint64
	CreatedAt    time.Time
}

// TableName keeps the seed's name.
func (UserPermission) TableName() string { return "user_permission" }

// GroupPermission grants a permission to a group.
type GroupPermission struct {
	ID           uint64 `gorm:"primaryKey"`
	GroupID      uint64
	PermissionID uint64
	Effect       string
	GrantedBy    *uint64
	CreatedAt    time.Time
}

// TableName is the group grants table.
func (GroupPermission) TableName() string { return "group_permission" }

// Credential is a session or an API token, stored only as its hash.
type Credential struct {
	ID         uint64 `gorm:"primaryKey"`
	UserID     uint64
	Kind       string
	Name       string
	TokenHash  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName is the credentials table.
func (Credential) TableName() string { return "credential" }

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID        uint64 `gorm:"primaryKey"`
	At        time.Time
	ActorID   *uint64
	Actor     string
	Action    string
	Target    string
	Result    string
	Detail    string
	RequestID string
	ClientIP  string
}

// TableName is the audit table.
func (AuditEntry) TableName() string { return "audit_log" }
