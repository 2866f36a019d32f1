package nearcache_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/nearcache"
	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func TestRevocationsContract(t *testing.T) {
	t.Parallel()
	porttest.RunRevocationCacheTests(t, func(t *testing.T, c ports.Clock) ports.RevocationCache {
		return nearcache.NewRevocations(memory.NewStore(), nil, c)
	})
}

// openStore returns a PostgreSQL store on a fresh schema and a raw
// connection pool to the same schema, for transactions the test holds.
func openStore(t *testing.T) (*postgres.Store, *sql.DB) {
	t.Helper()
	dsn := pgtest.NewSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	store := postgres.NewStore(db, postgres.StoreOptions{BatchMaxRows: 1})
	t.Cleanup(func() { _ = store.Close() })
	return store, db.SQL()
}

func saveToken(t *testing.T, s *postgres.Store, jti string, now time.Time) {
	t.Helper()
	require.NoError(t, s.SaveAccessToken(context.Background(), core.AccessToken{
		JTI: jti, Issuer: "https://issuer.test", Subject: "svc", Audience: []string{"https://issuer.test"}, ClientID: "svc",
		IssuedAt: now, ExpiresAt: now.Add(15 * time.Minute),
	}))
}

// The log ids of two revocations commit out of order: the follower reads
// the later one first and must still apply the earlier one when it
// commits, rather than skip past it for good.
func TestFollowerDoesNotSkipAChangeThatCommitsLate(t *testing.T) {
	t.Parallel()
	store, raw := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, jti := range []string{"early", "late", "after"} {
		saveToken(t, store, jti, now)
	}
	revs := nearcache.NewRevocations(store, nil, &clock{now: now})
	f := nearcache.NewFollower(store, nil, nearcache.Options{PollInterval: time.Hour}, revs)
	require.NoError(t, f.Start(ctx))
	t.Cleanup(f.Stop)

	// "early" takes its log id first but commits last.
	tx, err := raw.BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = tx.Rollback() }()
	_, err = tx.ExecContext(ctx, `UPDATE access_tokens SET revoked_at = now() WHERE jti = 'early'`)
	require.NoError(t, err)
	_, err = store.RevokeAccessToken(ctx, "late", now)
	require.NoError(t, err)

	require.NoError(t, f.Sync(ctx))
	revoked := func(jti string) bool { ok, err := revs.IsRevoked(ctx, jti); require.NoError(t, err); return ok }
	assert.True(t, revoked("late"))
	assert.False(t, revoked("early"), "not committed yet")

	require.NoError(t, tx.Commit())
	_, err = store.RevokeAccessToken(ctx, "after", now)
	require.NoError(t, err)
	require.NoError(t, f.Sync(ctx))
	assert.True(t, revoked("early"), "the change that committed late is applied")
	assert.True(t, revoked("after"))
}

// Every kind of client write lands in the log, whichever statement made
// it, and drops the client from every instance's cache.
func TestClientChangesReachAnotherInstancesCache(t *testing.T) {
	t.Parallel()
	store, _ := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	require.NoError(t, store.CreateScope(ctx, core.Scope{ID: "s1", Name: "read", CreatedAt: now, UpdatedAt: now}))
	require.NoError(t, store.CreateClient(ctx, core.Client{ID: "c1", Name: "one", SecretHash: "old", GrantTypes: []string{"client_credentials"}, CreatedAt: now, UpdatedAt: now}))

	// Instance b caches c1; instance a changes it.
	a := nearcache.NewClients(store, nil, 0)
	b := nearcache.NewClients(store, nil, 0)
	fb := nearcache.NewFollower(store, nil, nearcache.Options{PollInterval: time.Hour}, b)
	require.NoError(t, fb.Start(ctx))
	t.Cleanup(fb.Stop)
	get := func() core.Client { c, err := b.GetClient(ctx, "c1"); require.NoError(t, err); return c }
	require.Equal(t, "old", get().SecretHash)

	_, err := a.UpdateClient(ctx, "c1", func(c core.Client) (core.Client, error) { c.SecretHash = "new"; return c, nil })
	require.NoError(t, err)
	assert.Equal(t, "old", get().SecretHash, "b has not read the log yet")
	require.NoError(t, fb.Sync(ctx))
	assert.Equal(t, "new", get().SecretHash, "secret")

	_, err = a.UpdateClient(ctx, "c1", func(c core.Client) (core.Client, error) { c.Scopes = []string{"read"}; return c, nil })
	require.NoError(t, err)
	require.NoError(t, fb.Sync(ctx))
	assert.Equal(t, []string{"read"}, get().Scopes, "scopes")

	require.NoError(t, a.DeleteClient(ctx, "c1"))
	require.NoError(t, fb.Sync(ctx))
	_, err = b.GetClient(ctx, "c1")
	assert.ErrorIs(t, err, core.ErrNotFound, "deletion")
}

// A restart finds what was revoked before it, from the store.
func TestFollowerStartLoadsRevocations(t *testing.T) {
	t.Parallel()
	store, _ := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	saveToken(t, store, "gone", now)
	_, err := store.RevokeAccessToken(ctx, "gone", now)
	require.NoError(t, err)
	revs := nearcache.NewRevocations(store, nil, &clock{now: now})
	f := nearcache.NewFollower(store, nil, nearcache.Options{Logger: nil}, revs)
	require.NoError(t, f.Start(ctx))
	f.Stop()
	ok, err := revs.IsRevoked(ctx, "gone")
	require.NoError(t, err)
	assert.True(t, ok)
}
