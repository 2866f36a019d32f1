package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/ports"
)

// RunSigningKeyStoreTests runs the contract of ports.SigningKeyStore. Keys
// are opaque bytes to the store, so the tests use made-up ones.
func RunSigningKeyStoreTests(t *testing.T, newStore func(t *testing.T) ports.SigningKeyStore) {
	ctx := context.Background()
	t.Run("generates once, then returns the stored key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var calls atomic.Int32
		gen := generator("first", &calls)
		got, err := s.SigningKey(ctx, "ES256", gen)
		require.NoError(t, err)
		assert.Equal(t, []byte("first-1"), got)
		got, err = s.SigningKey(ctx, "ES256", gen)
		require.NoError(t, err)
		assert.Equal(t, []byte("first-1"), got)
		assert.Equal(t, int32(1), calls.Load(), "generate runs only while no key is stored")
	})
	t.Run("one key per algorithm", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
			got, err := s.SigningKey(ctx, alg, func() ([]byte, error) { return []byte("key for " + alg), nil })
			require.NoError(t, err)
			assert.Equal(t, []byte("key for "+alg), got)
		}
		for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
			got, err := s.SigningKey(ctx, alg, func() ([]byte, error) { return nil, errors.New("must not be called") })
			require.NoError(t, err)
			assert.Equal(t, []byte("key for "+alg), got)
		}
	})
	t.Run("a generate error is returned and nothing is stored", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		boom := errors.New("no entropy")
		_, err := s.SigningKey(ctx, "EdDSA", func() ([]byte, error) { return nil, boom })
		require.ErrorIs(t, err, boom)
		got, err := s.SigningKey(ctx, "EdDSA", func() ([]byte, error) { return []byte("later"), nil })
		require.NoError(t, err)
		assert.Equal(t, []byte("later"), got)
	})
	t.Run("the caller cannot change the stored key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		got, err := s.SigningKey(ctx, "RS256", func() ([]byte, error) { return []byte("stable"), nil })
		require.NoError(t, err)
		got[0] = 'X'
		again, err := s.SigningKey(ctx, "RS256", func() ([]byte, error) { return []byte("other"), nil })
		require.NoError(t, err)
		assert.Equal(t, []byte("stable"), again)
	})
	t.Run("concurrent first calls all get the same key", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		const n = 16
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			calls atomic.Int32
			got   [n][]byte
			errs  [n]error
		)
		gen := generator("racer", &calls)
		for i := range n {
			wg.Go(func() {
				<-start
				got[i], errs[i] = s.SigningKey(ctx, "ES256", gen)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			require.NoError(t, errs[i])
			assert.Equal(t, got[0], got[i], "caller %d", i)
		}
		assert.GreaterOrEqual(t, calls.Load(), int32(1))
		again, err := s.SigningKey(ctx, "ES256", gen)
		require.NoError(t, err)
		assert.Equal(t, got[0], again, "the key returned is the one kept")
	})
}

// generator returns a generate function whose every call makes a distinct
// key, counting the calls.
func generator(prefix string, calls *atomic.Int32) func() ([]byte, error) {
	return func() ([]byte, error) {
		return []byte(fmt.Sprintf("%s-%d", prefix, calls.Add(1))), nil
	}
}
