package postgres_test

import (
	"bytes"
	"context"
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/migrations"
)

func openSchema(t *testing.T, dsn string) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 2})
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func tableCount(t *testing.T, db *postgres.DB) int {
	t.Helper()
	var n int
	require.NoError(t, db.SQL().QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'`).Scan(&n))
	return n
}

// createdTables counts the tables the migrations' Up sections create, so
// a new migration with a table does not change this test.
func createdTables(t *testing.T) int {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	require.NoError(t, err)
	n := 0
	for _, name := range names {
		b, err := fs.ReadFile(migrations.FS, name)
		require.NoError(t, err)
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		n += strings.Count(up, "CREATE TABLE ") - strings.Count(up, "DROP TABLE ")
	}
	return n
}

func TestMigrateUpDownUp(t *testing.T) {
	t.Parallel()
	db := openSchema(t, pgtest.NewEmptySchema(t))
	ctx := context.Background()
	var out bytes.Buffer

	require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateUp, &out))
	assert.Contains(t, out.String(), "migrated up")
	tables := tableCount(t, db)
	assert.Equal(t, createdTables(t), tables)

	out.Reset()
	require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateUp, &out))
	assert.Equal(t, "no pending migrations\n", out.String())

	out.Reset()
	require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateStatus, &out))
	assert.NotContains(t, out.String(), "pending")

	for i := 0; ; i++ {
		require.Less(t, i, 100, "down never reached zero")
		out.Reset()
		require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateDown, &out))
		if strings.Contains(out.String(), "no migration to roll back") {
			break
		}
	}
	assert.Equal(t, 0, tableCount(t, db))

	out.Reset()
	require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateStatus, &out))
	assert.NotContains(t, out.String(), "applied")

	require.NoError(t, postgres.Migrate(ctx, db, postgres.MigrateUp, &out))
	assert.Equal(t, tables, tableCount(t, db))

	assert.Error(t, postgres.Migrate(ctx, db, "sideways", &out))
}

func TestSchemaNaming(t *testing.T) {
	t.Parallel()
	db := sqlx.NewDb(openSchema(t, pgtest.NewSchema(t)).SQL(), "postgres")

	type index struct {
		Name    string        `db:"name"`
		Table   string        `db:"tbl"`
		Primary bool          `db:"indisprimary"`
		Keys    pq.Int64Array `db:"keys"`
		First   string        `db:"first"`
	}
	var indexes []index
	require.NoError(t, db.Select(&indexes, `SELECT c.relname AS name, t.relname AS tbl, i.indisprimary,
		string_to_array(i.indkey::text, ' ')::int8[] AS keys, pg_get_indexdef(i.indexrelid, 1, true) AS first
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND t.relname <> 'goose_db_version'`))
	require.NotEmpty(t, indexes)
	word := regexp.MustCompile(`[a-z_]+`)
	for _, ix := range indexes {
		if ix.Primary {
			assert.Equal(t, ix.Table+"_pkey", ix.Name)
			continue
		}
		prefix := "idx_" + ix.Table + "_"
		if !assert.True(t, strings.HasPrefix(ix.Name, prefix), "index %s of %s must be named %s{column}", ix.Name, ix.Table, prefix) {
			continue
		}
		rest := strings.TrimPrefix(ix.Name, prefix)
		named := false
		for _, col := range word.FindAllString(ix.First, -1) {
			named = named || strings.HasPrefix(rest, col)
		}
		assert.True(t, named, "index %s must be named after its first column (%s)", ix.Name, ix.First)
	}

	type constraint struct {
		Name       string        `db:"conname"`
		Type       string        `db:"contype"`
		Table      string        `db:"tbl"`
		Referenced string        `db:"referenced"`
		Keys       pq.Int64Array `db:"keys"`
	}
	var constraints []constraint
	require.NoError(t, db.Select(&constraints, `SELECT c.conname, c.contype::text AS contype, t.relname AS tbl,
		coalesce(r.relname, '') AS referenced, coalesce(c.conkey::int8[], '{}') AS keys
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace LEFT JOIN pg_class r ON r.oid = c.confrelid
		WHERE n.nspname = current_schema() AND t.relname <> 'goose_db_version'`))
	fks := 0
	for _, c := range constraints {
		switch c.Type {
		case "f":
			fks++
			assert.Equal(t, "fk_"+c.Table+"_"+c.Referenced, c.Name)
			covered := false
			for _, ix := range indexes {
				covered = covered || (ix.Table == c.Table && leadingColumns(ix.Keys, c.Keys))
			}
			assert.True(t, covered, "foreign key %s has no index on its columns", c.Name)
		case "c":
			assert.True(t, strings.HasPrefix(c.Name, "chk_"+c.Table+"_"), "check %s must be named chk_%s_{column}", c.Name, c.Table)
		case "p":
			assert.Equal(t, c.Table+"_pkey", c.Name)
		default:
			t.Errorf("unexpected constraint %s (%s): unique keys are unique indexes named idx_", c.Name, c.Type)
		}
	}
	assert.Equal(t, 15, fks)
}

// leadingColumns reports whether the columns of fk are the first columns
// of an index, in any order.
func leadingColumns(index, fk pq.Int64Array) bool {
	if len(index) < len(fk) {
		return false
	}
	lead := map[int64]bool{}
	for _, k := range index[:len(fk)] {
		lead[k] = true
	}
	for _, k := range fk {
		if !lead[k] {
			return false
		}
	}
	return true
}
