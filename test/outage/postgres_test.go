package outage_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/outage"
)

// PostgreSQL goes away while the server runs: what needs it answers 503,
// what Redis can answer still works, and service resumes by itself.
func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	skipOnBackendPass(t)
	for _, tt := range cutModes {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dsn := pgtest.NewSchema(t)
			redisURL, prefix := redistest.New(t)
			proxy := outage.StartProxy(t, hostOf(t, dsn))
			s := apptest.Start(t, map[string]string{
				"DATABASE_URL": viaProxy(t, dsn, proxy.Addr()), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
			})
			n := node{url: s.URL}
			admin := n.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
			// A client PostgreSQL knows and the client cache does not.
			id, secret := n.newClient(t, admin)
			// Revocation checks come from Redis once it holds the list.
			require.True(t, n.active(t, admin))

			tt.cut(proxy)
			// Side by side: with packets dropped each waits out the
			// store's I/O bound.
			r := sendAll(t,
				n.getReq(t, "/readyz"),
				n.createClientReq(t, admin),
				n.tokenReq(t, id, secret),
				n.tokenReq(t, apptest.AdminClientID, apptest.AdminClientSecret),
				n.revokeReq(t, apptest.AdminClientID, apptest.AdminClientSecret, admin),
				n.introspectReq(t, admin),
				n.getReq(t, "/healthz"),
			)
			assertNotReady(t, r[0])
			assertUnavailable(t, r[1], "creating a client")
			assertUnavailable(t, r[2], "a token for a client not in the cache")
			assertUnavailable(t, r[3], "a token for a cached client: the token is recorded")
			assertUnavailable(t, r[4], "revoking: revocations are durable first")
			assert.True(t, isActive(t, r[5]), "introspection answers from Redis")
			assert.Equal(t, http.StatusOK, r[6].status, "healthz: the process runs")

			proxy.Restore()
			n.waitReady(t)
			// The first requests after recovery succeed, side by side so
			// they take several pooled connections: the pool drops those
			// that died during the outage.
			for i, r := range sendAll(t, n.tokenReq(t, id, secret), n.tokenReq(t, id, secret), n.tokenReq(t, id, secret), n.tokenReq(t, id, secret)) {
				assert.Equal(t, http.StatusOK, r.status, "request %d after recovery: %s", i, r.raw)
			}
			other, _ := n.newClient(t, admin)
			assert.NotEmpty(t, other)
			// A revocation that answered 503 may or may not have reached
			// PostgreSQL; the client retries, as RFC 7009 §2.2.1 says.
			retry := n.form(t, "/oauth/revoke", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"token": {admin}})
			assert.Equal(t, http.StatusOK, retry.status, retry.raw)
			assert.False(t, n.active(t, admin))
		})
	}
}
