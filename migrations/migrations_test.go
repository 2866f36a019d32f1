package migrations_test

import (
	"fmt"
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
	// Numbers rise and never repeat; ranges of numbers are handed out to
	// lines of work, so gaps between them are expected.
	last := 0
	for _, name := range names {
		assert.Regexp(t, numbered, name)
		var n int
		_, err := fmt.Sscanf(name, "%05d_", &n)
		require.NoError(t, err, name)
		assert.Greater(t, n, last, "%s: migration numbers rise and are unique", name)
		last = n
		b, err := fs.ReadFile(migrations.FS, name)
		require.NoError(t, err)
		body := string(b)
		up, down := strings.Index(body, "-- +goose Up"), strings.Index(body, "-- +goose Down")
		assert.GreaterOrEqual(t, up, 0, "%s has an Up section", name)
		assert.Greater(t, down, up, "%s has a Down section after Up", name)
		assert.NotContains(t, body, " timestamp ", "%s: use timestamptz", name)
	}
}

// Expand, then contract (README, "Upgrades"): only a contracting
// migration raises schema_compatibility.oldest_binary_version, and never
// to itself or beyond: the binary of the release before it must still
// be the oldest one allowed, so the previous release keeps serving until
// the new one has replaced it.
func TestCompatibilityFloorStaysBehind(t *testing.T) {
	t.Parallel()
	names, err := fs.Glob(migrations.FS, "*.sql")
	require.NoError(t, err)
	set := regexp.MustCompile(`(?is)UPDATE\s+schema_compatibility\s+SET\s+oldest_binary_version\s*=\s*(\d+)`)
	var found bool
	for _, name := range names {
		var n int
		_, err := fmt.Sscanf(name, "%05d_", &n)
		require.NoError(t, err, name)
		b, err := fs.ReadFile(migrations.FS, name)
		require.NoError(t, err)
		up, _, _ := strings.Cut(string(b), "-- +goose Down")
		found = found || strings.Contains(up, "CREATE TABLE schema_compatibility")
		for _, m := range set.FindAllStringSubmatch(up, -1) {
			var floor int
			_, err := fmt.Sscanf(m[1], "%d", &floor)
			require.NoError(t, err)
			assert.Less(t, floor, n, "%s raises the floor to %d: at most the previous release's newest migration", name, floor)
		}
	}
	assert.True(t, found, "a migration creates schema_compatibility")
}
