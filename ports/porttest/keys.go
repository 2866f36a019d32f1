package porttest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// RunSigningKeyStoreTests runs the contract of ports.SigningKeyStore. Keys
// are opaque bytes to the store, so the tests use short stand-ins.
func RunSigningKeyStoreTests(t *testing.T, newStore func(t *testing.T) ports.SigningKeyStore) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	key := func(id, alg string, at time.Time) core.SigningKey {
		return core.SigningKey{ID: id, Alg: alg, PEM: []byte("pem of " + id), CreatedAt: at}
	}

	t.Run("one active key per algorithm", func(t *testing.T) {
		s := newStore(t)
		ok, err := s.AddSigningKey(ctx, key("k1", "ES256", t0))
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = s.AddSigningKey(ctx, key("k2", "ES256", t0.Add(time.Second)))
		require.NoError(t, err)
		assert.False(t, ok, "a second active ES256 key is refused")
		ok, err = s.AddSigningKey(ctx, key("k3", "RS256", t0))
		require.NoError(t, err)
		assert.True(t, ok, "another algorithm has its own active key")
		got, err := s.SigningKeys(ctx, t0)
		require.NoError(t, err)
		require.Len(t, got, 2)
		ids := map[string]core.SigningKey{}
		for _, k := range got {
			ids[k.ID] = k
		}
		assert.Equal(t, []byte("pem of k1"), ids["k1"].PEM)
		assert.True(t, ids["k1"].Active())
		assert.True(t, ids["k1"].CreatedAt.Equal(t0))
	})

	t.Run("retired keys stay listed after since, then leave", func(t *testing.T) {
		s := newStore(t)
		_, err := s.AddSigningKey(ctx, key("old", "EdDSA", t0))
		require.NoError(t, err)
		n, err := s.RetireSigningKeys(ctx, t0.Add(time.Minute), t0.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		ok, err := s.AddSigningKey(ctx, key("new", "EdDSA", t0.Add(time.Hour)))
		require.NoError(t, err)
		assert.True(t, ok, "after retirement a new key may become active")

		got, err := s.SigningKeys(ctx, t0.Add(30*time.Minute))
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "old", got[0].ID, "oldest first")
		assert.False(t, got[0].Active())
		assert.True(t, got[0].RetiredAt.Equal(t0.Add(time.Hour)))
		assert.True(t, got[1].Active())

		got, err = s.SigningKeys(ctx, t0.Add(2*time.Hour))
		require.NoError(t, err)
		require.Len(t, got, 1, "a key retired before since is no longer listed")
		assert.Equal(t, "new", got[0].ID)
	})

	t.Run("retire leaves younger keys", func(t *testing.T) {
		s := newStore(t)
		_, err := s.AddSigningKey(ctx, key("a", "RS256", t0))
		require.NoError(t, err)
		_, err = s.AddSigningKey(ctx, key("b", "ES256", t0.Add(2*time.Hour)))
		require.NoError(t, err)
		n, err := s.RetireSigningKeys(ctx, t0.Add(time.Hour), t0.Add(3*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		n, err = s.RetireSigningKeys(ctx, t0.Add(time.Hour), t0.Add(3*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "a retired key is not retired again")
	})

	t.Run("concurrent adds keep one", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var (
			wg   sync.WaitGroup
			won  [n]bool
			errs [n]error
		)
		for i := range n {
			wg.Go(func() { won[i], errs[i] = s.AddSigningKey(ctx, key(fmt.Sprint("c", i), "ES256", t0)) })
		}
		wg.Wait()
		wins := 0
		for i := range n {
			require.NoError(t, errs[i])
			if won[i] {
				wins++
			}
		}
		assert.Equal(t, 1, wins)
		got, err := s.SigningKeys(ctx, t0)
		require.NoError(t, err)
		assert.Len(t, got, 1)
	})
}

// RunSecretUseStoreTests runs the contract of ports.SecretUseStore.
func RunSecretUseStoreTests(t *testing.T, newStore func(t *testing.T) ports.SecretUseStore) {
	ctx := context.Background()
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

	t.Run("unknown secret has no use", func(t *testing.T) {
		s := newStore(t)
		got, err := s.SecretLastUsed(ctx, "hs-unknown")
		require.NoError(t, err)
		assert.True(t, got.IsZero())
	})

	t.Run("latest use wins and never moves back", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.MarkSecretUse(ctx, "hs-a", t0))
		require.NoError(t, s.MarkSecretUse(ctx, "hs-a", t0.Add(time.Minute)))
		require.NoError(t, s.MarkSecretUse(ctx, "hs-a", t0.Add(30*time.Second)))
		require.NoError(t, s.MarkSecretUse(ctx, "hs-b", t0.Add(time.Hour)))
		got, err := s.SecretLastUsed(ctx, "hs-a")
		require.NoError(t, err)
		assert.True(t, got.Equal(t0.Add(time.Minute)), "got %s", got)
		got, err = s.SecretLastUsed(ctx, "hs-b")
		require.NoError(t, err)
		assert.True(t, got.Equal(t0.Add(time.Hour)), "each secret apart")
	})

	t.Run("concurrent marks keep the latest", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range 8 {
			wg.Go(func() { errs[i] = s.MarkSecretUse(ctx, "hs-c", t0.Add(time.Duration(i)*time.Second)) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		got, err := s.SecretLastUsed(ctx, "hs-c")
		require.NoError(t, err)
		assert.True(t, got.Equal(t0.Add(7*time.Second)), "got %s", got)
	})
}
