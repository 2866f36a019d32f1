package core

import (
	"strings"
	"time"
)

// Scope is a named permission that clients may be granted.
type Scope struct {
	ID          string
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Management scopes: the admin role and the bootstrap client get them,
// with ScopeClientsAdmin.
const (
	ScopeScopesRead   = "scopes:read"
	ScopeScopesWrite  = "scopes:write"
	ScopeClientsRead  = "clients:read"
	ScopeClientsWrite = "clients:write"
	// ScopeUsersRead and ScopeUsersWrite guard people administration
	// (/api/users); ScopeAuditRead the audit log (/api/audit-events).
	ScopeUsersRead  = "users:read"
	ScopeUsersWrite = "users:write"
	ScopeAuditRead  = "audit:read"
)

// ScopeRoles asks for the roles claim (the person's roles) in the
// id_token, userinfo and access token. It exists from the start, like the
// OpenID Connect scopes.
const ScopeRoles = "roles"

// ScopeAccount lets a third-party application use the person's own
// account API (/api/auth/me and below: read and change the profile, the
// password, sessions): a person consents to it by name. Tokens of
// identity-web and first-party clients need no scope for it
// (MayUseAccountAPI). It exists from the start.
const ScopeAccount = "account"

// MayUseAccountAPI reports whether a token of client c holding scopes,
// issued to a person, may use that person's account API: the client is
// first-party (identity-web is), or the person gave it ScopeAccount.
func MayUseAccountAPI(c Client, scopes []string) bool {
	return c.FirstParty || contains(scopes, ScopeAccount)
}

// The OpenID Connect scopes (Core §3.1.2.1, §5.4): openid asks for an ID
// token; profile and email for the standard claims of §5.1.
const (
	ScopeOpenID  = "openid"
	ScopeProfile = "profile"
	ScopeEmail   = "email"
)

// ScopeOfflineAccess asks for a refresh token that keeps working while the
// person is not signed in (OpenID Connect Core §11). It is no scope of
// the catalogue: OpenIDRequestScope grants it to a client registered for
// the refresh_token grant, and consent names it.
const ScopeOfflineAccess = "offline_access"

// OfflineAccessDescription is how consent names ScopeOfflineAccess.
const OfflineAccessDescription = "Keep access to your account while you are not using it (offline access)"

// IsOpenIDRequest reports whether an authorization request's scope makes
// it an OpenID Connect request (Core §3.1.2.1): it holds openid, and the
// client may ask for openid. Any other request follows RFC 6749's rules.
func IsOpenIDRequest(requested, allowed []string) bool {
	return contains(requested, ScopeOpenID) && contains(allowed, ScopeOpenID)
}

// OpenIDRequestScope is the scope an OpenID Connect authorization request
// (IsOpenIDRequest) is granted: each requested value the client may ask
// for, in the order asked; offline_access only when refreshAllowed (the
// client is registered for the refresh_token grant, §11: a refresh token
// only when it is granted); every other value is ignored, as Core
// §3.1.2.1 says of scope values not understood ("SHOULD be ignored"), and
// as RFC 6749 §3.3 lets a server grant less than asked. It never fails
// and never grants more than allowed.
func OpenIDRequestScope(requested, allowed []string, refreshAllowed bool) []string {
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if contains(allowed, s) || s == ScopeOfflineAccess && refreshAllowed {
			out = append(out, s)
		}
	}
	return out
}

// OpenIDScopes lists the three OpenID Connect scopes, which exist from the
// start.
func OpenIDScopes() []string { return []string{ScopeOpenID, ScopeProfile, ScopeEmail} }

// ManagementScopes lists the scopes of the management API.
func ManagementScopes() []string {
	return []string{ScopeScopesRead, ScopeScopesWrite, ScopeClientsRead, ScopeClientsWrite, ScopeClientsAdmin,
		ScopeUsersRead, ScopeUsersWrite, ScopeAuditRead}
}

// ValidScopeToken reports whether s is a scope-token of RFC 6749 §3.3:
// one or more of %x21 / %x23-5B / %x5D-7E.
func ValidScopeToken(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E {
			return false
		}
	}
	return true
}

// Bounds of a scope parameter: at most MaxScopeNames distinct names in at
// most MaxScopeBytes bytes. Real requests name a handful; the bounds keep
// one request's cost small whatever it sends.
const (
	MaxScopeNames = 100
	MaxScopeBytes = 4096
)

// ParseScope splits a space-delimited scope parameter (RFC 6749 §3.3) into
// its tokens, dropping duplicates and keeping the first order. It runs in
// time linear in len(s). A parameter over MaxScopeBytes or naming more than
// MaxScopeNames distinct scopes, or holding a character §3.3 does not
// allow, is invalid_scope.
func ParseScope(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxScopeBytes {
		return nil, NewOAuthError(CodeInvalidScope, "scope is longer than 4096 bytes")
	}
	var (
		out  []string
		seen map[string]struct{}
	)
	for rest := s; rest != ""; {
		p := rest
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			p, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if p == "" {
			continue
		}
		if !ValidScopeToken(p) {
			return nil, NewOAuthError(CodeInvalidScope, "scope contains a character RFC 6749 §3.3 does not allow")
		}
		if seen == nil {
			seen = make(map[string]struct{}, 8)
		}
		if _, dup := seen[p]; dup {
			continue
		}
		if len(out) == MaxScopeNames {
			return nil, NewOAuthError(CodeInvalidScope, "scope names more than 100 scopes")
		}
		seen[p] = struct{}{}
		out = append(out, p)
	}
	return out, nil
}

// JoinScope is the inverse of ParseScope.
func JoinScope(scopes []string) string { return strings.Join(scopes, " ") }

// NarrowScope returns the scopes to grant when requested is asked for and
// allowed may be granted. An empty request grants every allowed scope; a
// request for anything outside allowed is invalid_scope (RFC 6749 §5.2).
func NarrowScope(requested, allowed []string) ([]string, error) {
	if len(requested) == 0 {
		return append([]string(nil), allowed...), nil
	}
	for _, s := range requested {
		if !contains(allowed, s) {
			return nil, NewOAuthError(CodeInvalidScope, "the requested scope is invalid, unknown, or exceeds what was granted: "+s)
		}
	}
	return append([]string(nil), requested...), nil
}

// HasScopes reports whether granted holds every scope in required.
func HasScopes(granted []string, required ...string) bool {
	for _, r := range required {
		if !contains(granted, r) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ValidateScope checks a scope's name and description.
func ValidateScope(s Scope) error {
	var v ValidationError
	if !ValidScopeToken(s.Name) {
		v.Add("name", "must be 1 to 128 printable ASCII characters without space, '\"' or '\\' (RFC 6749 §3.3)")
	}
	if len(s.Description) > 1024 {
		v.Add("description", "must be at most 1024 characters")
	}
	return v.Err()
}
