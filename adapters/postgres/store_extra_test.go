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

// Behaviour of this adapter beyond the port contract suites.
func TestStoreSchemaRules(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t, postgres.StoreOptions{})
	ctx := context.Background()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, name := range []string{"read", "write", "admin"} {
		require.NoError(t, s.CreateScope(ctx, core.Scope{ID: "id-" + name, Name: name, CreatedAt: now, UpdatedAt: now}))
	}
	client := func(id string, scopes ...string) core.Client {
		return core.Client{ID: id, Name: id, SecretHash: "h", GrantTypes: []string{core.GrantClientCredentials}, Scopes: scopes, CreatedAt: now, UpdatedAt: now}
	}

	t.Run("client scopes keep their order and drop repeats", func(t *testing.T) {
		require.NoError(t, s.CreateClient(ctx, client("ordered", "write", "read", "write")))
		got, err := s.GetClient(ctx, "ordered")
		require.NoError(t, err)
		assert.Equal(t, []string{"write", "read"}, got.Scopes)
		got, err = s.UpdateClient(ctx, "ordered", func(c core.Client) (core.Client, error) {
			c.Scopes = []string{"admin", "write"}
			return c, nil
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"admin", "write"}, got.Scopes)
	})
	t.Run("a client cannot hold an unknown scope", func(t *testing.T) {
		assert.ErrorIs(t, s.CreateClient(ctx, client("unknown-scope", "read", "nope")), core.ErrConflict)
		_, err := s.GetClient(ctx, "unknown-scope")
		assert.ErrorIs(t, err, core.ErrNotFound, "nothing of the client was written")
	})
	t.Run("a confidential client needs a secret", func(t *testing.T) {
		c := client("no-secret")
		c.SecretHash = ""
		assert.Error(t, s.CreateClient(ctx, c))
	})
	t.Run("emails are unique whatever their case", func(t *testing.T) {
		u := core.User{ID: "u1", Email: "ada@example.com", PasswordHash: "x", FirstName: "A", LastName: "L", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, s.CreateUser(ctx, u))
		v := u
		v.ID, v.Email = "u2", "ADA@example.com"
		assert.ErrorIs(t, s.CreateUser(ctx, v), core.ErrAlreadyExists)
	})
	t.Run("times come back in UTC to the microsecond", func(t *testing.T) {
		zone := time.FixedZone("UTC+2", 2*60*60)
		at := time.Date(2030, 1, 2, 5, 4, 5, 123456789, zone)
		u := core.User{ID: "u3", Email: "t@example.com", PasswordHash: "x", FirstName: "A", LastName: "L", CreatedAt: at, UpdatedAt: at, LockedUntil: at}
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, "u3")
		require.NoError(t, err)
		want := at.Round(time.Microsecond).UTC()
		assert.Equal(t, want, got.CreatedAt)
		assert.Equal(t, want, got.LockedUntil)
		assert.Equal(t, time.UTC, got.CreatedAt.Location())
	})
	t.Run("a token cannot expire before it is issued", func(t *testing.T) {
		tok := accessToken(newJTI())
		tok.ExpiresAt = tok.IssuedAt.Add(-time.Second)
		assert.Error(t, s.SaveAccessToken(ctx, tok))
	})
	t.Run("access-token records outlive their client and user", func(t *testing.T) {
		require.NoError(t, s.CreateClient(ctx, client("gone")))
		tok := accessToken(newJTI())
		tok.ClientID, tok.UserID = "gone", "u1"
		require.NoError(t, s.SaveAccessToken(ctx, tok))
		require.NoError(t, s.DeleteClient(ctx, "gone"))
		require.NoError(t, s.DeleteUser(ctx, "u1"))
		revoked, err := s.RevokeAccessTokens(ctx, core.TokenFilter{ClientID: "gone"}, time.Now())
		require.NoError(t, err)
		require.Len(t, revoked, 1)
		assert.Equal(t, "u1", revoked[0].UserID)
	})
	t.Run("ping", func(t *testing.T) {
		assert.NoError(t, s.Ping(ctx))
	})
}
