package core

import "time"

// AccessToken is both the claims of an RFC 9068 JWT access token and the
// record kept of it. Subject is the user id, or the client id for
// client_credentials.
type AccessToken struct {
	JTI       string
	Issuer    string
	Subject   string
	Audience  []string
	ClientID  string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// NotBefore is the nbf claim (RFC 7519 §4.1.5); zero when absent.
	NotBefore time.Time
	// UserID is set when the token was issued to a person.
	UserID string
	// FamilyID links the token to the refresh-token family it came with.
	FamilyID string
	// AuthCodeID is the hash of the authorization code it was issued for.
	AuthCodeID string
	// SourceJTI is the jti of the token it was exchanged from (RFC 8693
	// subject_token); revoking that token revokes this one.
	SourceJTI string
	RevokedAt time.Time
	// Act is the act claim of a token issued by token exchange for
	// delegation (RFC 8693 §4.1); nil otherwise.
	Act *Actor
	// AMR and ACR describe the person's sign-in (OpenID Connect Core §2,
	// RFC 8176); in the JWT only, not in the record.
	AMR []string
	ACR string
	// Roles is the roles claim: the person's roles when the token holds
	// the roles scope. It lives in the JWT only, not in the record.
	Roles []string
}

// Actor is the act claim of RFC 8693 §4.1: the party acting for the
// subject and, nested, the one that acted before it in a delegation
// chain.
type Actor struct {
	Subject string `json:"sub"`
	Actor   *Actor `json:"act,omitempty"`
}

// ActiveAt reports whether the token is valid at now: issued, not before
// its nbf, unexpired and not revoked (RFC 7662 §2.2, RFC 7519 §4.1.5).
func (t AccessToken) ActiveAt(now time.Time) bool {
	return t.RevokedAt.IsZero() && now.Before(t.ExpiresAt) && !now.Before(t.IssuedAt.Add(-clockSkew)) &&
		(t.NotBefore.IsZero() || !now.Before(t.NotBefore.Add(-clockSkew)))
}

// LifetimeWithin reports whether the token lives at most max: exp - iat
// (RFC 7519 §4.1.4, §4.1.6) no longer than the lifetime configured for its
// kind (TOKEN_EXPIRY for access tokens). A token without iat has no
// bounded lifetime and is outside. Whoever holds a signing secret could
// otherwise mint a token valid for a year; the server never issues one.
func (t AccessToken) LifetimeWithin(max time.Duration) bool {
	return !t.IssuedAt.IsZero() && t.IssuedAt.Unix() > 0 && !t.ExpiresAt.After(t.IssuedAt.Add(max))
}

// HasAudience reports whether aud is among the token's audiences: a
// resource server accepts only tokens meant for it (RFC 9068 §4, RFC 7519
// §4.1.3).
func (t AccessToken) HasAudience(aud string) bool { return contains(t.Audience, aud) }

// clockSkew is the tolerance for an iat slightly in the future from another
// instance's clock.
const clockSkew = 30 * time.Second

// TokenFilter selects the tokens of a client, a user, a refresh-token family,
// an authorization code or, for access tokens, the token they were
// exchanged from. Empty fields match anything; an all-empty filter matches
// nothing.
type TokenFilter struct {
	ClientID   string
	UserID     string
	FamilyID   string
	AuthCodeID string
	// SourceJTI selects the access tokens exchanged from that token; no
	// refresh token has a source, so it selects none of them.
	SourceJTI string
}

// Empty reports whether the filter names nothing.
func (f TokenFilter) Empty() bool {
	return f.ClientID == "" && f.UserID == "" && f.FamilyID == "" && f.AuthCodeID == "" && f.SourceJTI == ""
}

// Match reports whether the filter selects a token with these owners and
// source (the jti it was exchanged from, "" for none).
func (f TokenFilter) Match(clientID, userID, familyID, authCodeID, sourceJTI string) bool {
	if f.Empty() {
		return false
	}
	return (f.ClientID == "" || f.ClientID == clientID) &&
		(f.UserID == "" || f.UserID == userID) &&
		(f.FamilyID == "" || f.FamilyID == familyID) &&
		(f.AuthCodeID == "" || f.AuthCodeID == authCodeID) &&
		(f.SourceJTI == "" || f.SourceJTI == sourceJTI)
}

// TokenResponse is the successful response of RFC 6749 §5.1.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	// IDToken is the OpenID Connect ID token, issued with scope openid
	// (Core §3.1.3.3, §12.2).
	IDToken string `json:"id_token,omitempty"`
	// IssuedTokenType is RFC 8693 §2.2.1's issued_token_type, set by
	// token exchange only.
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// Introspection is the response of RFC 7662 §2.2.
type Introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	Username  string   `json:"username,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	Exp       int64    `json:"exp,omitempty"`
	Iat       int64    `json:"iat,omitempty"`
	Nbf       int64    `json:"nbf,omitempty"`
	Sub       string   `json:"sub,omitempty"`
	Aud       []string `json:"aud,omitempty"`
	Iss       string   `json:"iss,omitempty"`
	Jti       string   `json:"jti,omitempty"`
	// Amr and Acr describe the person's sign-in (OpenID Connect Core §2,
	// RFC 8176), for tokens issued to a person.
	Amr []string `json:"amr,omitempty"`
	Acr string   `json:"acr,omitempty"`
}

// PurgeStats counts what a clean-up of expired rows deleted.
type PurgeStats struct {
	AccessTokens   int64
	RefreshTokens  int64
	AuthCodes      int64
	PasswordResets int64
	DeviceCodes    int64
	// Changes are change-log entries (PostgreSQL only).
	Changes int64
	// AuditEvents are audit events older than AUDIT_RETENTION.
	AuditEvents int64
}
