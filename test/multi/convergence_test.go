package multi_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// ownRedisEnv is sharedEnv on a redis-server of the test's own, which the
// test flushes, kills and restores from an older snapshot.
func ownRedisEnv(t *testing.T) (map[string]string, *redistest.Server) {
	t.Helper()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("runs on PostgreSQL and Redis in every pass; nothing more to run with TEST_BACKEND=postgres")
	}
	dsn := pgtest.NewSchema(t)
	srv := redistest.StartServer(t)
	return map[string]string{
		"DATABASE_URL": dsn, "REDIS_URL": srv.URL(), "ISSUER_URL": sharedIssuer,
		// Rate limits are Redis's other job; they are not what this
		// test looks at.
		"RATE_LIMIT_ENABLED": "false",
	}, srv
}

func (n node) revoke(t *testing.T, id, secret, token string) {
	t.Helper()
	r := n.form(t, "/oauth/revoke", id, secret, url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, r.status, "%s: revoke: %s", n.name, r.raw)
}

func (n node) regenerate(t *testing.T, admin, id string) string {
	t.Helper()
	r := n.api(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, nil)
	require.Equal(t, http.StatusOK, r.status, "%s: regenerate: %s", n.name, r.raw)
	return r.str("client_secret")
}

// Revocations and secret changes reach the other instance within the
// bounds whatever happens to Redis: flushed, unreachable (every notice
// lost), restored from a snapshot older than the changes.
func TestChangesConvergeThroughRedisFaults(t *testing.T) {
	t.Parallel()
	env, srv := ownRedisEnv(t)
	a := node{name: "a", url: apptest.Start(t, env).URL}
	b := node{name: "b", url: apptest.Start(t, env).URL}
	admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := a.newClient(t, admin)
	var toks []string
	for range 3 {
		tok := a.mustToken(t, id, secret)
		require.True(t, b.active(t, tok))
		toks = append(toks, tok)
	}
	b.mustToken(t, id, secret) // the client is in b's cache

	t.Run("redis flushed", func(t *testing.T) {
		srv.Flush()
		a.revoke(t, id, secret, toks[0])
		within(t, healthyBound, "b rejects the token a revoked", func() bool { return !b.active(t, toks[0]) })
	})

	var newSecret string
	t.Run("redis unreachable", func(t *testing.T) {
		srv.Save() // the snapshot the restore below brings back
		srv.Kill()
		a.revoke(t, id, secret, toks[1])
		newSecret = a.regenerate(t, admin, id)
		// PostgreSQL answers, Redis does not: the bound runs from now.
		within(t, faultBound, "b rejects the token a revoked", func() bool { return !b.active(t, toks[1]) })
		within(t, faultBound, "b refuses the old secret", func() bool { return !b.authenticates(t, id, secret) })
		b.mustToken(t, id, newSecret)
	})

	t.Run("redis restored with old data", func(t *testing.T) {
		srv.Start()
		for _, n := range []node{a, b} {
			assert.False(t, n.active(t, toks[1]), "%s: the old snapshot brings no revoked token back", n.name)
			assert.False(t, n.authenticates(t, id, secret), "%s: the old snapshot brings no old secret back", n.name)
		}
		b.revoke(t, id, newSecret, toks[2])
		within(t, faultBound, "a rejects the token b revoked", func() bool { return !a.active(t, toks[2]) })
	})
}

// The fault of the report: instance a revokes a token and regenerates a
// secret while Redis is unreachable, then dies; Redis comes back with
// older data and a replacement of a starts. Every instance rejects the
// token and the old secret within the bound.
func TestDeadInstancesChangesOutliveIt(t *testing.T) {
	t.Parallel()
	env, srv := ownRedisEnv(t)
	pa := e2e.Start(t, env)
	a := node{name: "a", url: pa.URL}
	b := node{name: "b", url: e2e.Start(t, env).URL}
	admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := a.newClient(t, admin)
	tok := a.mustToken(t, id, secret)
	require.True(t, b.active(t, tok))
	b.mustToken(t, id, secret)

	srv.Save()
	srv.Kill()
	a.revoke(t, id, secret, tok)
	a.regenerate(t, admin, id)
	require.NoError(t, pa.Signal(syscall.SIGKILL))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := pa.Wait(ctx)
	require.NoError(t, err)

	srv.Start()
	replacement := node{name: "a'", url: e2e.Start(t, env).URL}
	for _, n := range []node{b, replacement} {
		within(t, faultBound, n.name+" rejects the revoked token", func() bool { return !n.active(t, tok) })
		within(t, faultBound, n.name+" refuses the old secret", func() bool { return !n.authenticates(t, id, secret) })
	}
}
