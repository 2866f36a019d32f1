package porttest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// FactorStore is what the factor contract needs: factors, and the accounts
// they belong to.
type FactorStore interface {
	ports.FactorRepository
	ports.UserRepository
}

// RunFactorTests runs the contract of ports.FactorRepository against stores
// made by newStore, a fresh one per subtest.
func RunFactorTests(t *testing.T, newStore func(t *testing.T) FactorStore) {
	t.Helper()
	ctx := context.Background()
	setup := func(t *testing.T) (FactorStore, core.User) {
		s := newStore(t)
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(ctx, u))
		return s, u
	}
	enrolled := func(f core.Factors) (core.Factors, error) {
		f.TOTPSealed = []byte{0, 1, 2, 0xff}
		f.TOTPConfirmedAt = base
		f.TOTPLastStep = 42
		f.RecoveryCodes = []string{"h1", "h2"}
		f.UpdatedAt = base
		return f, nil
	}
	t.Run("none until updated", func(t *testing.T) {
		s, u := setup(t)
		_, err := s.GetFactors(ctx, u.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
		got, err := s.UpdateFactors(ctx, u.ID, func(old core.Factors) (core.Factors, error) {
			assert.Equal(t, u.ID, old.UserID)
			assert.True(t, old.Empty())
			return enrolled(old)
		})
		require.NoError(t, err)
		assert.True(t, got.HasTOTP())
		read, err := s.GetFactors(ctx, u.ID)
		require.NoError(t, err)
		assert.Equal(t, []byte{0, 1, 2, 0xff}, read.TOTPSealed)
		assert.True(t, base.Equal(read.TOTPConfirmedAt))
		assert.Equal(t, int64(42), read.TOTPLastStep)
		assert.Equal(t, []string{"h1", "h2"}, read.RecoveryCodes)
		assert.Equal(t, u.ID, read.UserID)
	})
	t.Run("unknown account", func(t *testing.T) {
		s := newStore(t)
		_, err := s.UpdateFactors(ctx, "00000000-0000-0000-0000-000000000000", enrolled)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("an error from fn writes nothing", func(t *testing.T) {
		s, u := setup(t)
		_, err := s.UpdateFactors(ctx, u.ID, enrolled)
		require.NoError(t, err)
		boom := errors.New("boom")
		_, err = s.UpdateFactors(ctx, u.ID, func(f core.Factors) (core.Factors, error) {
			f.RecoveryCodes = nil
			return f, boom
		})
		assert.ErrorIs(t, err, boom)
		read, err := s.GetFactors(ctx, u.ID)
		require.NoError(t, err)
		assert.Len(t, read.RecoveryCodes, 2)
	})
	t.Run("empty deletes", func(t *testing.T) {
		s, u := setup(t)
		_, err := s.UpdateFactors(ctx, u.ID, enrolled)
		require.NoError(t, err)
		_, err = s.UpdateFactors(ctx, u.ID, func(core.Factors) (core.Factors, error) { return core.Factors{}, nil })
		require.NoError(t, err)
		_, err = s.GetFactors(ctx, u.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("pending secret kept unconfirmed", func(t *testing.T) {
		s, u := setup(t)
		_, err := s.UpdateFactors(ctx, u.ID, func(f core.Factors) (core.Factors, error) {
			f.TOTPSealed = []byte("sealed")
			return f, nil
		})
		require.NoError(t, err)
		read, err := s.GetFactors(ctx, u.ID)
		require.NoError(t, err)
		assert.False(t, read.HasTOTP())
		assert.True(t, read.TOTPConfirmedAt.IsZero())
		assert.Empty(t, read.RecoveryCodes)
	})
	t.Run("deleted with the account", func(t *testing.T) {
		s, u := setup(t)
		_, err := s.UpdateFactors(ctx, u.ID, enrolled)
		require.NoError(t, err)
		require.NoError(t, s.DeleteUser(ctx, u.ID))
		_, err = s.GetFactors(ctx, u.ID)
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("concurrent updates each see the one before", func(t *testing.T) {
		// A TOTP step is consumed once: of concurrent uses of one code,
		// on any instance, exactly one wins.
		s, u := setup(t)
		_, err := s.UpdateFactors(ctx, u.ID, enrolled)
		require.NoError(t, err)
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.UpdateFactors(ctx, u.ID, func(f core.Factors) (core.Factors, error) {
					if f.TOTPLastStep >= 43 {
						return f, core.ErrInvalidMFACode
					}
					f.TOTPLastStep = 43
					time.Sleep(time.Millisecond)
					return f, nil
				})
				if err == nil {
					wins.Add(1)
				} else {
					assert.ErrorIs(t, err, core.ErrInvalidMFACode)
				}
			}()
		}
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load())
	})
}
