// Package redis is the Redis adapter (go-redis v9): the revocation cache,
// the client cache and the rate-limit counters shared by every instance,
// plus two decorators, CachedClients (a ClientRepository that reads through
// the client cache) and DurableRevocations (a RevocationCache that refills
// itself from the access-token repository after Redis lost its data).
//
// Redis is only ever a cache here: PostgreSQL holds everything durably.
// Every command is bounded by Options.CommandTimeout; goredis.Nil becomes
// core.ErrNotFound and a Redis that does not answer wraps
// core.ErrUnavailable.
//
// Run Redis with `maxmemory-policy noeviction` (or give it room): an
// evicted revocation entry cannot be told from one that never existed.
package redis
