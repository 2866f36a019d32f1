package core

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// RoleAdmin is the role whose holders get the management scopes at login.
const RoleAdmin = "admin"

// User is a person with an account.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	FirstName    string
	LastName     string
	Roles        []string
	// EmailVerified is true once the person followed the verification
	// link mailed to Email (OpenID Connect Core §5.1 email_verified).
	EmailVerified bool
	// SessionsEndedAt is when the person last signed out: browser sessions
	// opened before it are over.
	SessionsEndedAt time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// FailedLogins counts consecutive failed logins; LockedUntil is when
	// the current back-off ends.
	FailedLogins int
	LockedUntil  time.Time
	// Disabled is set by an administrator: a disabled person cannot sign
	// in, refresh or use a token until enabled again. It is a state, not
	// a lock: no time ends it.
	Disabled bool
	// LastLoginAt is when the person last signed in; zero for never.
	LastLoginAt time.Time

	// NotBefore is the cutoff of everything derived from the person: a
	// reset link, an authorization code, an approved device code, a
	// refresh-token family or a browser session made before it is void
	// (CredentialAlive). A password change or reset moves it to that
	// moment.
	NotBefore time.Time
}

// CredentialAlive is the one rule for everything derived from a person: a
// credential derived at derivedAt from u (a reset link by its creation, a
// code or a device approval by the sign-in it rests on, a refresh-token
// family and the tokens made from it by that sign-in) is alive iff the
// person is not disabled and it was derived at or after u.NotBefore.
// Whatever the person approved before a password change, a reset or while
// disabled turns into no token after it. Every store and every grant asks
// this function; a further state that ends a person's credentials belongs
// here too.
func CredentialAlive(u User, derivedAt time.Time) bool { return u.Standing().Allows(derivedAt) }

// Standing is the part of a person that decides what credentials derived
// from them may still do. Stores read it together with a refresh token, in
// the same round trip, so every refresh applies the person's standing now
// without another read.
type Standing struct {
	Disabled  bool
	NotBefore time.Time
	Roles     []string
}

// Standing returns u's standing.
func (u User) Standing() Standing {
	return Standing{Disabled: u.Disabled, NotBefore: u.NotBefore, Roles: u.Roles}
}

// Allows is CredentialAlive's rule: a credential derived at derivedAt is
// alive iff the person is not disabled and derivedAt is not before
// NotBefore.
func (s Standing) Allows(derivedAt time.Time) bool {
	return !s.Disabled && !derivedAt.Before(s.NotBefore)
}

// GrantableScopes returns the scopes among requested that a person of
// this standing may hold now (see GrantableScopes).
func (s Standing) GrantableScopes(requested []string) []string {
	return grantableScopes(s.Roles, requested)
}

// HasRole reports whether the user holds role.
func (u User) HasRole(role string) bool { return contains(u.Roles, role) }

// NormalizeEmail trims and lower-cases an email address, the form in which
// it is looked up and compared.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// ValidateEmail reports a problem with a normalised email address, or "".
func ValidateEmail(email string) string {
	if email == "" {
		return "is required"
	}
	if len(email) > 254 {
		return "must be at most 254 characters"
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return "must be a valid email address"
	}
	return ""
}

// ValidateName reports a problem with a first or last name, or "".
func ValidateName(s string) string {
	if strings.TrimSpace(s) == "" {
		return "is required"
	}
	if utf8.RuneCountInString(s) > 100 {
		return "must be at most 100 characters"
	}
	return ""
}

// MaxRoleLength is the longest role name.
const MaxRoleLength = 64

// ValidateRole reports a problem with a role name, or "". Roles are
// free-form names of 1 to 64 characters among a-z, 0-9, ':', '_' and '-'.
func ValidateRole(name string) string {
	if name == "" {
		return "must not be empty"
	}
	if len(name) > MaxRoleLength {
		return "must be at most 64 characters"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == ':' || c == '_' || c == '-') {
			return "may contain only a-z, 0-9, ':', '_' and '-'"
		}
	}
	return ""
}

// MaxRoles is how many roles one person may hold.
const MaxRoles = 50

// ValidateRoles reports a problem with a list of role names, or "".
func ValidateRoles(roles []string) string {
	if len(roles) > MaxRoles {
		return "must name at most 50 roles"
	}
	for _, r := range roles {
		if msg := ValidateRole(r); msg != "" {
			return "role " + quoteRole(r) + " " + msg
		}
	}
	return ""
}

// quoteRole quotes a role name for a message, cut short when long.
func quoteRole(r string) string {
	if len(r) > MaxRoleLength {
		r = r[:MaxRoleLength] + "..."
	}
	return strconv.Quote(r)
}

// PasswordReset is the stored form of a password-reset token: only its hash.
type PasswordReset struct {
	Hash      string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// GrantableScopes returns the scopes among requested that user may hold:
// the management scopes only with the admin role.
func GrantableScopes(u User, requested []string) []string { return grantableScopes(u.Roles, requested) }

func grantableScopes(roles, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if IsManagementScope(s) && !contains(roles, RoleAdmin) {
			continue
		}
		out = append(out, s)
	}
	return out
}
