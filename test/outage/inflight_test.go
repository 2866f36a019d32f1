package outage_test

import (
	"net/http"
	"sync"
	"sync/atomic"
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

// A dependency stalls (packets dropped) under a steady load: PostgreSQL,
// one Redis server, or every node of a Redis Cluster. When it begins,
// requests are in flight at every step (a query sent and not answered, a
// transaction open, an access token queued behind the group-commit
// INSERTs already waiting, a rate-limit check sent to Redis), and more
// arrive during it, one every 50 ms, more than the INSERTs that may wait
// at once (4). Every one of them ends within the same bound, whenever it
// came.
func TestRequestsInFlightDuringAStallEndWithinTheBound(t *testing.T) {
	t.Parallel()
	skipOnBackendPass(t)
	// Rate limits high enough never to refuse, so every request asks
	// Redis.
	limits := map[string]string{"RATE_LIMIT_GLOBAL": "1000000/1h", "RATE_LIMIT_TOKEN": "1000000/1h", "RATE_LIMIT_CLIENTS": "1000000/1h"}
	with := func(env map[string]string) map[string]string {
		for k, v := range limits {
			env[k] = v
		}
		return env
	}
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := pgtest.NewSchema(t)
		redisURL, prefix := redistest.New(t)
		proxy := outage.StartProxy(t, hostOf(t, dsn))
		s := apptest.Start(t, map[string]string{
			"DATABASE_URL": viaProxy(t, dsn, proxy.Addr()), "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix,
			"RATE_LIMIT_ENABLED": "false",
		})
		runStallUnderLoad(t, node{url: s.URL}, stallBound, proxy.Stall, proxy.Restore)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		redisURL, prefix := redistest.New(t)
		proxy := outage.StartProxy(t, hostOf(t, redisURL))
		s := apptest.Start(t, with(map[string]string{
			"DATABASE_URL": pgtest.NewSchema(t), "REDIS_URL": viaProxy(t, redisURL, proxy.Addr()), "REDIS_KEY_PREFIX": prefix,
		}))
		runStallUnderLoad(t, node{url: s.URL}, redisStallBound, proxy.Stall, proxy.Restore)
	})
	t.Run("redis cluster", func(t *testing.T) {
		t.Parallel()
		c := redistest.StartCluster(t)
		s := apptest.Start(t, with(map[string]string{
			"DATABASE_URL": pgtest.NewSchema(t), "REDIS_URL": c.URL(), "REDIS_CLUSTER": "true", "REDIS_KEY_PREFIX": c.Prefix(t),
		}))
		runStallUnderLoad(t, node{url: s.URL}, redisStallBound, func() { c.Freeze() }, c.Thaw)
	})
}

// redisStallBound is how long any request may take while Redis stalls:
// each command is bounded at 500 ms and a request runs at most a few
// (one per rate-limit tier: two for a token request), with room for a
// loaded machine.
const redisStallBound = 3 * time.Second

// runStallUnderLoad keeps requests going to n, stalls its dependency with
// stall for 2 s of more requests, and checks that each ended within bound.
func runStallUnderLoad(t *testing.T, n node, bound time.Duration, stall, restore func()) {
	admin := n.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := n.newClient(t, admin)

	var stalledAt atomic.Pointer[time.Time]
	var inFlight, arrived atomic.Int32
	var (
		mu      sync.Mutex
		slowest time.Duration
	)
	var wg sync.WaitGroup
	request := func(req *http.Request) {
		start := time.Now()
		resp, err := httpClient.Do(req)
		took := time.Since(start)
		mu.Lock()
		slowest = max(slowest, took)
		mu.Unlock()
		if err == nil {
			resp.Body.Close()
			assert.NotEqual(t, http.StatusInternalServerError, resp.StatusCode, req.URL.Path)
		}
		assert.NoError(t, err)
		when := "arrived during the stall"
		if at := stalledAt.Load(); at == nil || start.Before(*at) {
			when = "in flight when the stall began"
			if at != nil {
				inFlight.Add(1)
			}
		} else {
			arrived.Add(1)
		}
		assert.Less(t, took, bound, "%s %s (%s) took %s", req.Method, req.URL.Path, when, took.Round(time.Millisecond))
	}
	// The steady load: each worker sends its next request as soon as
	// the last one answered, until the stall has lasted 2 s.
	stop := make(chan struct{})
	for w := range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if w%4 == 3 {
					request(n.createClientReq(t, admin))
				} else {
					request(n.tokenReq(t, id, secret))
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	now := time.Now()
	stalledAt.Store(&now)
	stall()
	for range 40 {
		wg.Go(func() { request(n.tokenReq(t, id, secret)) })
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d requests in flight when the stall began, %d arrived during it; the slowest took %s",
		inFlight.Load(), arrived.Load(), slowest.Round(time.Millisecond))
	assert.NotZero(t, inFlight.Load(), "no request was in flight when the stall began")
	restore()
	n.waitReady(t)
}
