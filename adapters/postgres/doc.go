// Package postgres is the PostgreSQL adapter: Open connects a pool with
// start-up retry, Migrate applies the embedded goose migrations, and Store
// implements every repository port on top of sqlx and lib/pq. SigningKeys
// keeps generated token-signing keys, sealed with AES-256-GCM.
//
// Every call is bounded by Options.QueryTimeout. Driver errors are
// translated at this boundary: no row becomes core.ErrNotFound, a unique
// violation core.ErrAlreadyExists, a foreign-key violation core.ErrConflict,
// and a database that does not answer wraps core.ErrUnavailable.
//
// SaveAccessToken, on the token endpoint's hot path, is group-committed:
// concurrent callers are gathered into one multi-row INSERT, each still
// waiting for its own row to be durable and getting its own error.
//
// Wiring: Open, then Migrate(ctx, db, MigrateUp, w) when migrating at start,
// then NewStore; at shutdown Store.Close (drains pending access-token
// writes) before DB.Close.
package postgres
