package core

import (
	"errors"
	"time"
)

// RefreshToken is the stored form of an opaque refresh token: only a keyed
// hash of the token is kept. Tokens of one login or code redemption form a
// family; rotation adds a member and retires the presented one (RFC 9700
// §4.14.2).
type RefreshToken struct {
	Hash      string
	FamilyID  string
	ClientID  string
	UserID    string
	Scopes    []string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// RotatedAt is set when a successor was issued; presenting the token
	// again after that is reuse.
	RotatedAt  time.Time
	RevokedAt  time.Time
	AuthCodeID string
	// AuthTime is when the person signed in for the family's first
	// tokens; an ID token issued on refresh repeats it (OpenID Connect
	// Core §12.2).
	AuthTime time.Time
}

// ErrRefreshReused means a rotated or revoked refresh token was presented.
var ErrRefreshReused = errors.New("refresh token reused")

// CheckRefresh validates a refresh token presented by clientID at now. It
// returns ErrRefreshReused (wrapped in invalid_grant) for a rotated or
// revoked token, so the caller can revoke the family.
func (t RefreshToken) CheckRefresh(clientID string, now time.Time) error {
	switch {
	case t.ClientID != clientID:
		return NewOAuthError(CodeInvalidGrant, "the refresh token was issued to another client")
	case !t.RotatedAt.IsZero() || !t.RevokedAt.IsZero():
		return NewOAuthError(CodeInvalidGrant, "the refresh token is no longer valid").Wrap(ErrRefreshReused)
	case !now.Before(t.ExpiresAt):
		return NewOAuthError(CodeInvalidGrant, "the refresh token has expired")
	}
	return nil
}
