package pgtest_test

import (
	"database/sql"
	"strings"
	"testing"

	_ "github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
)

func TestNewSchemaIsolatesAndCleansUp(t *testing.T) {
	t.Parallel()
	base := pgtest.URL(t)
	var schemas []string
	t.Run("inner", func(t *testing.T) {
		for range 2 {
			db, err := sql.Open("postgres", pgtest.NewSchema(t))
			require.NoError(t, err)
			var schema string
			require.NoError(t, db.QueryRow(`SELECT current_schema()`).Scan(&schema))
			var tables int
			require.NoError(t, db.QueryRow(`SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'users'`).Scan(&tables))
			require.NoError(t, db.Close())
			assert.True(t, strings.HasPrefix(schema, "t_testnewschema"), schema)
			assert.Equal(t, 1, tables, "migrated")
			schemas = append(schemas, schema)
		}
		assert.NotEqual(t, schemas[0], schemas[1])
	})
	admin, err := sql.Open("postgres", base)
	require.NoError(t, err)
	defer admin.Close()
	for _, s := range schemas {
		var n int
		require.NoError(t, admin.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, s).Scan(&n))
		assert.Zero(t, n, "schema %s dropped at cleanup", s)
	}
}
