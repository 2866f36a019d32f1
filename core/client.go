package core

import (
	"time"
	"unicode/utf8"
)

// Client is an OAuth 2.0 client (RFC 6749 §2). A confidential client has a
// SecretHash; a public client has none and must use PKCE.
type Client struct {
	ID         string
	Name       string
	SecretHash string
	// SecretHashKey names the key SecretHash was made with
	// (ports.SecretHasher.KeyID); empty when not recorded (a hash made
	// before identityd recorded it, or none).
	SecretHashKey string
	// PreviousSecretHash is the hash of the secret that regenerate-secret
	// replaced with keep_previous_for: it still authenticates the client
	// until PreviousSecretExpiresAt. Empty when none.
	PreviousSecretHash string
	// PreviousSecretHashKey is SecretHashKey for PreviousSecretHash.
	PreviousSecretHashKey string
	// PreviousSecretExpiresAt is when the previous secret stops working.
	PreviousSecretExpiresAt time.Time
	RedirectURIs            []string
	GrantTypes              []string
	Scopes                  []string
	Public                  bool
	FirstParty              bool
	// PostLogoutRedirectURIs are where RP-Initiated Logout may send the
	// browser back (exact match).
	PostLogoutRedirectURIs []string
	// IDTokenSignedResponseAlg is the JWS alg of the client's ID tokens
	// (OpenID Connect Dynamic Client Registration §2); empty: RS256.
	IDTokenSignedResponseAlg string
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// MaxKeepPreviousSecret is the longest a replaced client secret keeps
// working after regenerate-secret (keep_previous_for).
const MaxKeepPreviousSecret = 7 * 24 * time.Hour

// KeepsPreviousSecretAt reports whether the client's previous secret still
// authenticates it at now.
func (c Client) KeepsPreviousSecretAt(now time.Time) bool {
	return c.PreviousSecretHash != "" && now.Before(c.PreviousSecretExpiresAt)
}

// Grant type names of RFC 6749.
const (
	GrantClientCredentials = "client_credentials"
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// IDTokenAlgorithms are the JWS algorithms ID tokens may be signed with:
// RS256 (OpenID Connect's mandatory one, the default), ES256 and EdDSA.
func IDTokenAlgorithms() []string { return []string{"RS256", "ES256", "EdDSA"} }

// IDTokenAlg is the alg of the client's ID tokens.
func (c Client) IDTokenAlg() string {
	if c.IDTokenSignedResponseAlg == "" {
		return "RS256"
	}
	return c.IDTokenSignedResponseAlg
}

// AllowsPostLogoutRedirect reports whether uri is exactly one of the
// client's registered post_logout_redirect_uris (RP-Initiated Logout 1.0
// §3).
func (c Client) AllowsPostLogoutRedirect(uri string) bool {
	return contains(c.PostLogoutRedirectURIs, uri)
}

// AllowsGrant reports whether the client may use grant type gt.
func (c Client) AllowsGrant(gt string) bool { return contains(c.GrantTypes, gt) }

// AllowsRedirect reports whether uri matches one of the client's registered
// redirect URIs (RFC 6749 §3.1.2.3, RFC 8252 §7.3).
func (c Client) AllowsRedirect(uri string) bool {
	for _, r := range c.RedirectURIs {
		if MatchRedirectURI(r, uri) {
			return true
		}
	}
	return false
}

// ValidClientID reports whether id is usable as a client_id: 1 to 128
// unreserved URI characters.
func ValidClientID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
		if !ok {
			return false
		}
	}
	return true
}

// ValidateClient checks a client's own fields. knownGrant tells which grant
// types are installed; whether its scopes exist is checked against storage by
// the caller.
func ValidateClient(c Client, knownGrant func(string) bool) error {
	var v ValidationError
	if !ValidClientID(c.ID) {
		v.Add("client_id", "must be 1 to 128 characters of A-Z a-z 0-9 - . _ ~")
	}
	if n := utf8.RuneCountInString(c.Name); n == 0 || n > MaxClientNameLength {
		v.Add("name", "is required and must be at most 200 characters")
	}
	if len(c.GrantTypes) == 0 {
		v.Add("grant_types", "must name at least one grant type")
	}
	for _, g := range c.GrantTypes {
		if !knownGrant(g) {
			v.Add("grant_types", "unsupported grant type: "+g)
			break
		}
	}
	if c.Public && c.AllowsGrant(GrantClientCredentials) {
		v.Add("grant_types", "a public client cannot use client_credentials (RFC 6749 §4.4)")
	}
	if c.AllowsGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		v.Add("redirect_uris", "authorization_code needs at least one redirect URI")
	}
	if len(c.RedirectURIs) > 20 {
		v.Add("redirect_uris", "must be at most 20")
	}
	for _, r := range c.RedirectURIs {
		if err := ValidateRedirectURI(r); err != nil {
			v.Add("redirect_uris", err.Error())
			break
		}
	}
	if len(c.PostLogoutRedirectURIs) > 20 {
		v.Add("post_logout_redirect_uris", "must be at most 20")
	}
	for _, r := range c.PostLogoutRedirectURIs {
		if err := ValidateRedirectURI(r); err != nil {
			v.Add("post_logout_redirect_uris", err.Error())
			break
		}
	}
	if c.IDTokenSignedResponseAlg != "" && !contains(IDTokenAlgorithms(), c.IDTokenSignedResponseAlg) {
		v.Add("id_token_signed_response_alg", "must be one of RS256, ES256, EdDSA")
	}
	if len(c.Scopes) > 100 {
		v.Add("scopes", "must be at most 100")
	}
	for _, s := range c.Scopes {
		if !ValidScopeToken(s) {
			v.Add("scopes", "invalid scope name: "+s)
			break
		}
	}
	return v.Err()
}

// ValidChosenClientID reports whether id may be chosen for a new client through
// the management API: 3 to 64 of A-Z, a-z, 0-9, '.', '_' and '-' (contract
// "People administration": client ids that stay the same across
// environments).
func ValidChosenClientID(id string) bool {
	if len(id) < 3 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

// MaxClientNameLength is the longest client name, in characters.
const MaxClientNameLength = 200
