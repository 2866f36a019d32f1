package redis_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
