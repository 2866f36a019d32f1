package memory_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/core"
)

// The store keeps access tokens in a compact form; every token must come
// back exactly as saved, whatever its times and lists look like.
func TestAccessTokenComesBackExactly(t *testing.T) {
	t.Parallel()
	utc := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	base := core.AccessToken{
		Issuer: "https://id.example.com", Subject: "svc", Audience: []string{"https://id.example.com"},
		ClientID: "svc", Scopes: []string{"a", "b"}, IssuedAt: utc, ExpiresAt: utc.Add(15 * time.Minute),
	}
	tests := []struct {
		name string
		edit func(*core.AccessToken)
	}{
		{"utc, no links", func(*core.AccessToken) {}},
		{"links", func(a *core.AccessToken) { a.UserID, a.FamilyID, a.AuthCodeID = "u", "f", "c" }},
		{"revoked", func(a *core.AccessToken) { a.RevokedAt = utc.Add(time.Minute) }},
		{"revoked at the epoch", func(a *core.AccessToken) { a.RevokedAt = time.Unix(0, 0).UTC() }},
		{"monotonic reading", func(a *core.AccessToken) { a.IssuedAt = time.Now() }},
		{"another location", func(a *core.AccessToken) { a.ExpiresAt = utc.In(berlin) }},
		{"beyond int64 nanoseconds", func(a *core.AccessToken) { a.ExpiresAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"nil lists", func(a *core.AccessToken) { a.Audience, a.Scopes = nil, nil }},
		{"other lists", func(a *core.AccessToken) { a.Audience, a.Scopes = []string{"x", "y"}, []string{"ab"} }},
		{"lists that join alike", func(a *core.AccessToken) { a.Audience, a.Scopes = []string{"a", "b"}, []string{"ab"} }},
	}
	ctx := context.Background()
	s := memory.NewStore()
	jtis := []string{"d9428888-122b-11e1-b85c-61cd3cbb3210", "00000000-0000-0000-0000-000000000000", "D9428888-122B-11E1-B85C-61CD3CBB3210", "not-a-uuid", ""}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := base
			tok.JTI = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
			if i < len(jtis) {
				tok.JTI = jtis[i]
			}
			tt.edit(&tok)
			require.NoError(t, s.SaveAccessToken(ctx, tok))
			got, err := s.GetAccessToken(ctx, tok.JTI)
			require.NoError(t, err)
			assert.Equal(t, tok, got)
			assert.True(t, tok.IssuedAt == got.IssuedAt && tok.ExpiresAt == got.ExpiresAt && tok.RevokedAt == got.RevokedAt, "identical times")
			if len(got.Scopes) > 0 {
				got.Scopes[0] = "changed"
				again, err := s.GetAccessToken(ctx, tok.JTI)
				require.NoError(t, err)
				assert.Equal(t, tok.Scopes, again.Scopes, "callers get lists of their own")
			}
		})
	}
}

func TestAccessTokenRevokedAtAnyTime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	utc := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for i, at := range []time.Time{utc.Add(time.Minute), time.Now(), utc.Add(time.Minute).Local()} {
		s := memory.NewStore()
		jti := []string{"j", "d9428888-122b-11e1-b85c-61cd3cbb3210"}[i%2]
		tok := core.AccessToken{JTI: jti, Issuer: "i", Subject: "s", ClientID: "c", IssuedAt: utc, ExpiresAt: utc.Add(time.Hour)}
		require.NoError(t, s.SaveAccessToken(ctx, tok))
		got, err := s.RevokeAccessToken(ctx, jti, at)
		require.NoError(t, err)
		assert.True(t, got.RevokedAt == at, "revocation time kept exactly")
		list, err := s.RevokeAccessTokens(ctx, core.TokenFilter{ClientID: "c"}, utc)
		require.NoError(t, err)
		assert.Empty(t, list, "already revoked")
		got, err = s.GetAccessToken(ctx, jti)
		require.NoError(t, err)
		tok.RevokedAt = at
		assert.Equal(t, tok, got)
		listed, err := s.ListRevokedAccessTokens(ctx, utc)
		require.NoError(t, err)
		assert.Equal(t, []core.AccessToken{tok}, listed)
		st, err := s.PurgeExpired(ctx, utc.Add(2*time.Hour), 0)
		require.NoError(t, err)
		assert.Equal(t, int64(1), st.AccessTokens)
	}
}
