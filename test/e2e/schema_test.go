package e2e_test

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"testing"

	_ "github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/test/e2e"
)

// pretendNewerRelease records a migration newer than this binary knows,
// as a later release's `migrate up` would, and the oldest binary that
// release still serves.
func pretendNewerRelease(t *testing.T, dsn string, oldestBinary int64) int64 {
	t.Helper()
	known, err := postgres.KnownVersion()
	require.NoError(t, err)
	db, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer db.Close()
	ctx := context.Background()
	newer := known + 100
	_, err = db.ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, newer)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `UPDATE schema_compatibility SET oldest_binary_version = $1`, oldestBinary)
	require.NoError(t, err)
	return newer
}

// Upgrades expand, then contract: this binary serves a schema a newer
// release expanded (it still knows the oldest binary the schema
// records), and refuses, saying what to do, one the newer release
// contracted past it. With AUTO_MIGRATE=false a pending migration of
// its own stops it too; `migrate up` is the step that applies them, and
// says what it applied.
func TestNewerSchemaIsRefused(t *testing.T) {
	t.Parallel()
	pgtest.URL(t) // skips without TEST_DATABASE_URL
	known, err := postgres.KnownVersion()
	require.NoError(t, err)
	redisURL, prefix := redistest.New(t)
	env := func(dsn string, more ...string) map[string]string {
		m := map[string]string{"DATABASE_URL": dsn, "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix, "LOG_LEVEL": "info"}
		for i := 0; i+1 < len(more); i += 2 {
			m[more[i]] = more[i+1]
		}
		return m
	}

	t.Run("pending migrations without AUTO_MIGRATE", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.NewEmptySchema(t)
		code, _, stderr := e2e.Run(t, env(dsn, "AUTO_MIGRATE", "false"))
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, "AUTO_MIGRATE=false: run `identityd migrate up` with this binary first")
		assert.Equal(t, 1, strings.Count(stderr, "\n"), stderr)

		code, stdout, stderr := e2e.Run(t, map[string]string{"DATABASE_URL": dsn}, "migrate", "up")
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "migrated up 00130_schema_compatibility.sql")
		p := e2e.Start(t, env(dsn, "AUTO_MIGRATE", "false"))
		assert.NotContains(t, p.Stdout(), "applying migrations")
	})
	t.Run("migrations at start are logged", func(t *testing.T) {
		t.Parallel()
		p := e2e.Start(t, env(pgtest.NewEmptySchema(t)))
		assert.Contains(t, p.Stdout(), "applying migrations at start (AUTO_MIGRATE=true)")
		assert.Contains(t, p.Stdout(), "migrated up 00130_schema_compatibility.sql")
	})
	t.Run("expanded by a newer release", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.NewSchema(t)
		newer := pretendNewerRelease(t, dsn, known)
		p := e2e.Start(t, env(dsn))
		assert.Contains(t, p.Stdout(), "schema is newer than this binary and compatible with it")
		assert.Contains(t, p.Stdout(), `"schema_version":`+itoa(newer))
	})
	t.Run("contracted past this binary", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.NewSchema(t)
		newer := pretendNewerRelease(t, dsn, known+50)
		code, stdout, stderr := e2e.Run(t, env(dsn))
		assert.Equal(t, 1, code)
		assert.Equal(t, "identityd: cannot start: schema: the database is at migration "+itoa(newer)+
			", and the release that applied it serves only binaries that know migration "+itoa(known+50)+
			" or later; this binary knows up to "+itoa(known)+". Deploy that release or a newer one; to run this binary again, first roll the schema back with the newer binary (`identityd migrate down` until `identityd migrate status` shows "+itoa(known)+" as the newest applied), after a backup\n", stderr)
		assert.NotContains(t, stdout, "listening")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
