package redis_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

// open connects a client with its own key prefix, closed at cleanup.
func open(t testing.TB) (*redis.Client, string, string) {
	t.Helper()
	url, prefix := redistest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := redis.Open(ctx, redis.Options{URL: url, KeyPrefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, url, prefix
}

func TestRevocationCache(t *testing.T) {
	t.Parallel()
	porttest.RunRevocationCacheTests(t, func(t *testing.T, clock ports.Clock) ports.RevocationCache {
		c, _, _ := open(t)
		return redis.NewRevocationCache(c, clock)
	})
}

func TestClientCache(t *testing.T) {
	t.Parallel()
	porttest.RunClientCacheTests(t, func(t *testing.T, _ ports.Clock) ports.ClientCache {
		c, _, _ := open(t)
		return redis.NewClientCache(c, 0)
	})
}

func TestRateLimitStore(t *testing.T) {
	t.Parallel()
	porttest.RunRateLimitStoreTests(t, func(t *testing.T) ports.RateLimitStore {
		c, _, _ := open(t)
		return redis.NewRateLimitStore(c)
	})
}

func TestRateLimitStoreSpreadsOverTheWindow(t *testing.T) {
	t.Parallel()
	c, _, _ := open(t)
	s := redis.NewRateLimitStore(c)
	ctx := context.Background()
	l := core.RateLimit{Limit: 4, Window: time.Minute}
	now := time.Now()
	for range 4 {
		r, err := s.Allow(ctx, "k", l, now)
		require.NoError(t, err)
		require.True(t, r.Allowed)
	}
	r, err := s.Allow(ctx, "k", l, now.Add(14*time.Second))
	require.NoError(t, err)
	assert.False(t, r.Allowed, "one slot frees every window/limit = 15s")
	assert.Equal(t, time.Second, r.Reset)
	r, err = s.Allow(ctx, "k", l, now.Add(15*time.Second))
	require.NoError(t, err)
	assert.True(t, r.Allowed)
	assert.Equal(t, 0, r.Remaining)
	_, err = s.Allow(ctx, "k", core.RateLimit{}, now)
	assert.Error(t, err, "a zero limit is a configuration error")
}

func TestDurableRevocations(t *testing.T) {
	t.Parallel()
	porttest.RunRevocationCacheTests(t, func(t *testing.T, clock ports.Clock) ports.RevocationCache {
		c, _, _ := open(t)
		return redis.NewDurableRevocations(c, memory.NewStore(), clock)
	})
}

func revokedToken(t *testing.T, store *memory.Store, now time.Time) core.AccessToken {
	t.Helper()
	tok := core.AccessToken{
		JTI: fmt.Sprintf("jti-%d", time.Now().UnixNano()), Issuer: "http://localhost", Subject: "svc",
		ClientID: "svc", IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	ctx := context.Background()
	require.NoError(t, store.SaveAccessToken(ctx, tok))
	tok, err := store.RevokeAccessToken(ctx, tok.JTI, now)
	require.NoError(t, err)
	return tok
}

func TestDurableRevocationsRefillAfterFlush(t *testing.T) {
	t.Parallel()
	c, url, prefix := open(t)
	ctx := context.Background()
	clock := porttest.NewFakeClock(time.Now())
	store := memory.NewStore()
	d := redis.NewDurableRevocations(c, store, clock)

	tok := revokedToken(t, store, clock.Now())
	require.NoError(t, d.RevokeJTI(ctx, tok.JTI, tok.ExpiresAt))
	revoked, err := d.IsRevoked(ctx, tok.JTI)
	require.NoError(t, err)
	require.True(t, revoked)

	require.NoError(t, redistest.DeletePrefix(ctx, url, prefix), "Redis loses every key of the prefix")

	revoked, err = d.IsRevoked(ctx, "never-revoked")
	require.NoError(t, err)
	assert.False(t, revoked)
	revoked, err = d.IsRevoked(ctx, tok.JTI)
	require.NoError(t, err)
	assert.True(t, revoked, "refilled from the repository")

	// Another instance, which never saw the revocation, after a second flush.
	require.NoError(t, redistest.DeletePrefix(ctx, url, prefix))
	other := redis.NewDurableRevocations(c, store, clock)
	revoked, err = other.IsRevoked(ctx, tok.JTI)
	require.NoError(t, err)
	assert.True(t, revoked)
}

func TestDurableRevocationsFallBackWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	c, _, _ := open(t)
	ctx := context.Background()
	clock := porttest.NewFakeClock(time.Now())
	store := memory.NewStore()
	d := redis.NewDurableRevocations(c, store, clock)
	tok := revokedToken(t, store, clock.Now())
	require.NoError(t, c.Close()) // every command now fails

	revoked, err := d.IsRevoked(ctx, tok.JTI)
	require.NoError(t, err)
	assert.True(t, revoked, "answered from the repository")
	revoked, err = d.IsRevoked(ctx, "unknown")
	require.NoError(t, err)
	assert.False(t, revoked)
	assert.ErrorIs(t, d.RevokeJTI(ctx, tok.JTI, tok.ExpiresAt), core.ErrUnavailable)
	assert.ErrorIs(t, c.Ping(ctx), core.ErrUnavailable)
}

// cachedStore is a memory store whose clients are read through
// CachedClients.
type cachedStore struct {
	*memory.Store
	clients *redis.CachedClients
}

func (s cachedStore) CreateClient(ctx context.Context, c core.Client) error {
	return s.clients.CreateClient(ctx, c)
}

func (s cachedStore) GetClient(ctx context.Context, id string) (core.Client, error) {
	return s.clients.GetClient(ctx, id)
}

func (s cachedStore) ListClients(ctx context.Context, p core.Page) ([]core.Client, error) {
	return s.clients.ListClients(ctx, p)
}

func (s cachedStore) UpdateClient(ctx context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error) {
	return s.clients.UpdateClient(ctx, id, fn)
}

func (s cachedStore) DeleteClient(ctx context.Context, id string) error {
	return s.clients.DeleteClient(ctx, id)
}

func TestCachedClients(t *testing.T) {
	t.Parallel()
	porttest.RunStoreTests(t, func(t *testing.T) porttest.Store {
		c, _, _ := open(t)
		m := memory.NewStore()
		return cachedStore{Store: m, clients: redis.NewCachedClients(m, redis.NewClientCache(c, 0), time.Minute)}
	})
}

// countingRepo counts reads that reach the repository.
type countingRepo struct {
	ports.ClientRepository
	reads atomic.Int64
}

func (r *countingRepo) GetClient(ctx context.Context, id string) (core.Client, error) {
	r.reads.Add(1)
	return r.ClientRepository.GetClient(ctx, id)
}

func TestCachedClientsSeeAnotherInstancesChange(t *testing.T) {
	t.Parallel()
	c, _, _ := open(t)
	ctx := context.Background()
	repo := &countingRepo{ClientRepository: memory.NewStore()}
	a := redis.NewCachedClients(repo, redis.NewClientCache(c, 0), time.Minute)
	b := redis.NewCachedClients(repo, redis.NewClientCache(c, 0), time.Minute)
	now := time.Now().UTC()
	cl := core.Client{ID: "svc", Name: "Service", SecretHash: "old", GrantTypes: []string{core.GrantClientCredentials}, CreatedAt: now, UpdatedAt: now}
	require.NoError(t, a.CreateClient(ctx, cl))

	for range 3 {
		got, err := a.GetClient(ctx, "svc")
		require.NoError(t, err)
		assert.Equal(t, "old", got.SecretHash)
	}
	assert.Equal(t, int64(1), repo.reads.Load(), "later reads are cache hits")

	_, err := b.UpdateClient(ctx, "svc", func(old core.Client) (core.Client, error) {
		old.SecretHash = "new"
		return old, nil
	})
	require.NoError(t, err)
	got, err := a.GetClient(ctx, "svc")
	require.NoError(t, err)
	assert.Equal(t, "new", got.SecretHash, "the rotated secret is seen at once")

	require.NoError(t, b.DeleteClient(ctx, "svc"))
	_, err = a.GetClient(ctx, "svc")
	assert.ErrorIs(t, err, core.ErrNotFound)
}

func TestCachedClientsStaleReaderCannotRecache(t *testing.T) {
	t.Parallel()
	c, _, _ := open(t)
	ctx := context.Background()
	cache := redis.NewClientCache(c, time.Minute)
	now := time.Now().UTC()
	stale := core.Client{ID: "svc", Name: "Service", SecretHash: "old", CreatedAt: now, UpdatedAt: now}
	// A reader loaded the old row, then the writer committed and invalidated.
	require.NoError(t, cache.InvalidateClient(ctx, "svc"))
	require.NoError(t, cache.CacheClient(ctx, stale, time.Minute))
	_, err := cache.GetCachedClient(ctx, "svc")
	assert.ErrorIs(t, err, core.ErrNotFound, "the stale copy landed on the tombstone")
}

// replyError is an error reply from Redis, as go-redis returns it.
type replyError string

func (e replyError) Error() string { return string(e) }

// RedisError marks it as a reply (goredis.Error).
func (replyError) RedisError() {}

func TestTranslate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name string
		give error
		want error
	}{
		{"nil reply", goredis.Nil, core.ErrNotFound},
		{"network", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, core.ErrUnavailable},
		{"timeout", context.DeadlineExceeded, core.ErrUnavailable},
		{"pool timeout", goredis.ErrPoolTimeout, core.ErrUnavailable},
		{"closed client", goredis.ErrClosed, core.ErrUnavailable},
		{"out of memory", replyError("OOM command not allowed when used memory > 'maxmemory'."), core.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redis.Translate(ctx, tt.give, "doing")
			assert.ErrorIs(t, got, tt.want)
			assert.ErrorIs(t, got, tt.give)
		})
	}
	t.Run("a wrong command is no sentinel", func(t *testing.T) {
		got := redis.Translate(ctx, replyError("ERR unknown command 'NOPE'"), "doing")
		assert.NotErrorIs(t, got, core.ErrUnavailable)
	})
	t.Run("caller cancelled is no sentinel", func(t *testing.T) {
		got := redis.Translate(ctx, context.Canceled, "doing")
		assert.NotErrorIs(t, got, core.ErrUnavailable)
	})
}

func TestOpenGivesUpWhenUnreachable(t *testing.T) {
	t.Parallel()
	for _, url := range []string{"redis://127.0.0.1:1/0", "rediss://127.0.0.1:1/0"} {
		ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
		_, err := redis.Open(ctx, redis.Options{URL: url, RetryInitial: 10 * time.Millisecond})
		cancel()
		assert.ErrorIs(t, err, core.ErrUnavailable, url)
	}
	_, err := redis.Open(context.Background(), redis.Options{URL: "http://example.com"})
	assert.Error(t, err)
}
