package multi_test

import (
	"context"
	"net/http"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// ownRedis is a Redis of the test's own, one server or a three-master
// cluster, and the faults the test inflicts on it.
type ownRedis struct {
	flush func() // every key deleted
	save  func() // a snapshot that start brings back
	kill  func() // every node dies at once, without saving
	start func() // every node that died starts again from the snapshot
	// killNotices, on a cluster only, kills the one master the change
	// notices go through (their channel's hash slot), so every notice
	// is lost while the other masters serve; startNotices brings it back,
	// empty.
	killNotices, startNotices func()
}

// ownRedisEnv is sharedEnv on a Redis of the test's own, which the test
// flushes, kills and restores from an older snapshot.
func ownRedisEnv(t *testing.T, kind string) (map[string]string, ownRedis) {
	t.Helper()
	skipOnBackendPass(t)
	env := map[string]string{
		"DATABASE_URL": pgtest.NewSchema(t), "ISSUER_URL": sharedIssuer,
		// Rate limits are Redis's other job; they are not what this
		// test looks at.
		"RATE_LIMIT_ENABLED": "false",
	}
	if kind == redisCluster {
		c := redistest.StartCluster(t)
		prefix := c.Prefix(t)
		env["REDIS_URL"], env["REDIS_CLUSTER"], env["REDIS_KEY_PREFIX"] = c.URL(), "true", prefix
		notices := c.NodeFor(redis.ChangeChannel(prefix))
		return env, ownRedis{
			flush: c.Flush, save: c.Save, kill: func() { c.Kill() }, start: c.Start,
			killNotices: func() { c.Kill(notices) }, startNotices: c.Start,
		}
	}
	srv := redistest.StartServer(t)
	env["REDIS_URL"] = srv.URL()
	return env, ownRedis{flush: srv.Flush, save: srv.Save, kill: srv.Kill, start: srv.Start}
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
// bounds whatever happens to Redis, one server or a cluster: flushed,
// unreachable (every notice lost), restored from a snapshot older than the
// changes; on a cluster, also one master unreachable, the one the notices
// go through, while the others serve.
func TestChangesConvergeThroughRedisFaults(t *testing.T) {
	t.Parallel()
	forEachRedis(t, runRedisFaults)
}

func runRedisFaults(t *testing.T, kind string) {
	env, rd := ownRedisEnv(t, kind)
	a := node{name: "a", url: apptest.Start(t, env).URL}
	b := node{name: "b", url: apptest.Start(t, env).URL}
	admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := a.newClient(t, admin)
	var toks []string
	for range 4 {
		tok := a.mustToken(t, id, secret)
		require.True(t, b.active(t, tok))
		toks = append(toks, tok)
	}
	b.mustToken(t, id, secret) // the client is in b's cache

	t.Run("redis flushed", func(t *testing.T) {
		rd.flush()
		a.revoke(t, id, secret, toks[0])
		within(t, healthyBound, "b rejects the token a revoked", func() bool { return !b.active(t, toks[0]) })
	})

	if rd.killNotices != nil {
		t.Run("one master unreachable, every notice lost", func(t *testing.T) {
			rd.killNotices()
			a.revoke(t, id, secret, toks[3])
			// PostgreSQL answers; the bound runs from now.
			within(t, faultBound, "b rejects the token a revoked", func() bool { return !b.active(t, toks[3]) })
			rd.startNotices() // empty: it saved nothing
			for _, n := range []node{a, b} {
				assert.False(t, n.active(t, toks[3]), "%s: the master back empty brings no revoked token back", n.name)
			}
		})
	}

	var newSecret string
	t.Run("redis unreachable", func(t *testing.T) {
		rd.save() // the snapshot the restore below brings back
		rd.kill()
		a.revoke(t, id, secret, toks[1])
		newSecret = a.regenerate(t, admin, id)
		// PostgreSQL answers, Redis does not: the bound runs from now.
		within(t, faultBound, "b rejects the token a revoked", func() bool { return !b.active(t, toks[1]) })
		within(t, faultBound, "b refuses the old secret", func() bool { return !b.authenticates(t, id, secret) })
		b.mustToken(t, id, newSecret)
	})

	t.Run("redis restored with old data", func(t *testing.T) {
		rd.start()
		for _, n := range []node{a, b} {
			assert.False(t, n.active(t, toks[1]), "%s: the old snapshot brings no revoked token back", n.name)
			assert.False(t, n.authenticates(t, id, secret), "%s: the old snapshot brings no old secret back", n.name)
		}
		b.revoke(t, id, newSecret, toks[2])
		within(t, faultBound, "a rejects the token b revoked", func() bool { return !a.active(t, toks[2]) })
	})
}

// The fault of the report: instance a revokes a token and regenerates a
// secret while Redis (one server, or every node of a cluster) is
// unreachable, then dies; Redis comes back with older data and a
// replacement of a starts. Every instance rejects the token and the old
// secret within the bound.
func TestDeadInstancesChangesOutliveIt(t *testing.T) {
	t.Parallel()
	forEachRedis(t, func(t *testing.T, kind string) {
		env, rd := ownRedisEnv(t, kind)
		pa := e2e.Start(t, env)
		a := node{name: "a", url: pa.URL}
		b := node{name: "b", url: e2e.Start(t, env).URL}
		admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
		id, secret := a.newClient(t, admin)
		tok := a.mustToken(t, id, secret)
		require.True(t, b.active(t, tok))
		b.mustToken(t, id, secret)

		rd.save()
		rd.kill()
		a.revoke(t, id, secret, tok)
		a.regenerate(t, admin, id)
		require.NoError(t, pa.Signal(syscall.SIGKILL))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := pa.Wait(ctx)
		require.NoError(t, err)

		rd.start()
		replacement := node{name: "a'", url: e2e.Start(t, env).URL}
		for _, n := range []node{b, replacement} {
			within(t, faultBound, n.name+" rejects the revoked token", func() bool { return !n.active(t, tok) })
			within(t, faultBound, n.name+" refuses the old secret", func() bool { return !n.authenticates(t, id, secret) })
		}
	})
}
