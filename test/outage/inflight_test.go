package outage_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/outage"
)

// stallBound is how long any request may take while PostgreSQL stalls:
// the store's query timeout (5 s) and its I/O bound (6 s), with room for
// a loaded machine. Requests already in flight when the stall begins get
// no longer than those that arrive during it.
const stallBound = 9 * time.Second

// PostgreSQL restarts while an instance idles: every pooled connection is
// dead. /readyz reports the database, which answers, so it is 200 at the
// first ask rather than 503 once per dead connection.
func TestReadyzAfterPostgresRestart(t *testing.T) {
	t.Parallel()
	skipOnBackendPass(t)
	dsn := pgtest.NewSchema(t)
	redisURL, prefix := redistest.New(t)
	proxy := outage.StartProxy(t, hostOf(t, dsn))
	s := apptest.Start(t, map[string]string{
		"DATABASE_URL": viaProxy(t, dsn, proxy.Addr()), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
	})
	n := node{url: s.URL}
	admin := n.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	// Several pooled connections, side by side.
	sendAll(t, n.createClientReq(t, admin), n.createClientReq(t, admin), n.createClientReq(t, admin), n.createClientReq(t, admin))

	proxy.Cut()
	proxy.Restore()
	for i := range 5 {
		r := n.get(t, "/readyz")
		assert.Equal(t, http.StatusOK, r.status, "ask %d after the restart: %s", i+1, r.raw)
	}
}

// PostgreSQL stalls (packets dropped) while requests are in flight and
// more arrive: every one of them ends within the same bound.
func TestRequestsInFlightDuringAStallEndWithinTheBound(t *testing.T) {
	t.Parallel()
	skipOnBackendPass(t)
	dsn := pgtest.NewSchema(t)
	redisURL, prefix := redistest.New(t)
	proxy := outage.StartProxy(t, hostOf(t, dsn))
	s := apptest.Start(t, map[string]string{
		"DATABASE_URL": viaProxy(t, dsn, proxy.Addr()), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
		"RATE_LIMIT_ENABLED": "false",
	})
	n := node{url: s.URL}
	admin := n.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := n.newClient(t, admin)

	var wg sync.WaitGroup
	wave := func(name string) {
		for range 6 {
			reqs := []*http.Request{n.tokenReq(t, id, secret), n.createClientReq(t, admin)}
			for _, req := range reqs {
				wg.Go(func() {
					start := time.Now()
					resp, err := httpClient.Do(req)
					took := time.Since(start)
					if err == nil {
						resp.Body.Close()
						assert.NotEqual(t, http.StatusInternalServerError, resp.StatusCode, "%s %s", name, req.URL.Path)
					}
					assert.NoError(t, err)
					assert.Less(t, took, stallBound, "%s %s took %s", name, req.URL.Path, took)
				})
			}
		}
	}
	wave("in flight when the stall began")
	time.Sleep(5 * time.Millisecond)
	proxy.Stall()
	time.Sleep(2 * time.Second)
	wave("arrived during the stall")
	wg.Wait()
	proxy.Restore()
	n.waitReady(t)
}
