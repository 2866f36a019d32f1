package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

// TestCluster runs the adapter's suites against a real three-master Redis
// Cluster: Azure Cache for Redis at scale is one (REDIS_CLUSTER=true).
func TestCluster(t *testing.T) {
	t.Parallel()
	cl := redistest.StartCluster(t)
	openCluster := func(t *testing.T) *redis.Client {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := redis.Open(ctx, redis.Options{URL: cl.URL(), Cluster: true, KeyPrefix: cl.Prefix(t)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		return c
	}

	t.Run("rate limits", func(t *testing.T) {
		porttest.RunRateLimitStoreTests(t, func(t *testing.T) ports.RateLimitStore {
			return redis.NewRateLimitStore(openCluster(t))
		})
	})

	t.Run("rate limits on keys of many slots", func(t *testing.T) {
		// 64 keys land on every master; each script call touches one key,
		// so one slot, and none is refused with CROSSSLOT.
		s := redis.NewRateLimitStore(openCluster(t))
		l := core.RateLimit{Limit: 2, Window: time.Minute}
		now := time.Now()
		for i := range 64 {
			key := fmt.Sprintf("ip:%d", i)
			for j := range 3 {
				r, err := s.Allow(context.Background(), key, l, now)
				require.NoError(t, err, key)
				assert.Equal(t, j < 2, r.Allowed, "%s request %d", key, j+1)
			}
		}
	})

	t.Run("readiness ping", func(t *testing.T) {
		assert.NoError(t, openCluster(t).Ping(context.Background()))
	})

	t.Run("change notices cross nodes", func(t *testing.T) {
		c := openCluster(t)
		pub := redis.NewChangeNotifier(c, nil)
		t.Cleanup(pub.Close)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		got := make(chan struct{}, 16)
		go redis.NewChangeNotifier(c, nil).Listen(ctx, func() { got <- struct{}{} })
		deadline := time.After(5 * time.Second)
		for {
			// The subscription may not be in place at the first notice.
			pub.Notify()
			select {
			case <-got:
				return
			case <-time.After(50 * time.Millisecond):
			case <-deadline:
				t.Fatal("no change notice within 5s")
			}
		}
	})

	t.Run("malformed cluster URL fails at once", func(t *testing.T) {
		_, err := redis.Open(context.Background(), redis.Options{URL: "http://x", Cluster: true})
		assert.Error(t, err)
	})
}
