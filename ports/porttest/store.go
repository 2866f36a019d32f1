package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Store is everything a durable store implements.
type Store interface {
	ports.ClientRepository
	ports.ClientSecretKeys
	ports.ScopeRepository
	ports.UserRepository
	ports.AccessTokenRepository
	ports.RefreshTokenRepository
	ports.AuthCodeRepository
	ports.PasswordResetRepository
	ports.LoginDeviceRepository
	ports.UserTokenLister
	ports.AuditLog
	ports.Purger
}

// base is a fixed instant the tests count from; stores must keep times to
// the microsecond.
var base = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

var seq atomic.Int64

func uniq(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), seq.Add(1))
}

func newClient(id string, scopes ...string) core.Client {
	return core.Client{
		ID: id, Name: "Client " + id, SecretHash: "hash-" + id,
		RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes:   []string{core.GrantClientCredentials, core.GrantAuthorizationCode},
		Scopes:       scopes, CreatedAt: base, UpdatedAt: base,
	}
}

func newUser(email string) core.User {
	return core.User{ID: uniq("user"), Email: email, PasswordHash: "$2a$10$hash", FirstName: "Ada", LastName: "Lovelace", Roles: []string{}, CreatedAt: base, UpdatedAt: base}
}

// RunStoreTests runs the contract of every repository port against stores
// made by newStore, a fresh one per subtest.
func RunStoreTests(t *testing.T, newStore func(t *testing.T) Store) {
	t.Helper()
	suites := []struct {
		name string
		run  func(*testing.T, func(*testing.T) Store)
	}{
		{"clients", runClientTests},
		{"scopes", runScopeTests},
		{"users", runUserTests},
		{"access_tokens", runAccessTokenTests},
		{"refresh_tokens", runRefreshTests},
		{"auth_codes", runAuthCodeTests},
		{"password_resets", runResetTests},
		{"login_devices", runLoginDeviceTests},
		{"user_tokens", runUserTokenTests},
		{"purge", runPurgeTests},
		{"audit", runAuditTests},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) { s.run(t, newStore) })
	}
}

func runClientTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("create get round trip", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		c.FirstParty = true
		require.NoError(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got)
	})
	t.Run("public client without secret", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("pub"))
		c.SecretHash, c.Public = "", true
		c.GrantTypes = []string{core.GrantAuthorizationCode}
		require.NoError(t, s.CreateClient(ctx, c))
		got, err := s.GetClient(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, c, got)
	})
	t.Run("secret hash key", func(t *testing.T) {
		s := newStore(t)
		under := func(key string) int {
			t.Helper()
			n, err := s.CountClientSecretsNotUnder(ctx, key)
			require.NoError(t, err)
			return n
		}
		// Other subtests' clients may share the store: count changes.
		beforeK1, beforeK2 := under("k1"), under("k2")
		a, b, legacy, pub := newClient(uniq("a")), newClient(uniq("b")), newClient(uniq("legacy")), newClient(uniq("pub"))
		a.SecretHashKey, b.SecretHashKey = "k1", "k2"
		pub.SecretHash, pub.Public = "", true
		for _, c := range []core.Client{a, b, legacy, pub} {
			require.NoError(t, s.CreateClient(ctx, c))
		}
		got, err := s.GetClient(ctx, a.ID)
		require.NoError(t, err)
		assert.Equal(t, "k1", got.SecretHashKey, "stored and read back")
		assert.Equal(t, beforeK1+2, under("k1"), "b (another key) and legacy (none recorded); never the public client")
		assert.Equal(t, beforeK2+2, under("k2"))

		_, err = s.UpdateClient(ctx, b.ID, func(c core.Client) (core.Client, error) {
			c.SecretHash, c.SecretHashKey = "rehashed", "k1"
			return c, nil
		})
		require.NoError(t, err)
		got, err = s.GetClient(ctx, b.ID)
		require.NoError(t, err)
		assert.Equal(t, "k1", got.SecretHashKey, "updated")
		assert.Equal(t, beforeK1+1, under("k1"))
		assert.Equal(t, beforeK2+3, under("k2"))
	})
	t.Run("duplicate id", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		assert.ErrorIs(t, s.CreateClient(ctx, c), core.ErrAlreadyExists)
	})
	t.Run("get missing", func(t *testing.T) {
		_, err := newStore(t).GetClient(ctx, "missing")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("update", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		got, err := s.UpdateClient(ctx, c.ID, func(old core.Client) (core.Client, error) {
			old.Name = "Renamed"
			old.SecretHash = "new-hash"
			old.RedirectURIs = []string{"https://other.example/cb", "http://127.0.0.1/cb"}
			old.UpdatedAt = base.Add(time.Hour)
			return old, nil
		})
		require.NoError(t, err)
		assert.Equal(t, "Renamed", got.Name)
		again, err := s.GetClient(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
		assert.Equal(t, "new-hash", again.SecretHash)
	})
	t.Run("update error writes nothing", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		boom := errors.New("boom")
		_, err := s.UpdateClient(ctx, c.ID, func(old core.Client) (core.Client, error) {
			old.Name = "changed"
			return old, boom
		})
		assert.ErrorIs(t, err, boom)
		got, err := s.GetClient(ctx, c.ID)
		require.NoError(t, err)
		assert.Equal(t, c.Name, got.Name)
	})
	t.Run("update missing", func(t *testing.T) {
		_, err := newStore(t).UpdateClient(ctx, "missing", func(c core.Client) (core.Client, error) { return c, nil })
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("delete", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		require.NoError(t, s.DeleteClient(ctx, c.ID))
		_, err := s.GetClient(ctx, c.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
		assert.ErrorIs(t, s.DeleteClient(ctx, c.ID), core.ErrNotFound)
	})
	t.Run("list pages in id order", func(t *testing.T) {
		s := newStore(t)
		prefix := uniq("l")
		for i := 0; i < 5; i++ {
			require.NoError(t, s.CreateClient(ctx, newClient(fmt.Sprintf("%s-%d", prefix, i))))
		}
		var ids []string
		after := ""
		for {
			page, err := s.ListClients(ctx, core.Page{After: after, Limit: 2})
			require.NoError(t, err)
			require.LessOrEqual(t, len(page), 2)
			if len(page) == 0 {
				break
			}
			for _, c := range page {
				ids = append(ids, c.ID)
			}
			after = page[len(page)-1].ID
		}
		assert.Equal(t, []string{prefix + "-0", prefix + "-1", prefix + "-2", prefix + "-3", prefix + "-4"}, ids)
	})
	t.Run("delete removes refresh tokens and codes", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		rt := newRefresh(c.ID, u.ID)
		require.NoError(t, s.CreateRefreshToken(ctx, rt))
		code := newCode(c.ID, u.ID)
		require.NoError(t, s.CreateAuthCode(ctx, code))
		require.NoError(t, s.DeleteClient(ctx, c.ID))
		_, err := s.GetRefreshToken(ctx, rt.Hash)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UpdateAuthCode(ctx, code.Hash, func(c core.AuthCode) (core.AuthCode, error) { return c, nil })
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
}

func newScope(name string) core.Scope {
	return core.Scope{ID: uniq("scope"), Name: name, Description: "lets you " + name, CreatedAt: base, UpdatedAt: base}
}

func runScopeTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("create get find", func(t *testing.T) {
		s := newStore(t)
		sc := newScope(uniq("read"))
		require.NoError(t, s.CreateScope(ctx, sc))
		got, err := s.GetScope(ctx, sc.ID)
		require.NoError(t, err)
		assert.Equal(t, sc, got)
		found, err := s.FindScopes(ctx, []string{sc.Name, "nope"})
		require.NoError(t, err)
		assert.Equal(t, []core.Scope{sc}, found)
	})
	t.Run("duplicate name", func(t *testing.T) {
		s := newStore(t)
		sc := newScope(uniq("dup"))
		require.NoError(t, s.CreateScope(ctx, sc))
		other := newScope(sc.Name)
		assert.ErrorIs(t, s.CreateScope(ctx, other), core.ErrAlreadyExists)
	})
	t.Run("get missing", func(t *testing.T) {
		_, err := newStore(t).GetScope(ctx, "00000000-0000-0000-0000-000000000000")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("update description and name", func(t *testing.T) {
		s := newStore(t)
		sc := newScope(uniq("upd"))
		require.NoError(t, s.CreateScope(ctx, sc))
		newName := uniq("renamed")
		got, err := s.UpdateScope(ctx, sc.ID, func(old core.Scope) (core.Scope, error) {
			old.Name, old.Description = newName, "changed"
			return old, nil
		})
		require.NoError(t, err)
		assert.Equal(t, newName, got.Name)
		again, err := s.GetScope(ctx, sc.ID)
		require.NoError(t, err)
		assert.Equal(t, "changed", again.Description)
	})
	t.Run("rename onto taken name", func(t *testing.T) {
		s := newStore(t)
		a, b := newScope(uniq("a")), newScope(uniq("b"))
		require.NoError(t, s.CreateScope(ctx, a))
		require.NoError(t, s.CreateScope(ctx, b))
		_, err := s.UpdateScope(ctx, b.ID, func(old core.Scope) (core.Scope, error) {
			old.Name = a.Name
			return old, nil
		})
		assert.ErrorIs(t, err, core.ErrAlreadyExists)
	})
	t.Run("scope held by a client cannot be deleted or renamed", func(t *testing.T) {
		s := newStore(t)
		sc := newScope(uniq("held"))
		require.NoError(t, s.CreateScope(ctx, sc))
		c := newClient(uniq("c"), sc.Name)
		require.NoError(t, s.CreateClient(ctx, c))
		assert.ErrorIs(t, s.DeleteScope(ctx, sc.ID), core.ErrConflict)
		_, err := s.UpdateScope(ctx, sc.ID, func(old core.Scope) (core.Scope, error) {
			old.Name = uniq("other")
			return old, nil
		})
		assert.ErrorIs(t, err, core.ErrConflict)
		_, err = s.UpdateScope(ctx, sc.ID, func(old core.Scope) (core.Scope, error) {
			old.Description = "still fine"
			return old, nil
		})
		assert.NoError(t, err)
		require.NoError(t, s.DeleteClient(ctx, c.ID))
		assert.NoError(t, s.DeleteScope(ctx, sc.ID))
		assert.ErrorIs(t, s.DeleteScope(ctx, sc.ID), core.ErrNotFound)
	})
	t.Run("list pages", func(t *testing.T) {
		s := newStore(t)
		want := map[string]bool{}
		for i := 0; i < 3; i++ {
			sc := newScope(uniq("p"))
			want[sc.ID] = true
			require.NoError(t, s.CreateScope(ctx, sc))
		}
		got := map[string]bool{}
		after := ""
		for {
			page, err := s.ListScopes(ctx, core.Page{After: after, Limit: 1})
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			require.Len(t, page, 1)
			got[page[0].ID] = true
			after = page[0].ID
		}
		for id := range want {
			assert.True(t, got[id], "scope %s listed", id)
		}
	})
}

func runUserTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("create get by id and email", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		u.Roles = []string{core.RoleAdmin}
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.False(t, got.EmailVerified, "a new account's address is not verified")
		assert.Equal(t, u, got)
		got, err = s.GetUserByEmail(ctx, u.Email)
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.ID)
	})
	t.Run("duplicate email", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		v := newUser(u.Email)
		assert.ErrorIs(t, s.CreateUser(ctx, v), core.ErrAlreadyExists)
	})
	t.Run("missing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetUser(ctx, "00000000-0000-0000-0000-000000000000")
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.GetUserByEmail(ctx, "nobody@example.com")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("update lock state and password", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.UpdateUser(ctx, u.ID, func(old core.User) (core.User, error) {
			old.FailedLogins = 3
			old.LockedUntil = base.Add(time.Minute)
			old.PasswordHash = "$2a$10$other"
			old.EmailVerified = true
			return old, nil
		})
		require.NoError(t, err)
		again, err := s.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, got, again)
		assert.True(t, again.EmailVerified, "email_verified is stored")
		assert.Equal(t, 3, again.FailedLogins)
		assert.False(t, again.Disabled, "an account is enabled until disabled")
		assert.True(t, again.LockedUntil.Equal(base.Add(time.Minute)))
	})
	t.Run("disabled and last login are stored", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		u.Disabled, u.LastLoginAt, u.Roles = true, base.Add(-time.Hour), []string{"support:tier-2"}
		require.NoError(t, s.CreateUser(ctx, u))
		got, err := s.GetUser(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, u, got)
		got, err = s.UpdateUser(ctx, u.ID, func(old core.User) (core.User, error) {
			old.Disabled, old.LastLoginAt = false, base.Add(time.Minute)
			return old, nil
		})
		require.NoError(t, err)
		again, err := s.GetUserByEmail(ctx, u.Email)
		require.NoError(t, err)
		assert.Equal(t, got, again)
		assert.False(t, again.Disabled, "enabling is stored")
		assert.True(t, again.LastLoginAt.Equal(base.Add(time.Minute)))
	})
	t.Run("list filters and pages", func(t *testing.T) {
		s := newStore(t)
		tag := uniq("lst")
		mk := func(first, last string, disabled bool, roles ...string) core.User {
			u := newUser(uniq(tag) + "@example.com")
			u.FirstName, u.LastName, u.Disabled, u.Roles = first, last, disabled, roles
			require.NoError(t, s.CreateUser(ctx, u))
			return u
		}
		ada := mk("Ada", "Lovelace", false, "support")
		grace := mk("Grace", "Hopper", true)
		mk("Charles", "Babbage", false, "support", "billing")
		ids := func(users []core.User) []string {
			out := []string{}
			for _, u := range users {
				out = append(out, u.ID)
			}
			return out
		}
		list := func(f core.UserFilter, p core.Page) []core.User {
			t.Helper()
			got, err := s.ListUsers(ctx, f, p)
			require.NoError(t, err)
			return got
		}
		assert.Equal(t, []string{ada.ID}, ids(list(core.UserFilter{Query: "LOVEL"}, core.Page{})), "any part of the name, any case")
		assert.Equal(t, []string{ada.ID}, ids(list(core.UserFilter{Query: "ada lovelace"}, core.Page{})), "the full name")
		assert.Len(t, list(core.UserFilter{Query: tag}, core.Page{}), 3, "the address")
		assert.Equal(t, []string{grace.ID}, ids(list(core.UserFilter{Query: tag, Status: core.UserStatusDisabled}, core.Page{})))
		assert.Len(t, list(core.UserFilter{Query: tag, Status: core.UserStatusActive}, core.Page{}), 2)
		assert.Len(t, list(core.UserFilter{Query: tag, Role: "support"}, core.Page{}), 2)
		assert.Empty(t, list(core.UserFilter{Query: "%"}, core.Page{}), "LIKE wildcards match literally")
		assert.Empty(t, list(core.UserFilter{Query: "_"}, core.Page{}))
		first := list(core.UserFilter{Query: tag}, core.Page{Limit: 2})
		require.Len(t, first, 2)
		assert.Less(t, first[0].ID, first[1].ID, "ordered by id")
		rest := list(core.UserFilter{Query: tag}, core.Page{After: first[1].ID, Limit: 2})
		require.Len(t, rest, 1)
		assert.Greater(t, rest[0].ID, first[1].ID)
	})
	t.Run("delete removes tokens and resets", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		rt := newRefresh(c.ID, u.ID)
		require.NoError(t, s.CreateRefreshToken(ctx, rt))
		r := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		require.NoError(t, s.CreatePasswordReset(ctx, r))
		require.NoError(t, s.DeleteUser(ctx, u.ID))
		_, err := s.GetUser(ctx, u.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.GetRefreshToken(ctx, rt.Hash)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.ConsumePasswordReset(ctx, r.Hash, base)
		assert.ErrorIs(t, err, core.ErrNotFound)
		assert.ErrorIs(t, s.DeleteUser(ctx, u.ID), core.ErrNotFound)
		// The email is free again.
		assert.NoError(t, s.CreateUser(ctx, newUser(u.Email)))
	})
}

func newAccessToken(clientID, userID string) core.AccessToken {
	return core.AccessToken{
		JTI: uniq("jti"), Issuer: "http://localhost", Subject: clientID, Audience: []string{"http://localhost"},
		ClientID: clientID, UserID: userID, Scopes: []string{"a", "b"}, IssuedAt: base, ExpiresAt: base.Add(15 * time.Minute),
	}
}

func runAccessTokenTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("save get", func(t *testing.T) {
		s := newStore(t)
		tok := newAccessToken(uniq("c"), "")
		require.NoError(t, s.SaveAccessToken(ctx, tok))
		got, err := s.GetAccessToken(ctx, tok.JTI)
		require.NoError(t, err)
		assert.Equal(t, tok, got)
		assert.ErrorIs(t, s.SaveAccessToken(ctx, tok), core.ErrAlreadyExists)
		_, err = s.GetAccessToken(ctx, "missing")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("revoke what was exchanged from a token", func(t *testing.T) {
		s := newStore(t)
		source := newAccessToken(uniq("c"), "")
		exchanged := newAccessToken(uniq("c"), "")
		exchanged.SourceJTI = source.JTI
		unrelated := newAccessToken(exchanged.ClientID, "")
		for _, tok := range []core.AccessToken{source, exchanged, unrelated} {
			require.NoError(t, s.SaveAccessToken(ctx, tok))
		}
		got, err := s.GetAccessToken(ctx, exchanged.JTI)
		require.NoError(t, err)
		assert.Equal(t, exchanged, got, "the source is kept")
		revoked, err := s.RevokeAccessTokens(ctx, core.TokenFilter{SourceJTI: source.JTI}, base.Add(time.Minute))
		require.NoError(t, err)
		require.Len(t, revoked, 1)
		assert.Equal(t, exchanged.JTI, revoked[0].JTI)
		got, err = s.GetAccessToken(ctx, unrelated.JTI)
		require.NoError(t, err)
		assert.True(t, got.RevokedAt.IsZero(), "only what came from the source")
		n, err := s.RevokeRefreshTokens(ctx, core.TokenFilter{SourceJTI: source.JTI}, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Zero(t, n, "no refresh token has a source")
	})
	t.Run("revoke one", func(t *testing.T) {
		s := newStore(t)
		tok := newAccessToken(uniq("c"), "")
		require.NoError(t, s.SaveAccessToken(ctx, tok))
		got, err := s.RevokeAccessToken(ctx, tok.JTI, base.Add(time.Minute))
		require.NoError(t, err)
		assert.True(t, got.RevokedAt.Equal(base.Add(time.Minute)))
		// Revoking again keeps the first time.
		got, err = s.RevokeAccessToken(ctx, tok.JTI, base.Add(2*time.Minute))
		require.NoError(t, err)
		assert.True(t, got.RevokedAt.Equal(base.Add(time.Minute)))
		_, err = s.RevokeAccessToken(ctx, "missing", base)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("revoke by filter and list revoked", func(t *testing.T) {
		s := newStore(t)
		client, user := uniq("c"), uniq("u")
		a := newAccessToken(client, "")
		b := newAccessToken(client, user)
		b.FamilyID = uniq("fam")
		other := newAccessToken(uniq("c"), "")
		expired := newAccessToken(client, "")
		expired.ExpiresAt = base.Add(time.Second)
		for _, tok := range []core.AccessToken{a, b, other, expired} {
			require.NoError(t, s.SaveAccessToken(ctx, tok))
		}
		now := base.Add(time.Minute)
		revoked, err := s.RevokeAccessTokens(ctx, core.TokenFilter{FamilyID: b.FamilyID}, now)
		require.NoError(t, err)
		require.Len(t, revoked, 1)
		assert.Equal(t, b.JTI, revoked[0].JTI)
		revoked, err = s.RevokeAccessTokens(ctx, core.TokenFilter{ClientID: client}, now)
		require.NoError(t, err)
		require.Len(t, revoked, 1, "only the unexpired, unrevoked token of the client")
		assert.Equal(t, a.JTI, revoked[0].JTI)
		revoked, err = s.RevokeAccessTokens(ctx, core.TokenFilter{}, now)
		require.NoError(t, err)
		assert.Empty(t, revoked, "an empty filter matches nothing")
		list, err := s.ListRevokedAccessTokens(ctx, now)
		require.NoError(t, err)
		jtis := map[string]bool{}
		for _, tok := range list {
			jtis[tok.JTI] = true
		}
		assert.True(t, jtis[a.JTI])
		assert.True(t, jtis[b.JTI])
		assert.False(t, jtis[other.JTI])
		got, err := s.GetAccessToken(ctx, other.JTI)
		require.NoError(t, err)
		assert.True(t, got.RevokedAt.IsZero())
	})
}

func newRefresh(clientID, userID string) core.RefreshToken {
	return core.RefreshToken{
		Hash: uniq("rt"), FamilyID: uniq("fam"), ClientID: clientID, UserID: userID,
		Scopes: []string{"openid"}, IssuedAt: base, ExpiresAt: base.Add(24 * time.Hour),
	}
}

func runRefreshTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	setup := func(t *testing.T) (Store, core.RefreshToken) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		rt := newRefresh(c.ID, u.ID)
		require.NoError(t, s.CreateRefreshToken(ctx, rt))
		return s, rt
	}
	successor := func(old core.RefreshToken) core.RefreshToken {
		n := old
		n.Hash = uniq("rt")
		n.IssuedAt = base.Add(time.Minute)
		return n
	}
	t.Run("create get", func(t *testing.T) {
		s, rt := setup(t)
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		require.NoError(t, err)
		assert.Equal(t, core.Standing{}, got.Holder, "a person with no roles and no cutoff")
		got.Holder = core.Standing{}
		assert.Equal(t, rt, got)
		assert.ErrorIs(t, s.CreateRefreshToken(ctx, rt), core.ErrAlreadyExists)
		_, err = s.GetRefreshToken(ctx, "missing")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("get and rotate read the person's standing now", func(t *testing.T) {
		s, rt := setup(t)
		cutoff := base.Add(time.Hour)
		_, err := s.UpdateUser(ctx, rt.UserID, func(u core.User) (core.User, error) {
			u.NotBefore, u.Roles = cutoff, []string{core.RoleAdmin}
			return u, nil
		})
		require.NoError(t, err)
		want := core.Standing{NotBefore: cutoff, Roles: []string{core.RoleAdmin}}
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		require.NoError(t, err)
		assert.Equal(t, want, got.Holder)
		var seen core.Standing
		_, err = s.RotateRefreshToken(ctx, rt.Hash, func(old core.RefreshToken) (core.RefreshToken, error) {
			seen = old.Holder
			return successor(old), nil
		})
		require.NoError(t, err)
		assert.Equal(t, want, seen)
		assert.False(t, got.Alive(), "a family signed in before the cutoff")
	})
	t.Run("rotate", func(t *testing.T) {
		s, rt := setup(t)
		var next core.RefreshToken
		old, err := s.RotateRefreshToken(ctx, rt.Hash, func(old core.RefreshToken) (core.RefreshToken, error) {
			next = successor(old)
			return next, nil
		})
		require.NoError(t, err)
		assert.Equal(t, rt.Hash, old.Hash)
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		require.NoError(t, err)
		assert.True(t, got.RotatedAt.Equal(next.IssuedAt))
		got, err = s.GetRefreshToken(ctx, next.Hash)
		require.NoError(t, err)
		assert.Equal(t, next, got)
	})
	t.Run("a second rotation keeps the first rotation time", func(t *testing.T) {
		s, rt := setup(t)
		first := successor(rt)
		_, err := s.RotateRefreshToken(ctx, rt.Hash, func(core.RefreshToken) (core.RefreshToken, error) { return first, nil })
		require.NoError(t, err)
		second := successor(rt)
		second.IssuedAt = first.IssuedAt.Add(5 * time.Second)
		_, err = s.RotateRefreshToken(ctx, rt.Hash, func(core.RefreshToken) (core.RefreshToken, error) { return second, nil })
		require.NoError(t, err)
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		require.NoError(t, err)
		assert.True(t, got.RotatedAt.Equal(first.IssuedAt), "the reuse interval counts from the first rotation: %v", got.RotatedAt)
		for _, h := range []string{first.Hash, second.Hash} {
			got, err := s.GetRefreshToken(ctx, h)
			require.NoError(t, err)
			assert.True(t, got.RotatedAt.IsZero(), "both successors live")
		}
	})
	t.Run("rotate error writes nothing and returns old", func(t *testing.T) {
		s, rt := setup(t)
		boom := errors.New("boom")
		old, err := s.RotateRefreshToken(ctx, rt.Hash, func(core.RefreshToken) (core.RefreshToken, error) { return core.RefreshToken{}, boom })
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, rt.FamilyID, old.FamilyID)
		got, err := s.GetRefreshToken(ctx, rt.Hash)
		require.NoError(t, err)
		assert.True(t, got.RotatedAt.IsZero())
	})
	t.Run("rotate missing", func(t *testing.T) {
		s := newStore(t)
		_, err := s.RotateRefreshToken(ctx, "missing", func(o core.RefreshToken) (core.RefreshToken, error) { return o, nil })
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("concurrent rotations: exactly one wins", func(t *testing.T) {
		s, rt := setup(t)
		const n = 16
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.RotateRefreshToken(ctx, rt.Hash, func(old core.RefreshToken) (core.RefreshToken, error) {
					if err := old.CheckRefresh(old.ClientID, base.Add(time.Minute), 0); err != nil {
						return core.RefreshToken{}, err
					}
					return successor(old), nil
				})
				if err == nil {
					wins.Add(1)
				} else {
					assert.ErrorIs(t, err, core.ErrRefreshReused)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
	t.Run("revoke family", func(t *testing.T) {
		s, rt := setup(t)
		var next core.RefreshToken
		_, err := s.RotateRefreshToken(ctx, rt.Hash, func(old core.RefreshToken) (core.RefreshToken, error) {
			next = successor(old)
			return next, nil
		})
		require.NoError(t, err)
		n, err := s.RevokeRefreshTokens(ctx, core.TokenFilter{FamilyID: rt.FamilyID}, base.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		got, err := s.GetRefreshToken(ctx, next.Hash)
		require.NoError(t, err)
		assert.False(t, got.RevokedAt.IsZero())
		n, err = s.RevokeRefreshTokens(ctx, core.TokenFilter{FamilyID: rt.FamilyID}, base.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "already revoked")
		n, err = s.RevokeRefreshTokens(ctx, core.TokenFilter{}, base)
		require.NoError(t, err)
		assert.Equal(t, 0, n)
	})
	t.Run("revoke by user", func(t *testing.T) {
		s, rt := setup(t)
		n, err := s.RevokeRefreshTokens(ctx, core.TokenFilter{UserID: rt.UserID}, base)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
	})
}

func newCode(clientID, userID string) core.AuthCode {
	return core.AuthCode{
		Hash: uniq("code"), ClientID: clientID, UserID: userID, RedirectURI: "https://app.example/cb",
		Scopes: []string{"openid"}, CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", CodeChallengeMethod: core.PKCEMethodS256,
		IssuedAt: base, ExpiresAt: base.Add(10 * time.Minute),
	}
}

func runAuthCodeTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	setup := func(t *testing.T) (Store, core.AuthCode) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		code := newCode(c.ID, u.ID)
		require.NoError(t, s.CreateAuthCode(ctx, code))
		return s, code
	}
	redeem := func(old core.AuthCode) (core.AuthCode, error) {
		return old.Redeem(old.ClientID, old.RedirectURI, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", base.Add(time.Minute))
	}
	t.Run("create and redeem once", func(t *testing.T) {
		s, code := setup(t)
		assert.ErrorIs(t, s.CreateAuthCode(ctx, code), core.ErrAlreadyExists)
		got, err := s.UpdateAuthCode(ctx, code.Hash, redeem)
		require.NoError(t, err)
		assert.True(t, got.RedeemedAt.Equal(base.Add(time.Minute)))
		again, err := s.UpdateAuthCode(ctx, code.Hash, redeem)
		assert.ErrorIs(t, err, core.ErrCodeReused)
		assert.Equal(t, code.UserID, again.UserID, "the stored code comes back with the error")
	})
	t.Run("missing", func(t *testing.T) {
		_, err := newStore(t).UpdateAuthCode(ctx, "missing", redeem)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("concurrent redemptions: exactly one wins", func(t *testing.T) {
		s, code := setup(t)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UpdateAuthCode(ctx, code.Hash, redeem); err == nil {
					wins.Add(1)
				} else {
					assert.ErrorIs(t, err, core.ErrCodeReused)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
}

func runResetTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("consume once before expiry", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		r := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		require.NoError(t, s.CreatePasswordReset(ctx, r))
		got, err := s.ConsumePasswordReset(ctx, r.Hash, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.UserID)
		_, err = s.ConsumePasswordReset(ctx, r.Hash, base.Add(time.Minute))
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("expired", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		r := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		require.NoError(t, s.CreatePasswordReset(ctx, r))
		_, err := s.ConsumePasswordReset(ctx, r.Hash, base.Add(time.Hour))
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("unknown", func(t *testing.T) {
		_, err := newStore(t).ConsumePasswordReset(ctx, "missing", base)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("a newer reset ends the earlier ones of the person only", func(t *testing.T) {
		s := newStore(t)
		u, other := newUser(uniq("u")+"@example.com"), newUser(uniq("o")+"@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		require.NoError(t, s.CreateUser(ctx, other))
		older := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		others := core.PasswordReset{Hash: uniq("reset"), UserID: other.ID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)}
		newer := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base.Add(time.Minute), ExpiresAt: base.Add(time.Hour)}
		require.NoError(t, s.CreatePasswordReset(ctx, older))
		require.NoError(t, s.CreatePasswordReset(ctx, others))
		require.NoError(t, s.CreatePasswordReset(ctx, newer))
		_, err := s.ConsumePasswordReset(ctx, older.Hash, base.Add(2*time.Minute))
		assert.ErrorIs(t, err, core.ErrNotFound, "the earlier link is ended")
		_, err = s.ConsumePasswordReset(ctx, others.Hash, base.Add(2*time.Minute))
		assert.NoError(t, err, "another person's link stays")
		_, err = s.ConsumePasswordReset(ctx, newer.Hash, base.Add(2*time.Minute))
		assert.NoError(t, err)
	})
}

func runPurgeTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	t.Run("deletes only expired rows", func(t *testing.T) {
		s := newStore(t)
		c := newClient(uniq("c"))
		require.NoError(t, s.CreateClient(ctx, c))
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		live := newAccessToken(c.ID, "")
		dead := newAccessToken(c.ID, "")
		dead.ExpiresAt = base.Add(time.Second)
		require.NoError(t, s.SaveAccessToken(ctx, live))
		require.NoError(t, s.SaveAccessToken(ctx, dead))
		deadRT := newRefresh(c.ID, u.ID)
		deadRT.ExpiresAt = base.Add(time.Second)
		require.NoError(t, s.CreateRefreshToken(ctx, deadRT))
		liveRT := newRefresh(c.ID, u.ID)
		require.NoError(t, s.CreateRefreshToken(ctx, liveRT))
		deadCode := newCode(c.ID, u.ID)
		deadCode.ExpiresAt = base.Add(time.Second)
		require.NoError(t, s.CreateAuthCode(ctx, deadCode))
		deadReset := core.PasswordReset{Hash: uniq("reset"), UserID: u.ID, CreatedAt: base, ExpiresAt: base.Add(time.Second)}
		require.NoError(t, s.CreatePasswordReset(ctx, deadReset))

		st, err := s.PurgeExpired(ctx, base.Add(time.Minute), 1)
		require.NoError(t, err)
		// Change-log rows (PostgreSQL) expire by the database's own
		// clock, an hour after they were written, not by base.
		st.Changes = 0
		assert.Equal(t, core.PurgeStats{AccessTokens: 1, RefreshTokens: 1, AuthCodes: 1, PasswordResets: 1}, st)
		_, err = s.GetAccessToken(ctx, dead.JTI)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.GetAccessToken(ctx, live.JTI)
		assert.NoError(t, err)
		_, err = s.GetRefreshToken(ctx, liveRT.Hash)
		assert.NoError(t, err)
	})
}

func runAuditTests(t *testing.T, newStore func(*testing.T) Store) {
	t.Run("record", func(t *testing.T) {
		s := newStore(t)
		e := core.AuditEvent{ID: "6f9d1c1e-8a1a-4c39-9b52-2d2f3f9a7a10", Type: core.AuditTokenIssued, ClientID: "c", IP: "127.0.0.1", UserAgent: "test", RequestID: "r1", Success: true, CreatedAt: base}
		assert.NoError(t, s.RecordAudit(context.Background(), e))
	})
}

func runLoginDeviceTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	count := func(d core.LoginDevice) (core.LoginDevice, error) {
		d.FailedLogins++
		d.LockedUntil = base.Add(time.Duration(d.FailedLogins) * time.Minute)
		return d, nil
	}
	t.Run("remembered devices keep their back-off", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		_, err := s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.1", count)
		require.ErrorIs(t, err, core.ErrNotFound, "an unknown device")
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"addr:192.0.2.1", "cookie:abc"}, base, core.MaxLoginDevices))
		d, err := s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.1", count)
		require.NoError(t, err)
		assert.Equal(t, u.ID, d.UserID)
		assert.Equal(t, "addr:192.0.2.1", d.Key)
		assert.Equal(t, 1, d.FailedLogins)
		assert.True(t, d.LockedUntil.Equal(base.Add(time.Minute)))
		assert.True(t, d.LastLoginAt.Equal(base))

		// Signing in again moves LastLoginAt and keeps the back-off.
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"addr:192.0.2.1"}, base.Add(time.Hour), core.MaxLoginDevices))
		d, err = s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.1", count)
		require.NoError(t, err)
		assert.Equal(t, 2, d.FailedLogins)
		assert.True(t, d.LastLoginAt.Equal(base.Add(time.Hour)))

		other, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:abc", func(d core.LoginDevice) (core.LoginDevice, error) { return d, nil })
		require.NoError(t, err)
		assert.Zero(t, other.FailedLogins, "devices count apart")
		assert.True(t, other.LockedUntil.IsZero())

		// Another account has none of them.
		v := newUser(uniq("v") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, v))
		_, err = s.UpdateLoginDevice(ctx, v.ID, "cookie:abc", count)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("an error from fn writes nothing", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"cookie:x"}, base, core.MaxLoginDevices))
		boom := errors.New("boom")
		_, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:x", func(d core.LoginDevice) (core.LoginDevice, error) {
			d.FailedLogins = 9
			return d, boom
		})
		assert.ErrorIs(t, err, boom)
		d, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:x", count)
		require.NoError(t, err)
		assert.Equal(t, 1, d.FailedLogins)
	})
	t.Run("only the most recent devices are kept", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		for i := range 5 {
			require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{fmt.Sprintf("cookie:%d", i)}, base.Add(time.Duration(i)*time.Minute), 3))
		}
		for i := range 5 {
			_, err := s.UpdateLoginDevice(ctx, u.ID, fmt.Sprintf("cookie:%d", i), count)
			if i < 2 {
				assert.ErrorIs(t, err, core.ErrNotFound, "device %d is among the oldest", i)
			} else {
				assert.NoError(t, err, "device %d is among the three most recent", i)
			}
		}
	})
	t.Run("one kind of device never pushes out another", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"cookie:old"}, base, 2))
		for i := range 5 {
			require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{fmt.Sprintf("addr:192.0.2.%d", i)}, base.Add(time.Duration(i+1)*time.Minute), 2))
		}
		_, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:old", count)
		assert.NoError(t, err, "five newer addresses leave the browser known")
		_, err = s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.2", count)
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UpdateLoginDevice(ctx, u.ID, "addr:192.0.2.4", count)
		assert.NoError(t, err)
	})
	t.Run("concurrent updates each see the one before", func(t *testing.T) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"cookie:c"}, base, core.MaxLoginDevices))
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:c", count)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		d, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:c", func(d core.LoginDevice) (core.LoginDevice, error) { return d, nil })
		require.NoError(t, err)
		assert.Equal(t, 10, d.FailedLogins)
	})
	t.Run("unknown account; deleting the account deletes its devices", func(t *testing.T) {
		s := newStore(t)
		assert.ErrorIs(t, s.RememberLoginDevices(ctx, "00000000-0000-0000-0000-000000000000", []string{"cookie:c"}, base, core.MaxLoginDevices), core.ErrNotFound)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		require.NoError(t, s.RememberLoginDevices(ctx, u.ID, []string{"cookie:c"}, base, core.MaxLoginDevices))
		require.NoError(t, s.DeleteUser(ctx, u.ID))
		_, err := s.UpdateLoginDevice(ctx, u.ID, "cookie:c", count)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
}

func runUserTokenTests(t *testing.T, newStore func(*testing.T) Store) {
	ctx := context.Background()
	s := newStore(t)
	u := newUser(uniq("u") + "@example.com")
	require.NoError(t, s.CreateUser(ctx, u))
	v := newUser(uniq("v") + "@example.com")
	require.NoError(t, s.CreateUser(ctx, v))
	c := newClient(uniq("c"))
	require.NoError(t, s.CreateClient(ctx, c))

	live := newRefresh(c.ID, u.ID)
	expired := newRefresh(c.ID, u.ID)
	expired.IssuedAt, expired.ExpiresAt = base.Add(-2*time.Hour), base.Add(-time.Second)
	theirs := newRefresh(c.ID, v.ID)
	for _, rt := range []core.RefreshToken{live, expired, theirs} {
		require.NoError(t, s.CreateRefreshToken(ctx, rt))
	}
	got, err := s.ListUserRefreshTokens(ctx, u.ID, base)
	require.NoError(t, err)
	require.Len(t, got, 1, "only the person's unexpired tokens")
	assert.Equal(t, live.FamilyID, got[0].FamilyID)

	older, newer, revoked, other := newAccessToken(c.ID, u.ID), newAccessToken(c.ID, u.ID), newAccessToken(c.ID, u.ID), newAccessToken(c.ID, v.ID)
	newer.IssuedAt = base.Add(time.Second)
	for _, at := range []core.AccessToken{older, newer, revoked, other} {
		require.NoError(t, s.SaveAccessToken(ctx, at))
	}
	_, err = s.RevokeAccessToken(ctx, revoked.JTI, base)
	require.NoError(t, err)
	list, err := s.ListUserAccessTokens(ctx, u.ID, base)
	require.NoError(t, err)
	require.Len(t, list, 2, "unrevoked tokens of the person")
	assert.Equal(t, newer.JTI, list[0].JTI, "newest first")
	assert.Equal(t, older.JTI, list[1].JTI)
	list, err = s.ListUserAccessTokens(ctx, u.ID, base.Add(time.Hour))
	require.NoError(t, err)
	assert.Empty(t, list, "expired tokens are not listed")
}
