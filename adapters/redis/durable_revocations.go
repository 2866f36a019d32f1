package redis

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// refillChunk is how many entries one pipeline of a refill writes.
const refillChunk = 1000

// DurableRevocations is a ports.RevocationCache on Redis that survives
// Redis losing its data. PostgreSQL holds revocations durably (the caller
// revokes there first, then here); this cache only answers fast.
//
// After each refill from ports.AccessTokenRepository.ListRevokedAccessTokens
// it sets a marker key without TTL. IsRevoked asks for the jti's key and
// the marker in one pipelined round trip; a missing marker means Redis was
// flushed or restarted empty, and the first caller to see it refills Redis
// while others of this process wait for that refill. When Redis does not
// answer, IsRevoked asks the repository for the one token instead.
type DurableRevocations struct {
	c      *Client
	cache  *RevocationCache
	tokens ports.AccessTokenRepository
	clock  ports.Clock

	refillMu sync.Mutex
	// stale is set when a RevokeJTI could not reach Redis: the next call
	// refills, so the lost entry comes back once Redis does.
	stale atomic.Bool
}

var (
	_ ports.RevocationCache = (*DurableRevocations)(nil)
	_ ports.Pinger          = (*DurableRevocations)(nil)
)

// NewDurableRevocations returns a revocation cache on c backed by tokens.
func NewDurableRevocations(c *Client, tokens ports.AccessTokenRepository, clock ports.Clock) *DurableRevocations {
	return &DurableRevocations{c: c, cache: NewRevocationCache(c, clock), tokens: tokens, clock: clock}
}

func (d *DurableRevocations) marker() string { return d.c.key("rev-meta", "filled") }

// RevokeJTI implements ports.RevocationCache.
func (d *DurableRevocations) RevokeJTI(ctx context.Context, jti string, until time.Time) error {
	if err := d.cache.RevokeJTI(ctx, jti, until); err != nil {
		d.stale.Store(true)
		return err
	}
	if d.stale.Load() {
		// Redis is back after a write was lost: put the lost ones back
		// now rather than at the next IsRevoked. Failing here changes
		// nothing for this call; the flag stays for the next one.
		_ = d.refill(ctx)
	}
	return nil
}

// IsRevoked implements ports.RevocationCache.
func (d *DurableRevocations) IsRevoked(ctx context.Context, jti string) (bool, error) {
	revoked, filled, err := d.check(ctx, jti)
	if err == nil && (revoked || filled && !d.stale.Load()) {
		// A present entry is always right; an absent one only while
		// the marker says Redis holds every revocation.
		return revoked, nil
	}
	if err == nil {
		if err = d.refill(ctx); err == nil {
			revoked, _, err = d.check(ctx, jti)
		}
	}
	if err == nil {
		return revoked, nil
	}
	return d.fromRepository(ctx, jti, err)
}

// Ping implements ports.Pinger: it checks that Redis answers. When a
// revocation could not be written to Redis while it was away, Ping first
// puts the durable list back, so that other instances, which read Redis
// alone, see that revocation as soon as this instance reports ready again
// rather than only at its next revocation check. That refill is best
// effort: failing it leaves the flag for the next call and does not make
// the instance unready.
func (d *DurableRevocations) Ping(ctx context.Context) error {
	if err := d.c.Ping(ctx); err != nil {
		return err
	}
	if d.stale.Load() {
		_ = d.refill(ctx)
	}
	return nil
}

// check asks for the jti's key and the marker in one round trip.
func (d *DurableRevocations) check(ctx context.Context, jti string) (revoked, filled bool, err error) {
	ctx, cancel := d.c.bound(ctx)
	defer cancel()
	var isRevoked, isFilled *goredis.IntCmd
	_, err = d.c.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
		isRevoked = p.Exists(ctx, d.cache.key(jti))
		isFilled = p.Exists(ctx, d.marker())
		return nil
	})
	if err != nil {
		return false, false, translate(ctx, err, "redis: is revoked")
	}
	return isRevoked.Val() == 1, isFilled.Val() == 1, nil
}

// refill writes every revoked, unexpired token into Redis and sets the
// marker. Callers that queued behind another refill return at once.
func (d *DurableRevocations) refill(ctx context.Context) error {
	d.refillMu.Lock()
	defer d.refillMu.Unlock()
	if !d.stale.Load() {
		bctx, cancel := d.c.bound(ctx)
		n, err := d.c.rdb.Exists(bctx, d.marker()).Result()
		cancel()
		if err != nil {
			return translate(bctx, err, "redis: revocation marker")
		}
		if n == 1 {
			return nil
		}
	}
	d.stale.Store(false)
	now := d.clock.Now()
	list, err := d.tokens.ListRevokedAccessTokens(ctx, now)
	if err != nil {
		d.stale.Store(true)
		return fmt.Errorf("refill revocations: %w", err)
	}
	for start := 0; start < len(list); start += refillChunk {
		chunk := list[start:min(start+refillChunk, len(list))]
		bctx, cancel := d.c.bound(ctx)
		_, err := d.c.rdb.Pipelined(bctx, func(p goredis.Pipeliner) error {
			for _, t := range chunk {
				if ttl := d.cache.ttl(t.ExpiresAt); ttl > 0 {
					p.Set(bctx, d.cache.key(t.JTI), "1", ttl)
				}
			}
			return nil
		})
		cancel()
		if err != nil {
			d.stale.Store(true)
			return translate(bctx, err, "redis: refill revocations")
		}
	}
	bctx, cancel := d.c.bound(ctx)
	defer cancel()
	if err := d.c.rdb.Set(bctx, d.marker(), now.UTC().Format(time.RFC3339), 0).Err(); err != nil {
		d.stale.Store(true)
		return translate(bctx, err, "redis: revocation marker")
	}
	return nil
}

// fromRepository answers from the durable record when Redis cannot.
func (d *DurableRevocations) fromRepository(ctx context.Context, jti string, cacheErr error) (bool, error) {
	t, err := d.tokens.GetAccessToken(ctx, jti)
	switch {
	case errors.Is(err, core.ErrNotFound):
		// Never issued, or purged after it expired: nothing to revoke.
		return false, nil
	case err != nil:
		return false, fmt.Errorf("is revoked: %w (cache: %w)", err, cacheErr)
	}
	return !t.RevokedAt.IsZero(), nil
}
