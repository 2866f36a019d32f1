package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

// The verifier and challenge of RFC 7636 Appendix B.
const (
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
)

func TestPKCE(t *testing.T) {
	assert.True(t, core.VerifyPKCE(challenge, verifier))
	assert.False(t, core.VerifyPKCE(challenge, verifier+"x"))
	assert.True(t, core.ValidPKCEVerifier(verifier))
	assert.False(t, core.ValidPKCEVerifier("short"))
	assert.True(t, core.ValidPKCEChallenge(challenge))
	assert.False(t, core.ValidPKCEChallenge("plain-challenge"))
}

func TestAuthCodeRedeem(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	code := core.AuthCode{ClientID: "c", RedirectURI: "https://a.example/cb", CodeChallenge: challenge, CodeChallengeMethod: "S256", IssuedAt: now, ExpiresAt: now.Add(10 * time.Minute)}
	redeemed, err := code.Redeem("c", "https://a.example/cb", verifier, now.Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Minute), redeemed.RedeemedAt)

	_, err = redeemed.Redeem("c", "https://a.example/cb", verifier, now.Add(2*time.Minute))
	assert.True(t, errors.Is(err, core.ErrCodeReused))

	tests := []struct {
		name             string
		client, redirect string
		verifier         string
		at               time.Time
	}{
		{"other client", "d", "https://a.example/cb", verifier, now},
		{"other redirect", "c", "https://a.example/other", verifier, now},
		{"wrong verifier", "c", "https://a.example/cb", verifier[:42] + "A", now},
		{"no verifier", "c", "https://a.example/cb", "", now},
		{"expired", "c", "https://a.example/cb", verifier, now.Add(10 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := code.Redeem(tt.client, tt.redirect, tt.verifier, tt.at)
			var oe *core.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, core.CodeInvalidGrant, oe.Code)
		})
	}
	plain := code
	plain.CodeChallenge = ""
	_, err = plain.Redeem("c", "https://a.example/cb", verifier, now)
	assert.Error(t, err, "a verifier without a challenge is refused")
}

func TestRefreshCheck(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rt := core.RefreshToken{ClientID: "c", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	assert.NoError(t, rt.CheckRefresh("c", now, 0))
	assert.Error(t, rt.CheckRefresh("d", now, 0))
	assert.Error(t, rt.CheckRefresh("c", now.Add(time.Hour), 0))
	rotated := rt
	rotated.RotatedAt = now
	revoked := rt
	revoked.RevokedAt = now
	rotatedRevoked := rotated
	rotatedRevoked.RevokedAt = now

	tests := []struct {
		name     string
		give     core.RefreshToken
		at       time.Time
		interval time.Duration
		wantErr  bool
		// wantReuse: the error is reuse (a replay), not a plain refusal.
		wantReuse bool
	}{
		{"rotated, no interval", rotated, now, 0, true, true},
		{"rotated, no interval, clock behind", rotated, now.Add(-time.Second), 0, true, true},
		{"rotated, within the interval", rotated, now.Add(9 * time.Second), 10 * time.Second, false, false},
		{"rotated, clock behind the rotation", rotated, now.Add(-time.Second), 10 * time.Second, false, false},
		{"rotated, interval over", rotated, now.Add(10 * time.Second), 10 * time.Second, true, true},
		{"revoked, within the interval", revoked, now, 10 * time.Second, true, false},
		{"revoked by an administrator, never rotated", revoked, now, 0, true, false},
		{"rotated then revoked, interval over", rotatedRevoked, now.Add(time.Minute), 10 * time.Second, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.CheckRefresh("c", tt.at, tt.interval)
			if tt.wantErr {
				assert.Error(t, err)
				assert.Equal(t, tt.wantReuse, errors.Is(err, core.ErrRefreshReused), "reuse")
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

func TestAccessTokenActive(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	at := core.AccessToken{IssuedAt: now, ExpiresAt: now.Add(time.Minute)}
	assert.True(t, at.ActiveAt(now))
	assert.True(t, at.ActiveAt(now.Add(-10*time.Second)), "small clock skew between instances is tolerated")
	assert.False(t, at.ActiveAt(now.Add(-time.Hour)))
	assert.False(t, at.ActiveAt(now.Add(time.Minute)))
	at.RevokedAt = now
	assert.False(t, at.ActiveAt(now))
	f := core.TokenFilter{ClientID: "c"}
	assert.True(t, f.Match("c", "", "", "", ""))
	assert.False(t, f.Match("d", "", "", "", ""))
	assert.False(t, core.TokenFilter{}.Match("c", "u", "f", "a", "s"))
	src := core.TokenFilter{SourceJTI: "s"}
	assert.False(t, src.Empty())
	assert.True(t, src.Match("c", "u", "", "", "s"), "what was exchanged from s")
	assert.False(t, src.Match("c", "u", "", "", ""), "a token with no source")
}

func TestUserRules(t *testing.T) {
	assert.Equal(t, "ada@example.com", core.NormalizeEmail("  Ada@Example.COM "))
	assert.Empty(t, core.ValidateEmail("ada@example.com"))
	for _, bad := range []string{"", "ada", "ada@", "@example.com", "ada@example", "Ada Lovelace <ada@example.com>"} {
		assert.NotEmpty(t, core.ValidateEmail(bad), bad)
	}
	assert.NotEmpty(t, core.ValidateName(" "))
	assert.Empty(t, core.ValidateName("Ada"))
	assert.True(t, core.User{Roles: []string{"admin"}}.HasRole(core.RoleAdmin))
}
