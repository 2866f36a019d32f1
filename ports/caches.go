package ports

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
)

// RevocationCache answers "is this jti revoked?" on the introspection and
// authentication hot paths without a database read. It is a cache: the
// access-token repository holds the durable record.
type RevocationCache interface {
	// RevokeJTI marks jti revoked until `until` (the token's exp).
	RevokeJTI(ctx context.Context, jti string, until time.Time) error
	IsRevoked(ctx context.Context, jti string) (bool, error)
}

// ClientCache keeps recently read clients; entries are dropped whenever a
// client changes, on every instance.
type ClientCache interface {
	// GetCachedClient returns the client or core.ErrNotFound on a miss.
	GetCachedClient(ctx context.Context, id string) (core.Client, error)
	CacheClient(ctx context.Context, c core.Client, ttl time.Duration) error
	InvalidateClient(ctx context.Context, id string) error
}

// RateLimitStore counts requests per key and window, shared by every
// instance when it is backed by Redis.
type RateLimitStore interface {
	// Allow counts one request for key at now against limit.
	Allow(ctx context.Context, key string, limit core.RateLimit, now time.Time) (core.RateLimitResult, error)
}
