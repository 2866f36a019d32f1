package multi_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/app"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/test/e2e"
)

// openStore opens the PostgreSQL store at dsn until the test ends.
func openStore(t *testing.T, dsn string) (*postgres.Store, *postgres.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 8})
	require.NoError(t, err)
	store := postgres.NewStore(db, postgres.StoreOptions{})
	t.Cleanup(func() {
		_ = store.Close()
		_ = db.Close()
	})
	return store, db
}

// seedAccessTokens saves n access tokens of client that expire at exp,
// side by side so the store group-commits them.
func seedAccessTokens(t *testing.T, store *postgres.Store, client, name string, n int, exp time.Time) []string {
	t.Helper()
	jtis := make([]string, n)
	for i := range jtis {
		jtis[i] = fmt.Sprintf("%s-%05d", name, i)
	}
	const workers = 16
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				err := store.SaveAccessToken(context.Background(), core.AccessToken{
					JTI: jtis[i], Issuer: sharedIssuer, Subject: client, Audience: []string{sharedIssuer}, ClientID: client,
					IssuedAt: exp.Add(-15 * time.Minute), ExpiresAt: exp,
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	return jtis
}

func seedClient(t *testing.T, store *postgres.Store) string {
	t.Helper()
	now := time.Now().UTC()
	c := core.Client{
		ID: "seeded", Name: "Seeded", SecretHash: "not-a-real-hash", GrantTypes: []string{core.GrantClientCredentials},
		Scopes: []string{}, CreatedAt: now, UpdatedAt: now,
	}
	require.NoError(t, store.CreateClient(context.Background(), c))
	return c.ID
}

func countRows(t *testing.T, db *postgres.DB, table string) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n))
	return n
}

// `identityd janitor` deletes every expired row, more than one batch of
// them, keeps the live ones, and exits.
func TestJanitorCommandDeletesExpiredRowsInBatches(t *testing.T) {
	t.Parallel()
	env := sharedEnv(t, oneRedis, nil)
	store, db := openStore(t, env["DATABASE_URL"])
	client := seedClient(t, store)
	now := time.Now().UTC()
	expired := 2*app.JanitorBatch + app.JanitorBatch/2
	dead := seedAccessTokens(t, store, client, "dead", expired, now.Add(-time.Hour))
	live := seedAccessTokens(t, store, client, "live", 10, now.Add(time.Hour))
	ctx := context.Background()
	require.NoError(t, store.CreateRefreshToken(ctx, core.RefreshToken{
		Hash: "dead-refresh", FamilyID: "f1", ClientID: client, Scopes: []string{}, IssuedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(-time.Hour),
	}))
	require.NoError(t, store.CreateRefreshToken(ctx, core.RefreshToken{
		Hash: "live-refresh", FamilyID: "f2", ClientID: client, Scopes: []string{}, IssuedAt: now, ExpiresAt: now.Add(time.Hour),
	}))
	require.Equal(t, expired+len(live), countRows(t, db, "access_tokens"))

	code, stdout, stderr := e2e.Run(t, apptest.Env(apptest.FreePort(t), env), "janitor")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	assert.Contains(t, stdout, fmt.Sprintf(`"access_tokens":%d`, expired))

	assert.Equal(t, len(live), countRows(t, db, "access_tokens"), "only the live access tokens remain")
	assert.Equal(t, 1, countRows(t, db, "refresh_tokens"), "only the live refresh token remains")
	for _, jti := range []string{dead[0], dead[len(dead)-1]} {
		_, err := store.GetAccessToken(ctx, jti)
		assert.ErrorIs(t, err, core.ErrNotFound, jti)
	}
	for _, jti := range live {
		_, err := store.GetAccessToken(ctx, jti)
		assert.NoError(t, err, jti)
	}
	_, err := store.GetRefreshToken(ctx, "live-refresh")
	assert.NoError(t, err)
}

// The clean-up that serve runs deletes in short batches: tokens keep being
// issued and recorded while it works through the same table.
func TestIssuanceContinuesWhilePurging(t *testing.T) {
	t.Parallel()
	env := sharedEnv(t, oneRedis, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	s := apptest.Start(t, env)
	n := node{name: "server", url: s.URL}
	store, db := openStore(t, env["DATABASE_URL"])
	client := seedClient(t, store)
	// Small batches make many short statements to interleave with.
	const expired, purgeBatch = 3000, 25
	seedAccessTokens(t, store, client, "dead", expired, time.Now().UTC().Add(-time.Hour))

	purged := make(chan core.PurgeStats, 1)
	purgeErr := make(chan error, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		st, err := store.PurgeExpired(context.Background(), time.Now().UTC(), purgeBatch)
		purged <- st
		purgeErr <- err
	}()
	issued := 0
	for done := false; !done; {
		select {
		case <-finished:
			done = true
		default:
			r := n.token(t, apptest.AdminClientID, apptest.AdminClientSecret)
			require.Equal(t, http.StatusOK, r.status, "token %d while purging: %s", issued+1, r.raw)
			issued++
		}
	}
	require.NoError(t, <-purgeErr)
	assert.Positive(t, issued)
	assert.Equal(t, issued, countRows(t, db, "access_tokens"), "every token issued meanwhile was recorded, every expired one is gone")
	st := <-purged
	assert.Equal(t, int64(expired), st.AccessTokens)
	t.Logf("%d tokens issued while %d expired rows were purged in batches of %d", issued, expired, purgeBatch)
}
