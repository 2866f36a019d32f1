// Package redis is the Redis adapter (go-redis v9): the rate-limit
// counters shared by every instance and the change notices (pub/sub) that
// wake the instances' change-log readers (see adapters/nearcache).
//
// Nothing here decides whether a token or secret is valid: PostgreSQL's
// change log does, and Redis losing or replaying data changes only rate
// counts and how soon a notice arrives. Every command is bounded by
// Options.CommandTimeout; goredis.Nil becomes core.ErrNotFound and a Redis
// that does not answer wraps core.ErrUnavailable.
package redis
