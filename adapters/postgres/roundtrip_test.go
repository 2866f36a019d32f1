package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

// The store calls on the token endpoints' hot paths, counted in round trips
// to PostgreSQL: each is latency every request waits for, and driver and
// server work. A change that adds one fails here.
func TestHotPathRoundTrips(t *testing.T) {
	t.Parallel()
	s, db := newStore(t, postgres.StoreOptions{BatchMaxRows: 1})
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, s.CreateClient(ctx, core.Client{ID: "rt-client", Name: "c", SecretHash: "h",
		GrantTypes: []string{core.GrantAuthorizationCode, core.GrantRefreshToken}, RedirectURIs: []string{"https://app.example/cb"},
		CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, s.CreateUser(ctx, core.User{ID: "rt-user", Email: "rt@example.com", PasswordHash: "x",
		FirstName: "A", LastName: "L", CreatedAt: now, UpdatedAt: now}))
	refresh := func(hash string) core.RefreshToken {
		return core.RefreshToken{Hash: hash, FamilyID: "fam", ClientID: "rt-client", UserID: "rt-user",
			Scopes: []string{"openid"}, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	require.NoError(t, s.CreateRefreshToken(ctx, refresh("rt-0")))
	require.NoError(t, s.CreateAuthCode(ctx, core.AuthCode{Hash: "code-0", ClientID: "rt-client", UserID: "rt-user",
		RedirectURI: "https://app.example/cb", Scopes: []string{"openid"}, IssuedAt: now, ExpiresAt: now.Add(time.Minute)}))
	tok := accessToken(newJTI())
	tok.ClientID = "rt-client"
	require.NoError(t, s.SaveAccessToken(ctx, tok))

	count := func(f func() error) int64 {
		t.Helper()
		before := db.RoundTrips()
		require.NoError(t, f())
		return db.RoundTrips() - before
	}
	for _, c := range []struct {
		name string
		max  int64
		call func() error
	}{
		{"RotateRefreshToken", 2, func() error {
			_, err := s.RotateRefreshToken(ctx, "rt-0", func(old core.RefreshToken) (core.RefreshToken, error) {
				next := old
				next.Hash, next.IssuedAt = "rt-1", now.Add(time.Second)
				return next, nil
			})
			return err
		}},
		{"UpdateAuthCode", 2, func() error {
			_, err := s.UpdateAuthCode(ctx, "code-0", func(c core.AuthCode) (core.AuthCode, error) {
				c.RedeemedAt = now.Add(time.Second)
				return c, nil
			})
			return err
		}},
		{"UpdateUser", 2, func() error {
			_, err := s.UpdateUser(ctx, "rt-user", func(u core.User) (core.User, error) {
				u.FailedLogins++
				return u, nil
			})
			return err
		}},
		{"GetUser", 1, func() error { _, err := s.GetUser(ctx, "rt-user"); return err }},
		{"CreateRefreshToken", 1, func() error { return s.CreateRefreshToken(ctx, refresh("rt-2")) }},
		{"GetRefreshToken", 1, func() error { _, err := s.GetRefreshToken(ctx, "rt-2"); return err }},
		{"SaveAccessToken", 1, func() error {
			tok := accessToken(newJTI())
			tok.ClientID = "rt-client"
			return s.SaveAccessToken(ctx, tok)
		}},
		{"RevokeAccessToken", 1, func() error { _, err := s.RevokeAccessToken(ctx, tok.JTI, now); return err }},
	} {
		n := count(c.call)
		t.Logf("%s: %d round trips", c.name, n)
		assert.LessOrEqual(t, n, c.max, c.name)
	}
}
