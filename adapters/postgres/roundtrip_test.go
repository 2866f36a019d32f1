package postgres_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

// The store calls on the token endpoints' hot paths, counted in round trips
// to PostgreSQL once the pool's connection has prepared them: each is
// latency every request waits for, and driver and server work. A change
// that adds one fails here.
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
	access := func() core.AccessToken {
		tok := accessToken(newJTI())
		tok.ClientID = "rt-client"
		return tok
	}
	var jtis []string
	for i := range 2 {
		n := strconv.Itoa(i)
		require.NoError(t, s.CreateRefreshToken(ctx, refresh("rotate-"+n)))
		require.NoError(t, s.CreateAuthCode(ctx, core.AuthCode{Hash: "code-" + n, ClientID: "rt-client", UserID: "rt-user",
			RedirectURI: "https://app.example/cb", Scopes: []string{"openid"}, IssuedAt: now, ExpiresAt: now.Add(time.Minute)}))
		tok := access()
		require.NoError(t, s.SaveAccessToken(ctx, tok))
		jtis = append(jtis, tok.JTI)
	}

	for _, c := range []struct {
		name string
		max  int64
		call func(n string) error // n: "0" the first time, "1" the second
	}{
		{"RotateRefreshToken", 2, func(n string) error {
			_, err := s.RotateRefreshToken(ctx, "rotate-"+n, func(old core.RefreshToken) (core.RefreshToken, error) {
				next := old
				next.Hash, next.IssuedAt = "rotated-"+n, now.Add(time.Second)
				return next, nil
			})
			return err
		}},
		{"UpdateAuthCode", 2, func(n string) error {
			_, err := s.UpdateAuthCode(ctx, "code-"+n, func(c core.AuthCode) (core.AuthCode, error) {
				c.RedeemedAt = now.Add(time.Second)
				return c, nil
			})
			return err
		}},
		{"UpdateUser", 2, func(string) error {
			_, err := s.UpdateUser(ctx, "rt-user", func(u core.User) (core.User, error) {
				u.FailedLogins++
				return u, nil
			})
			return err
		}},
		{"GetUser", 1, func(string) error { _, err := s.GetUser(ctx, "rt-user"); return err }},
		{"CreateRefreshToken", 1, func(n string) error { return s.CreateRefreshToken(ctx, refresh("created-"+n)) }},
		{"GetRefreshToken", 1, func(n string) error { _, err := s.GetRefreshToken(ctx, "created-"+n); return err }},
		{"SaveAccessToken", 1, func(string) error { return s.SaveAccessToken(ctx, access()) }},
		{"RevokeAccessToken", 1, func(n string) error {
			i, _ := strconv.Atoi(n)
			_, err := s.RevokeAccessToken(ctx, jtis[i], now)
			return err
		}},
	} {
		// The first call may prepare its statements on the connection.
		require.NoError(t, c.call("0"), c.name)
		before := db.RoundTrips()
		require.NoError(t, c.call("1"), c.name)
		n := db.RoundTrips() - before
		t.Logf("%s: %d round trips", c.name, n)
		assert.LessOrEqual(t, n, c.max, c.name)
	}
}
