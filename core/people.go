package core

import (
	"errors"
	"slices"
	"strings"
)

// ErrAccountDisabled means the person's password was right but an
// administrator disabled the account. It is told only after the right
// password, so it reveals nothing to someone guessing.
var ErrAccountDisabled = errors.New("account disabled")

// Audit event types of people administration (contract §7).
const (
	AuditUserCreated     = "user.created"
	AuditUserUpdated     = "user.updated"
	AuditUserDisabled    = "user.disabled"
	AuditUserEnabled     = "user.enabled"
	AuditUserDeleted     = "user.deleted"
	AuditPasswordChanged = "password.changed"
	AuditSessionRevoked  = "session.revoked"
)

// User statuses of the people administration list (?status=).
const (
	UserStatusActive   = "active"
	UserStatusDisabled = "disabled"
)

// MaxUserQueryLength is the longest search text (?q=) accepted, in bytes.
const MaxUserQueryLength = 256

// UserFilter selects people for the administration list: Query matches
// the e-mail address or the name ("first last") anywhere, ignoring letter
// case; Status is "", UserStatusActive or UserStatusDisabled; Role, when
// set, must be among the person's roles.
type UserFilter struct {
	Query  string
	Status string
	Role   string
}

// Match reports whether u is selected by f; stores without an index use
// it, and it is the definition an index must agree with.
func (f UserFilter) Match(u User) bool {
	switch {
	case f.Status == UserStatusActive && u.Disabled, f.Status == UserStatusDisabled && !u.Disabled:
		return false
	case f.Role != "" && !u.HasRole(f.Role):
		return false
	case f.Query == "":
		return true
	}
	return strings.Contains(UserSearchText(u), strings.ToLower(f.Query))
}

// UserSearchText is what a search matches against: the lower-cased
// e-mail address, first name and last name, separated by spaces.
func UserSearchText(u User) string {
	return strings.ToLower(u.Email + " " + u.FirstName + " " + u.LastName)
}

// UserAction is a change the people administration API makes to a person.
type UserAction int

// The changes to a person.
const (
	UserCreate UserAction = iota
	UserUpdate
	UserDelete
)

// AuthorizeUserChange decides whether caller may make the change action
// to a person: before is the stored account (zero on create), after what it
// would become (zero on delete); protected are the roles whose holders
// must have a second factor (MFA_REQUIRED_ROLES). The rules of contract
// §3, People administration (the scope the endpoint itself requires,
// users:write, is checked before, by the transport):
//
//   - nobody disables, enables, deletes or changes the roles of themselves;
//   - giving or taking away admin, or any protected role, needs users:write
//     and clients:admin: admin holders get every management scope at sign-in,
//     so this is the same as giving a client a management scope.
//
// The error is a *ForbiddenError.
func AuthorizeUserChange(caller Caller, action UserAction, before, after User, protected []string) error {
	if caller.System {
		return nil
	}
	self := caller.UserID != "" && action != UserCreate && caller.UserID == before.ID
	if self {
		switch {
		case action == UserDelete:
			return forbidden("nobody can delete themselves through the administration API; use DELETE /api/auth/me")
		case before.Disabled != after.Disabled:
			return forbidden("nobody can disable or enable themselves")
		case !sameSet(before.Roles, after.Roles):
			return forbidden("nobody can change their own roles")
		}
	}
	if action == UserDelete {
		after.Roles = nil
	}
	for _, r := range changedRoles(before.Roles, after.Roles) {
		if r != RoleAdmin && !slices.Contains(protected, r) {
			continue
		}
		if !caller.has(ScopeUsersWrite) || !caller.has(ScopeClientsAdmin) {
			return forbidden("giving or taking away the role " + r + " needs " + ScopeUsersWrite + " and " + ScopeClientsAdmin)
		}
	}
	return nil
}

// changedRoles are the roles in exactly one of a and b.
func changedRoles(a, b []string) []string {
	var out []string
	for _, r := range a {
		if !slices.Contains(b, r) {
			out = append(out, r)
		}
	}
	for _, r := range b {
		if !slices.Contains(a, r) {
			out = append(out, r)
		}
	}
	return out
}
