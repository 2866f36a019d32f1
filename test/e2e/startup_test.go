package e2e_test

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// A failed start says why once, in one line on stderr, without fx's
// dependency chain or source paths; and the development admin client is
// not shown for a server that never listened.
func TestStartFailureIsOneHumanLine(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	code, stdout, stderr := e2e.Run(t, map[string]string{"PORT": fmt.Sprint(port), "LOG_LEVEL": "info",
		"BOOTSTRAP_ADMIN_CLIENT_ID": "", "BOOTSTRAP_ADMIN_CLIENT_SECRET": ""})
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 1, stderr)
	assert.Equal(t, fmt.Sprintf("identityd: cannot start: listen on port %d: listen tcp :%d: bind: address already in use", port, port), lines[0])
	for _, out := range []string{stdout, stderr} {
		assert.NotContains(t, out, ".go:", "no source paths")
		assert.NotContains(t, out, "client_secret", "no admin secret for a server that did not start")
	}
	assert.Equal(t, 0, strings.Count(stdout, "address already in use"), "the cause is not logged again")
}

// identityd migrate needs only DATABASE_URL: no REDIS_URL, no secrets, even
// in production.
func TestMigrateNeedsOnlyDatabaseURL(t *testing.T) {
	t.Parallel()
	code, _, stderr := e2e.Run(t, nil, "migrate", "status")
	assert.Equal(t, 2, code)
	assert.Equal(t, "identityd: configuration: DATABASE_URL: is required to migrate (postgres://user:pass@host:5432/db?sslmode=...)\n", stderr)

	dsn := pgtest.NewEmptySchema(t)
	code, _, stderr = e2e.Run(t, map[string]string{"DATABASE_URL": dsn, "APP_ENV": "production"}, "migrate", "up")
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := e2e.Run(t, map[string]string{"DATABASE_URL": dsn, "APP_ENV": "production"}, "migrate", "status")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "00060_users_email_verified.sql")
	assert.NotContains(t, stdout, "pending")
}

// A command waiting for a dependency that does not answer says so once,
// and once more when it gives up after a minute: not a line per retry.
func TestWaitingForADependencyIsTwoLines(t *testing.T) {
	t.Parallel()
	closed := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		return port
	}
	tests := []struct {
		name      string
		giveArgs  []string
		giveEnv   map[string]string
		wantWait  string
		wantGiven string
	}{
		{"migrate status", []string{"migrate", "status"},
			map[string]string{"DATABASE_URL": fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable", closed())},
			"waiting for postgres", "identityd: migrate status: postgres: gave up connecting after 1m0s ("},
		{"serve", nil,
			map[string]string{"DATABASE_URL": fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable", closed()), "REDIS_URL": "redis://127.0.0.1:1/0",
				"PORT": fmt.Sprint(closed()), "JWT_SECRET": apptest.JWTSecret, "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret, "LOG_LEVEL": "info"},
			"waiting for postgres", "identityd: cannot start: postgres: gave up connecting after 1m0s ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := e2e.Run(t, tt.giveEnv, tt.giveArgs...)
			assert.Equal(t, 1, code)
			var lines []string
			for _, l := range strings.Split(strings.TrimSpace(stdout+stderr), "\n") {
				// serve's own start-up lines (the in-memory notice, the
				// pprof and metrics addresses) are not about waiting.
				if strings.Contains(l, "waiting") || strings.Contains(l, "gave up") || strings.Contains(l, "attempt") {
					lines = append(lines, l)
				}
			}
			require.Len(t, lines, 2, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			assert.Contains(t, lines[0], tt.wantWait)
			assert.Contains(t, lines[0], `"gives_up_in":"1m0s"`)
			assert.True(t, strings.HasPrefix(lines[1], tt.wantGiven), lines[1])
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line on stderr: %s", stderr)
		})
	}
}
