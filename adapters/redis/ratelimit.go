package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// gcraScript is the generic cell rate algorithm: one key per client holds
// the theoretical arrival time (TAT) in microseconds. A request at now is
// allowed when TAT + interval - window <= now; then TAT moves on by one
// interval (window/limit). The caller's now is used, never Redis TIME, so
// every instance and every test agrees on the clock it was given.
//
// KEYS[1] the key; ARGV: now (µs), window (µs), limit.
// Returns {allowed 0|1, remaining, reset (µs)}.
const gcraScript = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local interval = window / limit
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - window
if now < allow_at then
  return {0, 0, math.ceil(allow_at - now)}
end
local ttl_ms = math.max(1, math.ceil((new_tat - now) / 1000))
redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', ttl_ms)
local remaining = math.floor((window - (new_tat - now)) / interval + 1e-9)
return {1, remaining, math.ceil(new_tat - now)}
`

// RateLimitStore counts requests with GCRA, one atomic script call per
// request, shared by every instance.
type RateLimitStore struct {
	c      *Client
	script *goredis.Script
}

var _ ports.RateLimitStore = (*RateLimitStore)(nil)

// NewRateLimitStore returns a rate-limit store on c.
func NewRateLimitStore(c *Client) *RateLimitStore {
	return &RateLimitStore{c: c, script: goredis.NewScript(gcraScript)}
}

// Allow implements ports.RateLimitStore. Reset is, for an allowed request,
// how long until the full limit is available again and, for a refused one,
// how long until the next request will be allowed.
func (s *RateLimitStore) Allow(ctx context.Context, key string, l core.RateLimit, now time.Time) (core.RateLimitResult, error) {
	if l.Limit <= 0 || l.Window <= 0 {
		return core.RateLimitResult{}, fmt.Errorf("redis: rate limit %q: limit and window must be positive", key)
	}
	ctx, cancel := s.c.bound(ctx)
	defer cancel()
	res, err := s.script.Run(ctx, s.c.rdb, []string{s.c.key("rl", key)},
		now.UnixMicro(), l.Window.Microseconds(), l.Limit).Int64Slice()
	if err != nil {
		return core.RateLimitResult{}, translate(ctx, err, "redis: rate limit")
	}
	if len(res) != 3 {
		return core.RateLimitResult{}, fmt.Errorf("redis: rate limit: script returned %d values", len(res))
	}
	return core.RateLimitResult{
		Allowed:   res[0] == 1,
		Limit:     l.Limit,
		Remaining: int(res[1]),
		Reset:     time.Duration(res[2]) * time.Microsecond,
	}, nil
}
