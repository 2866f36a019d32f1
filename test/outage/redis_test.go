package outage_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/outage"
)

// clusterCuts are the ways a Redis Cluster goes away: every node dead
// (connections refused), every node frozen (connections accepted, nothing
// answered, as when packets are dropped), or one master frozen, the one
// the change notices go through, while the others serve. /readyz says so
// in each: one master away is enough to make it answer 200 "degraded".
var clusterCuts = []struct {
	name         string
	cut, restore func(c *redistest.Cluster, prefix string)
}{
	{name: "connections refused",
		cut:     func(c *redistest.Cluster, _ string) { c.Kill() },
		restore: func(c *redistest.Cluster, _ string) { c.Start() }},
	{name: "packets dropped",
		cut:     func(c *redistest.Cluster, _ string) { c.Freeze() },
		restore: func(c *redistest.Cluster, _ string) { c.Thaw() }},
	{name: "one master unreachable",
		cut:     func(c *redistest.Cluster, prefix string) { c.Freeze(c.NodeFor(redis.ChangeChannel(prefix))) },
		restore: func(c *redistest.Cluster, _ string) { c.Thaw() }},
}

// Redis goes away while two instances serve: one server, for one of the
// instances, or a Redis Cluster, for both. Redis only counts rate limits
// and carries change notices, so tokens are still issued, checked and
// revoked; a revocation is durable at once and reaches the other instance
// through PostgreSQL's change log, with no notice.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	skipOnBackendPass(t)
	for _, tt := range cutModes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			redisURL, prefix := redistest.New(t)
			proxy := outage.StartProxy(t, hostOf(t, redisURL))
			env := map[string]string{
				"DATABASE_URL": pgtest.NewSchema(t), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
				// Replicas share the issuer; each accepts the other's tokens.
				"ISSUER_URL": "http://identityd.test",
			}
			other := node{url: apptest.Start(t, env).URL}
			env["REDIS_URL"] = viaProxy(t, redisURL, proxy.Addr())
			n := node{url: apptest.Start(t, env).URL}
			runRedisOutage(t, n, other, func() { tt.cut(proxy) }, proxy.Restore)
		})
	}
	for _, tt := range clusterCuts {
		t.Run("cluster "+tt.name, func(t *testing.T) {
			t.Parallel()
			c := redistest.StartCluster(t)
			prefix := c.Prefix(t)
			env := map[string]string{
				"DATABASE_URL": pgtest.NewSchema(t), "REDIS_URL": c.URL(), "REDIS_CLUSTER": "true", "REDIS_KEY_PREFIX": prefix,
				"ISSUER_URL": "http://identityd.test",
			}
			other := node{url: apptest.Start(t, env).URL}
			n := node{url: apptest.Start(t, env).URL}
			runRedisOutage(t, n, other, func() { tt.cut(c, prefix) }, func() { tt.restore(c, prefix) })
		})
	}
}

// runRedisOutage cuts n off Redis (other too, on a cluster) and checks what
// each answers meanwhile and after restore.
func runRedisOutage(t *testing.T, n, other node, cut, restore func()) {
	admin := n.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := n.newClient(t, admin)
	// A client that neither the cache nor a token request has seen.
	freshID, freshSecret := n.newClient(t, admin)
	kept := n.mustToken(t, id, secret)
	revoked := n.mustToken(t, id, secret)
	require.True(t, n.active(t, kept))
	require.True(t, other.active(t, revoked))

	cut()
	r := sendAll(t,
		n.getReq(t, "/readyz"),
		n.tokenReq(t, id, secret),
		n.tokenReq(t, freshID, freshSecret),
		n.introspectReq(t, kept),
		n.createClientReq(t, admin),
		n.revokeReq(t, id, secret, revoked),
	)
	// Requests still succeed: App Service must keep the instance.
	assertDegraded(t, r[0])
	assert.Equal(t, http.StatusOK, r[1].status, "a token for a cached client: %s", r[1].raw)
	assert.Equal(t, http.StatusOK, r[2].status, "a token for a client not in the cache: %s", r[2].raw)
	assert.True(t, isActive(t, r[3]), "introspection reads PostgreSQL")
	assert.Equal(t, http.StatusCreated, r[4].status, "creating a client: %s", r[4].raw)
	// The revocation is recorded in PostgreSQL with its change log entry:
	// done, though no notice went out.
	assert.Equal(t, http.StatusOK, r[5].status, "revoking: %s", r[5].raw)
	assert.False(t, n.active(t, revoked), "the revocation holds where Redis is away")
	assert.True(t, n.active(t, kept))
	within(t, faultBound, "the other instance reads the revocation from the log", func() bool { return !other.active(t, revoked) })

	restore()
	n.waitReady(t)
	other.waitReady(t)
	assert.False(t, n.active(t, revoked))
	assert.True(t, other.active(t, kept))
	n.mustToken(t, id, secret)
}
