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
	// AMR are the methods of that sign-in (RFC 8176); nil means a
	// password.
	AMR []string
	// Holder is the standing now of the person the token was issued to,
	// read by the store together with the token (zero without a person).
	Holder Standing
}

// SignedInAt is when the sign-in the family rests on happened: AuthTime,
// or IssuedAt for a family recorded without it. Credentials derived from
// the family are alive while the person's standing allows this time
// (CredentialAlive).
func (t RefreshToken) SignedInAt() time.Time {
	if t.AuthTime.IsZero() {
		return t.IssuedAt
	}
	return t.AuthTime
}

// Alive reports whether the person's standing still allows the token:
// core.CredentialAlive for its family's sign-in.
func (t RefreshToken) Alive() bool { return t.UserID == "" || t.Holder.Allows(t.SignedInAt()) }

// BoundScopes returns what the token may carry now (RFC 9700 §4.14.2,
// OAuth 2.0 Security BCP: a refresh never yields more than is grantable):
// its own scope, narrowed to the scopes clientScopes lists and to those
// its person may hold now.
func (t RefreshToken) BoundScopes(clientScopes []string) []string {
	out := make([]string, 0, len(t.Scopes))
	for _, s := range t.Scopes {
		if contains(clientScopes, s) {
			out = append(out, s)
		}
	}
	if t.UserID != "" {
		out = t.Holder.GrantableScopes(out)
	}
	return out
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
	case !t.Alive():
		return NewOAuthError(CodeInvalidGrant, "the refresh token was issued before the account's password changed or while it is disabled")
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
