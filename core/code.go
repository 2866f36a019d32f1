package core

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"time"
)

// AuthCode is the stored form of an authorization code (RFC 6749 §4.1.2):
// only a hash of the code is kept. It binds client, redirect URI, scope, user
// and the PKCE challenge (RFC 7636 §4.4).
type AuthCode struct {
	Hash                string
	ClientID            string
	UserID              string
	RedirectURI         string
	Scopes              []string
	CodeChallenge       string
	CodeChallengeMethod string
	// Nonce is the OpenID Connect nonce of the request, echoed in the ID
	// token; AuthTime is when the person signed in.
	Nonce    string
	AuthTime time.Time
	// AMR are the methods of the sign-in (RFC 8176); nil is a password.
	AMR        []string
	IssuedAt   time.Time
	ExpiresAt  time.Time
	RedeemedAt time.Time
}

// ErrCodeReused means an authorization code was presented a second time.
var ErrCodeReused = errors.New("authorization code reused")

// PKCE methods of RFC 7636 §4.2; identityd accepts S256 only.
const PKCEMethodS256 = "S256"

// Redeem checks a token request against the code (RFC 6749 §4.1.3, RFC 7636
// §4.6) and returns the code marked redeemed at now.
func (c AuthCode) Redeem(clientID, redirectURI, verifier string, now time.Time) (AuthCode, error) {
	switch {
	case !c.RedeemedAt.IsZero():
		return c, NewOAuthError(CodeInvalidGrant, "the authorization code has already been used").Wrap(ErrCodeReused)
	case c.ClientID != clientID:
		return c, NewOAuthError(CodeInvalidGrant, "the authorization code was issued to another client")
	case !now.Before(c.ExpiresAt):
		return c, NewOAuthError(CodeInvalidGrant, "the authorization code has expired")
	case c.RedirectURI != redirectURI:
		return c, NewOAuthError(CodeInvalidGrant, "redirect_uri does not match the authorization request")
	}
	if c.CodeChallenge != "" {
		if verifier == "" {
			return c, NewOAuthError(CodeInvalidGrant, "code_verifier is required")
		}
		if !VerifyPKCE(c.CodeChallenge, verifier) {
			return c, NewOAuthError(CodeInvalidGrant, "code_verifier does not match the code_challenge")
		}
	} else if verifier != "" {
		return c, NewOAuthError(CodeInvalidGrant, "code_verifier given but the authorization request had no code_challenge")
	}
	c.RedeemedAt = now
	return c, nil
}

// ValidPKCEVerifier reports whether v is a code_verifier of RFC 7636 §4.1:
// 43 to 128 unreserved characters.
func ValidPKCEVerifier(v string) bool {
	if len(v) < 43 || len(v) > 128 {
		return false
	}
	return ValidClientID(v)
}

// ValidPKCEChallenge reports whether c can be an S256 code_challenge: the
// unpadded base64url of 32 bytes.
func ValidPKCEChallenge(c string) bool {
	if len(c) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil
}

// VerifyPKCE checks verifier against an S256 challenge (RFC 7636 §4.6).
func VerifyPKCE(challenge, verifier string) bool {
	sum := sha256.Sum256([]byte(verifier))
	want := base64.RawURLEncoding.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}
