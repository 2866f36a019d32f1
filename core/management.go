package core

import (
	"slices"
	"strings"
)

// ScopeClientsAdmin lets its holder give clients management scopes and
// first-party status (contract §3, Management).
const ScopeClientsAdmin = "clients:admin"

// IsManagementScope reports whether name belongs to the management API:
// the namespaces scopes:*, clients:*, users:* and audit:*.
func IsManagementScope(name string) bool {
	return strings.HasPrefix(name, "scopes:") || strings.HasPrefix(name, "clients:") ||
		strings.HasPrefix(name, "users:") || strings.HasPrefix(name, "audit:")
}

// ForbiddenError is ErrForbidden with the rule that was broken; the
// description is safe to show to the caller.
type ForbiddenError struct {
	Description string
}

// Error implements error.
func (e *ForbiddenError) Error() string { return "forbidden: " + e.Description }

// Is makes errors.Is(err, ErrForbidden) hold.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }

func forbidden(desc string) error { return &ForbiddenError{Description: desc} }

// Caller is who asks the management API for a change: the scopes their
// access token holds. System is the server itself at start-up (the
// built-in clients), which no request can be.
type Caller struct {
	Scopes []string
	System bool
	// UserID is the person the access token was issued to; "" for a
	// client's own token (client_credentials).
	UserID string
}

// SystemCaller is the server's own start-up.
var SystemCaller = Caller{System: true}

func (c Caller) has(s string) bool { return c.System || slices.Contains(c.Scopes, s) }

// CanGrantScope reports whether the caller may give a client scope: any
// scope that is not a management scope, and a management scope only with
// clients:admin and that same scope, so nobody obtains a scope they could
// not already get.
func (c Caller) CanGrantScope(scope string) bool {
	if !IsManagementScope(scope) {
		return true
	}
	return c.has(ScopeClientsAdmin) && c.has(scope)
}

// ClientAction is a change the management API makes to a client.
type ClientAction int

// The changes to a client.
const (
	ClientCreate ClientAction = iota
	ClientUpdate
	ClientDelete
	ClientRegenerateSecret
)

// AuthorizeClientChange decides whether caller may make the change action
// to a client: before is the stored client (zero on create), after what it
// would become (zero on delete and regenerate); builtin tells whether the
// client is one the server itself keeps (identity-web, the bootstrap admin
// client). The rules of contract §3, Management:
//
//   - built-in clients cannot be updated, deleted or given a new secret;
//   - a management scope (scopes:*, clients:*) can be given to a client only
//     by a caller holding clients:admin and that same scope;
//   - acting on a client that holds management scopes needs the same: its
//     secret or its redirect URIs would hand the caller those scopes;
//   - first_party: true, and any change to a first-party client's
//     redirect_uris, need clients:admin.
//
// The scope the endpoint itself requires (clients:write) is checked before,
// by the transport. The error is a *ForbiddenError.
func AuthorizeClientChange(caller Caller, action ClientAction, before, after Client, builtin bool) error {
	if caller.System {
		return nil
	}
	if builtin && action != ClientCreate {
		return forbidden("the built-in client " + before.ID + " cannot be changed, deleted or given a new secret through the API")
	}
	if action != ClientCreate {
		for _, s := range before.Scopes {
			if !caller.CanGrantScope(s) {
				return forbidden("the client holds the management scope " + s + "; changing it needs " + ScopeClientsAdmin + " and " + s)
			}
		}
	}
	if action != ClientCreate && action != ClientUpdate {
		return nil
	}
	for _, s := range after.Scopes {
		if !caller.CanGrantScope(s) {
			return forbidden("giving a client the management scope " + s + " needs " + ScopeClientsAdmin + " and " + s)
		}
	}
	if after.FirstParty && !caller.has(ScopeClientsAdmin) {
		return forbidden("first_party: true needs " + ScopeClientsAdmin)
	}
	if before.FirstParty && !sameSet(before.RedirectURIs, after.RedirectURIs) && !caller.has(ScopeClientsAdmin) {
		return forbidden("changing the redirect_uris of a first-party client needs " + ScopeClientsAdmin)
	}
	return nil
}

// ScopeAction is a change the management API makes to a scope.
type ScopeAction int

// The changes to a scope.
const (
	ScopeCreate ScopeAction = iota
	ScopeUpdate
	ScopeDelete
)

// AuthorizeScopeChange decides whether a scope may be created, renamed or
// deleted through the API: the management namespaces scopes:* and clients:*
// belong to the server, so nobody can remove, rename or mint one. before is
// the stored scope (zero on create), after what it would become (zero on
// delete). The error is a *ForbiddenError.
func AuthorizeScopeChange(caller Caller, action ScopeAction, before, after Scope) error {
	if caller.System {
		return nil
	}
	if action != ScopeCreate && IsManagementScope(before.Name) {
		return forbidden("the management scope " + before.Name + " cannot be changed or deleted")
	}
	if action != ScopeDelete && IsManagementScope(after.Name) {
		return forbidden("scope names beginning scopes:, clients:, users: or audit: are reserved for the management API")
	}
	return nil
}

func sameSet(a, b []string) bool {
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	for _, v := range b {
		if !slices.Contains(a, v) {
			return false
		}
	}
	return true
}

// AuthorizeClientID decides whether caller may choose the client_id of a
// new client: only with clients:admin, since an id names the client in
// every other environment's configuration too.
func AuthorizeClientID(caller Caller) error {
	if !caller.has(ScopeClientsAdmin) {
		return forbidden("choosing client_id needs " + ScopeClientsAdmin)
	}
	return nil
}
