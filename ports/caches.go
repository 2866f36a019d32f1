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

// RateLimitStore counts requests per key and window, shared by every
// instance when it is backed by Redis.
type RateLimitStore interface {
	// Allow counts one request for key at now against limit.
	Allow(ctx context.Context, key string, limit core.RateLimit, now time.Time) (core.RateLimitResult, error)
}

// ChangeLog is the ordered record of the changes that in-process caches
// must follow: revoked access tokens and changed clients. The store writes
// it in the same transaction as each change, so it holds exactly what has
// committed. IDs come from a sequence: a change with a lower id may become
// visible after one with a higher id (its transaction committed later), so
// a reader must ask again for the ids it has not seen yet.
type ChangeLog interface {
	// LatestChangeID returns the highest id committed so far, 0 for none.
	LatestChangeID(ctx context.Context) (int64, error)
	// ReadChanges returns the changes with an id above after, and those
	// whose id is among also, in id order, at most limit of them.
	ReadChanges(ctx context.Context, after int64, also []int64, limit int) ([]core.Change, error)
}

// ChangeNotifier tells every instance that the change log has grown. It is
// a hint that makes them read the log at once rather than at their next
// poll: a lost, late or repeated notice changes nothing but that delay.
type ChangeNotifier interface {
	// Notify sends a notice without waiting for it to go out.
	Notify()
	// Listen calls fn on each notice until ctx ends, resubscribing after
	// failures.
	Listen(ctx context.Context, fn func())
}
