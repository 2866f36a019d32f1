package e2e_test

import (
	"fmt"
	"maps"
	"net"
	"os"
	"path/filepath"
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

// exampleEnv returns the variables .env.example sets, unquoted.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	require.NoError(t, err)
	env := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		require.True(t, ok, line)
		env[k] = v
	}
	return env
}

// Production refuses to start on the credentials of .env.example, copied
// as they are: every one is named on a line of its own, with exit code 2
// and no value printed.
func TestProductionRefusesExampleCredentials(t *testing.T) {
	t.Parallel()
	example := exampleEnv(t)
	env := maps.Clone(example)
	env["APP_ENV"] = "production"
	env["ISSUER_URL"] = "https://id.example.com"
	env["DATABASE_URL"] = "postgres://identityd:identityd@127.0.0.1:1/identityd?sslmode=require"
	env["REDIS_URL"] = "rediss://127.0.0.1:1/0"
	code, stdout, stderr := e2e.Run(t, env)
	assert.Equal(t, 2, code, stderr)
	assert.Empty(t, stdout)
	for _, want := range []string{
		"identityd: configuration: JWT_SECRET: is the example value of .env.example; generate your own",
		"identityd: configuration: JWT_REFRESH_SECRET: is the example value of .env.example; generate your own",
		"identityd: configuration: BOOTSTRAP_ADMIN_PASSWORD: is the example value of .env.example; choose your own",
		"identityd: configuration: BOOTSTRAP_ADMIN_CLIENT_SECRET: is the example value of .env.example; generate your own",
		"identityd: configuration: DATABASE_URL: uses the example password of .env.example and docker-compose.yml; give the database user a password of its own",
	} {
		assert.Contains(t, strings.Split(stderr, "\n"), want)
	}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		assert.True(t, strings.HasPrefix(line, "identityd: configuration: "), line)
	}
	for k, v := range example {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "PASSWORD") {
			if v != "" {
				assert.NotContains(t, stderr, v, "%s's value is not printed", k)
			}
		}
	}
}

// A production bootstrap password follows the rules every person's
// password follows: not a common one, not the address.
func TestProductionBootstrapPasswordFollowsThePasswordRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give string
		want string
	}{
		{"password", "BOOTSTRAP_ADMIN_PASSWORD: is one of the most commonly used passwords; choose another"},
		{"root@id.example.org", "BOOTSTRAP_ADMIN_PASSWORD: must not be the email address"},
		{"short", "BOOTSTRAP_ADMIN_PASSWORD: must be at least 8 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := e2e.Run(t, map[string]string{
				"APP_ENV": "production", "ISSUER_URL": "https://id.example.com",
				"JWT_SECRET": apptest.JWTSecret, "JWT_REFRESH_SECRET": apptest.JWTRefreshSecret,
				"BOOTSTRAP_ADMIN_EMAIL": "root@id.example.org", "BOOTSTRAP_ADMIN_PASSWORD": tt.give,
			})
			assert.Equal(t, 2, code, stderr)
			assert.Equal(t, "identityd: configuration: "+tt.want+"\n", stderr)
		})
	}
}
