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
	// RotatedAt is set when the first successor was issued; presenting the
	// token again after that is reuse, unless it is within the reuse
	// interval. Later successors issued within the interval leave it as is,
	// so the interval is never extended.
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
// returns ErrRefreshReused (wrapped in invalid_grant) for a rotated token,
// so the caller can revoke the family; a revoked token that was never
// rotated is plain invalid_grant, not reuse (an administrator's or the
// person's own revocation is no attack). A token
// rotated less than reuseInterval ago is still accepted (RFC 9700 §4.14.2's
// allowance for clients that refresh concurrently); reuseInterval 0 accepts
// no rotated token.
func (t RefreshToken) CheckRefresh(clientID string, now time.Time, reuseInterval time.Duration) error {
	switch {
	case t.ClientID != clientID:
		return NewOAuthError(CodeInvalidGrant, "the refresh token was issued to another client")
	case t.RotatedOut(now, reuseInterval):
		return NewOAuthError(CodeInvalidGrant, "the refresh token is no longer valid").Wrap(ErrRefreshReused)
	case !t.RevokedAt.IsZero():
		// Revoked but never rotated: the holder presents the token it was
		// last given, after a sign-out, an administrator's revocation or
		// a revocation of its family. That is no replay; its family is
		// already revoked.
		return NewOAuthError(CodeInvalidGrant, "the refresh token has been revoked")
	case !now.Before(t.ExpiresAt):
		return NewOAuthError(CodeInvalidGrant, "the refresh token has expired")
	}
	return nil
}

// RotatedOut reports whether the token was rotated and its reuse interval
// is over at now. A token rotated "in the future" (clocks of two instances
// apart) is inside any non-zero interval; with reuseInterval 0 every rotated
// token is out.
func (t RefreshToken) RotatedOut(now time.Time, reuseInterval time.Duration) bool {
	if t.RotatedAt.IsZero() {
		return false
	}
	return reuseInterval <= 0 || !now.Before(t.RotatedAt.Add(reuseInterval))
}
