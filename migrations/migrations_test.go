package migrations_test

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/migrations"
)

func TestFilesAreNumberedWithUpAndDown(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(migrations.FS, "*.sql")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	numbered := regexp.MustCompile(`^\d{5}_[a-z0-9_]+\.sql$`)
	seen := map[string]string{}
	for _, name := range names {
		assert.Regexp(t, numbered, name)
		// Numbers may leave gaps (each line of work has its own range)
		// but never repeat: goose orders by them.
		if other, dup := seen[name[:5]]; dup {
			t.Errorf("%s and %s share a version number", other, name)
		}
		seen[name[:5]] = name
		b, err := fs.ReadFile(migrations.FS, name)
		require.NoError(t, err)
		body := string(b)
		up, down := strings.Index(body, "-- +goose Up"), strings.Index(body, "-- +goose Down")
		assert.GreaterOrEqual(t, up, 0, "%s has an Up section", name)
		assert.Greater(t, down, up, "%s has a Down section after Up", name)
		assert.NotContains(t, body, " timestamp ", "%s: use timestamptz", name)
	}
}
