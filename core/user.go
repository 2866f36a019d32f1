package core

import (
	"net/mail"
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
func GrantableScopes(u User, requested []string) []string {
	out := make([]string, 0, len(requested))
	for _, s := range requested {
		if IsManagementScope(s) && !u.HasRole(RoleAdmin) {
			continue
		}
		out = append(out, s)
	}
	return out
}
