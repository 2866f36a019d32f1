package redis

import (
	"context"
	"time"

	"github.com/identityd/identityd/ports"
)

// RevocationCache keeps one key per revoked jti, expiring with the token.
type RevocationCache struct {
	c     *Client
	clock ports.Clock
}

var _ ports.RevocationCache = (*RevocationCache)(nil)

// NewRevocationCache returns a revocation cache on c; clock tells how long
// a token has left.
func NewRevocationCache(c *Client, clock ports.Clock) *RevocationCache {
	return &RevocationCache{c: c, clock: clock}
}

func (r *RevocationCache) key(jti string) string { return r.c.key("rev", jti) }

// ttl is how long an entry for a token expiring at until must live, or 0
// when it has expired already.
func (r *RevocationCache) ttl(until time.Time) time.Duration {
	d := until.Sub(r.clock.Now())
	if d <= 0 {
		return 0
	}
	// Round up to Redis's millisecond so the entry never dies first.
	return (d + time.Millisecond - 1).Truncate(time.Millisecond)
}

// RevokeJTI implements ports.RevocationCache. A token past its exp needs no
// entry and gets none.
func (r *RevocationCache) RevokeJTI(ctx context.Context, jti string, until time.Time) error {
	ttl := r.ttl(until)
	if ttl == 0 {
		return nil
	}
	ctx, cancel := r.c.bound(ctx)
	defer cancel()
	return translate(ctx, r.c.rdb.Set(ctx, r.key(jti), "1", ttl).Err(), "redis: revoke jti")
}

// IsRevoked implements ports.RevocationCache.
func (r *RevocationCache) IsRevoked(ctx context.Context, jti string) (bool, error) {
	ctx, cancel := r.c.bound(ctx)
	defer cancel()
	n, err := r.c.rdb.Exists(ctx, r.key(jti)).Result()
	if err != nil {
		return false, translate(ctx, err, "redis: is revoked")
	}
	return n == 1, nil
}
