package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// ConsentStore stores people, clients and their consents.
type ConsentStore interface {
	ports.ClientRepository
	ports.UserRepository
	ports.ConsentRepository
}

func grant(scopes ...string) func(core.Consent) (core.Consent, error) {
	return func(c core.Consent) (core.Consent, error) { return c.WithScopes(scopes, base), nil }
}

// RunConsentTests runs the contract of ports.ConsentRepository against
// stores made by newStore, a fresh one per subtest.
func RunConsentTests(t *testing.T, newStore func(t *testing.T) ConsentStore) {
	t.Helper()
	ctx := context.Background()
	setup := func(t *testing.T) (ConsentStore, core.User, core.Client, core.Client) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		a, b := newClient(uniq("a")), newClient(uniq("b"))
		require.NoError(t, s.CreateClient(ctx, a))
		require.NoError(t, s.CreateClient(ctx, b))
		return s, u, a, b
	}
	t.Run("grant, widen, list, forget", func(t *testing.T) {
		s, u, a, b := setup(t)
		_, err := s.GetConsent(ctx, u.ID, a.ID)
		require.ErrorIs(t, err, core.ErrNotFound)
		c, err := s.UpdateConsent(ctx, u.ID, a.ID, grant("openid", "profile"))
		require.NoError(t, err)
		assert.Equal(t, []string{"openid", "profile"}, c.Scopes)
		_, err = s.UpdateConsent(ctx, u.ID, a.ID, func(c core.Consent) (core.Consent, error) {
			return c.WithScopes([]string{"email"}, base.Add(time.Minute)), nil
		})
		require.NoError(t, err)
		got, err := s.GetConsent(ctx, u.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, u.ID, got.UserID)
		assert.Equal(t, a.ID, got.ClientID)
		assert.Equal(t, []string{"email", "openid", "profile"}, got.Scopes)
		assert.True(t, got.GrantedAt.Equal(base), "granted_at stays the first approval")
		assert.True(t, got.UpdatedAt.Equal(base.Add(time.Minute)))
		_, err = s.UpdateConsent(ctx, u.ID, b.ID, grant())
		require.NoError(t, err)
		list, err := s.ListConsents(ctx, u.ID)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, a.ID, list[0].ClientID)
		assert.Equal(t, b.ID, list[1].ClientID)
		assert.Empty(t, list[1].Scopes, "consent to a client without scopes")

		require.NoError(t, s.DeleteConsent(ctx, u.ID, a.ID))
		_, err = s.GetConsent(ctx, u.ID, a.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
		assert.ErrorIs(t, s.DeleteConsent(ctx, u.ID, a.ID), core.ErrNotFound)
		list, err = s.ListConsents(ctx, u.ID)
		require.NoError(t, err)
		assert.Len(t, list, 1)
	})
	t.Run("an error from fn writes nothing", func(t *testing.T) {
		s, u, a, _ := setup(t)
		boom := errors.New("boom")
		_, err := s.UpdateConsent(ctx, u.ID, a.ID, func(core.Consent) (core.Consent, error) { return core.Consent{}, boom })
		assert.ErrorIs(t, err, boom)
		_, err = s.GetConsent(ctx, u.ID, a.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("unknown person or client", func(t *testing.T) {
		s, u, a, _ := setup(t)
		_, err := s.UpdateConsent(ctx, "nobody", a.ID, grant("openid"))
		assert.ErrorIs(t, err, core.ErrNotFound)
		_, err = s.UpdateConsent(ctx, u.ID, "no-client", grant("openid"))
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("deleting the person or the client forgets", func(t *testing.T) {
		s, u, a, b := setup(t)
		_, err := s.UpdateConsent(ctx, u.ID, a.ID, grant("openid"))
		require.NoError(t, err)
		_, err = s.UpdateConsent(ctx, u.ID, b.ID, grant("openid"))
		require.NoError(t, err)
		require.NoError(t, s.DeleteClient(ctx, a.ID))
		list, err := s.ListConsents(ctx, u.ID)
		require.NoError(t, err)
		require.Len(t, list, 1)
		assert.Equal(t, b.ID, list[0].ClientID)
		require.NoError(t, s.DeleteUser(ctx, u.ID))
		list, err = s.ListConsents(ctx, u.ID)
		require.NoError(t, err)
		assert.Empty(t, list)
	})
	t.Run("concurrent grants all count", func(t *testing.T) {
		s, u, a, _ := setup(t)
		scopes := []string{"s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8"}
		var wg sync.WaitGroup
		for _, sc := range scopes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateConsent(ctx, u.ID, a.ID, grant(sc))
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		got, err := s.GetConsent(ctx, u.ID, a.ID)
		require.NoError(t, err)
		assert.Equal(t, scopes, got.Scopes)
	})
}
