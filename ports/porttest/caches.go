package porttest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// FakeClock is a settable clock for tests.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewFakeClock returns a clock standing at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now implements ports.Clock.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var _ ports.Clock = (*FakeClock)(nil)

// RunRevocationCacheTests runs the contract of ports.RevocationCache. The
// factory gets the clock the cache must read expiry from; implementations
// that expire entries by the backing service's own clock (Redis TTL) may
// ignore it, so expiry is checked with real time spans.
func RunRevocationCacheTests(t *testing.T, newCache func(t *testing.T, clock ports.Clock) ports.RevocationCache) {
	ctx := context.Background()
	t.Run("revoke and check", func(t *testing.T) {
		clock := NewFakeClock(time.Now())
		c := newCache(t, clock)
		jti := uniq("jti")
		revoked, err := c.IsRevoked(ctx, jti)
		require.NoError(t, err)
		assert.False(t, revoked)
		require.NoError(t, c.RevokeJTI(ctx, jti, clock.Now().Add(time.Hour)))
		revoked, err = c.IsRevoked(ctx, jti)
		require.NoError(t, err)
		assert.True(t, revoked)
		revoked, err = c.IsRevoked(ctx, uniq("other"))
		require.NoError(t, err)
		assert.False(t, revoked)
	})
	t.Run("already expired is not kept", func(t *testing.T) {
		clock := NewFakeClock(time.Now())
		c := newCache(t, clock)
		jti := uniq("jti")
		require.NoError(t, c.RevokeJTI(ctx, jti, clock.Now().Add(-time.Second)))
		revoked, err := c.IsRevoked(ctx, jti)
		require.NoError(t, err)
		assert.False(t, revoked, "a token past its exp needs no revocation entry")
	})
}

// RunRateLimitStoreTests runs the contract of ports.RateLimitStore.
func RunRateLimitStoreTests(t *testing.T, newStore func(t *testing.T) ports.RateLimitStore) {
	ctx := context.Background()
	t.Run("allows up to the limit then refuses", func(t *testing.T) {
		s := newStore(t)
		key := uniq("ip")
		l := core.RateLimit{Limit: 3, Window: time.Minute}
		now := time.Now()
		for i := 0; i < 3; i++ {
			r, err := s.Allow(ctx, key, l, now)
			require.NoError(t, err)
			assert.True(t, r.Allowed)
			assert.Equal(t, 3, r.Limit)
			assert.Equal(t, 2-i, r.Remaining)
		}
		r, err := s.Allow(ctx, key, l, now)
		require.NoError(t, err)
		assert.False(t, r.Allowed)
		assert.Equal(t, 0, r.Remaining)
		assert.Greater(t, r.Reset, time.Duration(0))
		assert.LessOrEqual(t, r.Reset, time.Minute)
	})
	t.Run("keys are independent", func(t *testing.T) {
		s := newStore(t)
		l := core.RateLimit{Limit: 1, Window: time.Minute}
		now := time.Now()
		r, err := s.Allow(ctx, uniq("a"), l, now)
		require.NoError(t, err)
		assert.True(t, r.Allowed)
		r, err = s.Allow(ctx, uniq("b"), l, now)
		require.NoError(t, err)
		assert.True(t, r.Allowed)
	})
	t.Run("window passes", func(t *testing.T) {
		s := newStore(t)
		key := uniq("ip")
		l := core.RateLimit{Limit: 1, Window: time.Second}
		now := time.Now()
		r, err := s.Allow(ctx, key, l, now)
		require.NoError(t, err)
		require.True(t, r.Allowed)
		r, err = s.Allow(ctx, key, l, now)
		require.NoError(t, err)
		require.False(t, r.Allowed)
		r, err = s.Allow(ctx, key, l, now.Add(2*time.Second))
		require.NoError(t, err)
		assert.True(t, r.Allowed)
	})
}
