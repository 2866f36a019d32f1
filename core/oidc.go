package core

import "time"

// UserClaims are the standard claims of OpenID Connect Core §5.1 that the
// profile and email scopes release (§5.4). Absent claims are omitted.
type UserClaims struct {
	Name          string `json:"name,omitempty"`
	GivenName     string `json:"given_name,omitempty"`
	FamilyName    string `json:"family_name,omitempty"`
	UpdatedAt     int64  `json:"updated_at,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified *bool  `json:"email_verified,omitempty"`
	// Roles are the person's roles, released by the roles scope
	// (contract §3, People administration); omitted when they hold none.
	Roles []string `json:"roles,omitempty"`
}

// ClaimsOf returns the claims of u that scopes release: profile gives
// name, given_name, family_name and updated_at (seconds since the epoch);
// email gives email and email_verified.
func ClaimsOf(u User, scopes []string) UserClaims {
	var c UserClaims
	if contains(scopes, ScopeProfile) {
		c.GivenName, c.FamilyName = u.FirstName, u.LastName
		switch {
		case u.FirstName != "" && u.LastName != "":
			c.Name = u.FirstName + " " + u.LastName
		default:
			c.Name = u.FirstName + u.LastName
		}
		c.UpdatedAt = u.UpdatedAt.Unix()
	}
	if contains(scopes, ScopeEmail) {
		verified := u.EmailVerified
		c.Email, c.EmailVerified = u.Email, &verified
	}
	c.Roles = RolesClaim(u, scopes)
	return c
}

// RolesClaim is the roles claim of u's tokens with scopes: the person's
// roles when scopes hold ScopeRoles, else nil (no claim).
func RolesClaim(u User, scopes []string) []string {
	if !contains(scopes, ScopeRoles) || len(u.Roles) == 0 {
		return nil
	}
	return append([]string(nil), u.Roles...)
}

// IDTokenClaims is the claim set of an ID token (OpenID Connect Core §2,
// §3.1.3.6). auth_time, at_hash and amr are always present.
type IDTokenClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  string   `json:"aud"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	AuthTime  int64    `json:"auth_time"`
	Nonce     string   `json:"nonce,omitempty"`
	AtHash    string   `json:"at_hash"`
	AMR       []string `json:"amr"`
	// ACR is acr (Core §2): ACRMFA after two factors, else ACRPassword.
	ACR string `json:"acr,omitempty"`
	// SessionID is sid (OpenID Connect Front-Channel Logout 1.0 §3): the
	// browser sign-in the token was issued from (core.SessionID); absent
	// when unknown. A logout's id_token_hint signs out without asking
	// only with the sid of the browser's current session.
	SessionID string `json:"sid,omitempty"`
	UserClaims
}

// AMRPassword is the amr value of a sign-in with a password (RFC 8176 §2).
const AMRPassword = "pwd"

// SignInAMR is amr as recorded, or a password sign-in when none was
// recorded.
func SignInAMR(amr []string) []string {
	if len(amr) == 0 {
		return []string{AMRPassword}
	}
	return amr
}

// SessionEndedFor reports whether a browser session that signed u in at
// authTime has ended: u signed out everywhere after it, or everything
// derived from u before a cutoff ended (CredentialAlive).
func SessionEndedFor(u User, authTime time.Time) bool {
	return !CredentialAlive(u, authTime) || !u.SessionsEndedAt.IsZero() && !authTime.After(u.SessionsEndedAt)
}
