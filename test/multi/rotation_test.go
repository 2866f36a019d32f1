package multi_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// The secrets an operator rotates to (each new value differs from the
// test defaults in apptest).
const (
	nextJWTSecret     = "Next-JWT-Secret-0123456789-abcdefghij!"
	nextRefreshSecret = "Next-Refresh-Secret-0123456789-abcdef!"
)

// balancer stands for App Service's front end: it sends each request to
// an instance in rotation, and takes an instance out of rotation before
// it is restarted.
type balancer struct {
	mu    sync.Mutex
	nodes map[string]node // in rotation, by name
}

func (lb *balancer) set(n node) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.nodes[n.name] = n
}

func (lb *balancer) remove(name string) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	delete(lb.nodes, name)
}

// two returns two instances in rotation, different ones when two are.
func (lb *balancer) two() (node, node) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	var in []node
	for _, n := range lb.nodes {
		in = append(in, n)
	}
	rand.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
	if len(in) == 1 {
		return in[0], in[0]
	}
	return in[0], in[1]
}

// load is the steady traffic of the rotation test: client_credentials
// tokens used at the management API and introspected on the other
// instance, a service client authenticating with the secret its consumer
// holds, and a person's refresh token rotated on alternating instances.
// Every answer other than success is a failure.
type load struct {
	lb       *balancer
	service  atomic.Pointer[[2]string] // client id and the secret the consumer holds
	refresh  atomic.Pointer[string]
	requests atomic.Int64
	mu       sync.Mutex
	failures []string
}

func (l *load) fail(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failures = append(l.failures, fmt.Sprintf(format, args...))
}

func (l *load) post(n node, path, id, secret string, form url.Values) (reply, error) {
	l.requests.Add(1)
	req, err := http.NewRequest(http.MethodPost, n.url+path, strings.NewReader(form.Encode()))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return tryDo(req)
}

func (l *load) get(n node, path, bearer string) (reply, error) {
	l.requests.Add(1)
	req, err := http.NewRequest(http.MethodGet, n.url+path, nil)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	return tryDo(req)
}

// round runs one of each kind of request.
func (l *load) round() {
	x, y := l.lb.two()
	svc := *l.service.Load()
	// client_credentials on x, the token used and introspected on y.
	r, err := l.post(x, "/oauth/token", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"grant_type": {"client_credentials"}})
	if err != nil || r.status != http.StatusOK {
		l.fail("client_credentials on %s: %v %d %s", x.name, err, r.status, r.raw)
		return
	}
	admin := r.str("access_token")
	if r, err := l.get(y, "/api/clients?limit=1", admin); err != nil || r.status != http.StatusOK {
		l.fail("token of %s at the API of %s: %v %d %s", x.name, y.name, err, r.status, r.raw)
	}
	r, err = l.post(y, "/oauth/introspect", svc[0], svc[1], url.Values{"token": {admin}})
	if err != nil || r.status != http.StatusOK || r.body["active"] != true {
		l.fail("introspection on %s of a token of %s by the service client: %v %d %s", y.name, x.name, err, r.status, r.raw)
	}
	// The service client's own token.
	if r, err := l.post(x, "/oauth/token", svc[0], svc[1], url.Values{"grant_type": {"client_credentials"}}); err != nil || r.status != http.StatusOK {
		l.fail("service client_credentials on %s: %v %d %s", x.name, err, r.status, r.raw)
	}
	// Refresh on y, the new access token used at /api/auth/me on x.
	rt := *l.refresh.Load()
	r, err = l.post(y, "/oauth/token", "identity-web", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if err != nil || r.status != http.StatusOK {
		l.fail("refresh on %s: %v %d %s", y.name, err, r.status, r.raw)
		return
	}
	next := r.str("refresh_token")
	l.refresh.Store(&next)
	if r, err := l.get(x, "/api/auth/me", r.str("access_token")); err != nil || r.status != http.StatusOK {
		l.fail("/api/auth/me on %s after a refresh on %s: %v %d %s", x.name, y.name, err, r.status, r.raw)
	}
}

// Issue 21: JWT_SECRET, JWT_REFRESH_SECRET, a client secret and the signing
// keys are rotated on two instances of the real binary, restarted one at a
// time (in one order, then the other) as App Service restarts them, under
// steady load, following README "Rotating secrets and keys" step by step;
// not one request fails.
func TestRotationsUnderLoadFailNoRequest(t *testing.T) {
	t.Parallel()
	env := sharedEnv(t, oneRedis, map[string]string{"RATE_LIMIT_ENABLED": "false", "JWKS_CACHE_MAX_AGE": "2s"})
	port := map[string]int{"a": apptest.FreePort(t), "b": apptest.FreePort(t)}
	procs := map[string]*e2e.Process{}
	lb := &balancer{nodes: map[string]node{}}
	with := func(name string, vars map[string]string) map[string]string {
		out := map[string]string{"PORT": fmt.Sprint(port[name])}
		for k, v := range env {
			out[k] = v
		}
		for k, v := range vars {
			out[k] = v
		}
		return out
	}
	for _, name := range []string{"a", "b"} {
		procs[name] = e2e.Start(t, with(name, nil))
		lb.set(node{name: name, url: procs[name].URL})
	}
	restart := func(name string, vars map[string]string) {
		t.Helper()
		lb.remove(name)
		time.Sleep(300 * time.Millisecond) // the front end's drain
		procs[name].Stop(t)
		procs[name] = e2e.Start(t, with(name, vars))
		lb.set(node{name: name, url: procs[name].URL})
		time.Sleep(500 * time.Millisecond) // traffic on the restarted instance
	}
	keys := func(vars map[string]string, args ...string) string {
		t.Helper()
		code, stdout, stderr := e2e.Run(t, map[string]string{
			"DATABASE_URL": env["DATABASE_URL"], "JWT_REFRESH_SECRET": vars["JWT_REFRESH_SECRET"],
			"JWT_REFRESH_SECRET_PREVIOUS": vars["JWT_REFRESH_SECRET_PREVIOUS"], "JWT_SECRET_PREVIOUS": vars["JWT_SECRET_PREVIOUS"],
		}, append([]string{"keys"}, args...)...)
		require.Equal(t, 0, code, stderr)
		return stdout
	}

	a := node{name: "a", url: procs["a"].URL}
	admin := a.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	id, secret := a.newClient(t, admin)
	email := fmt.Sprintf("rotation-%d@example.com", time.Now().UnixNano())
	r := a.api(t, http.MethodPost, "/api/auth/register", "", map[string]string{"email": email, "password": "Analytical-Engine-1843", "first_name": "Ada", "last_name": "Lovelace"})
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	r = a.api(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": email, "password": "Analytical-Engine-1843"})
	require.Equal(t, http.StatusOK, r.status, r.raw)

	l := &load{lb: lb}
	l.service.Store(&[2]string{id, secret})
	rt := r.str("refresh_token")
	l.refresh.Store(&rt)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				l.round()
			}
		}
	})
	steady := func() { time.Sleep(time.Second) }
	steady()

	// JWT_SECRET and JWT_REFRESH_SECRET together. Step 1: the new secrets
	// as _NEXT everywhere.
	step1 := map[string]string{"JWT_SECRET_NEXT": nextJWTSecret, "JWT_REFRESH_SECRET_NEXT": nextRefreshSecret}
	restart("a", step1)
	restart("b", step1)
	steady()
	// Step 2: _NEXT becomes the current secret, the old one _PREVIOUS; the
	// other order this time.
	step2 := map[string]string{
		"JWT_SECRET": nextJWTSecret, "JWT_SECRET_PREVIOUS": apptest.JWTSecret,
		"JWT_REFRESH_SECRET": nextRefreshSecret, "JWT_REFRESH_SECRET_PREVIOUS": apptest.JWTRefreshSecret,
	}
	restart("b", step2)
	restart("a", step2)
	steady()
	// What is sealed under the previous refresh secret is moved; what is
	// hashed under it moves as it is used, until keys status says nothing
	// depends on it.
	keys(step2, "reseal")
	deadline := time.Now().Add(30 * time.Second)
	var status string
	for time.Now().Before(deadline) {
		status = keys(step2, "status")
		if strings.Contains(status, "signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: 0") &&
			strings.Contains(status, "client secrets not hashed under JWT_REFRESH_SECRET: 0") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Contains(t, status, "signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: 0")
	require.Contains(t, status, "client secrets not hashed under JWT_REFRESH_SECRET: 0")
	// The instances signed with the old JWT_SECRET moments ago: their
	// tokens may live TOKEN_EXPIRY more. The load uses fresh tokens only,
	// so it does not wait for them.
	assert.Contains(t, status, "access tokens signed with JWT_SECRET_PREVIOUS: may be valid until ")
	assert.Contains(t, status, "refresh tokens, codes and links made under JWT_REFRESH_SECRET_PREVIOUS and not used since: may be valid until ")
	// Step 3: _PREVIOUS dropped.
	step3 := map[string]string{"JWT_SECRET": nextJWTSecret, "JWT_REFRESH_SECRET": nextRefreshSecret}
	restart("a", step3)
	restart("b", step3)
	steady()

	// A client secret: regenerated with keep_previous_for; the consumer is
	// redeployed with the new one while the old one still works.
	b := node{name: "b", url: procs["b"].URL}
	admin = b.mustToken(t, apptest.AdminClientID, apptest.AdminClientSecret)
	r = b.api(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, map[string]string{"keep_previous_for": "1h"})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	steady()
	l.service.Store(&[2]string{id, r.str("client_secret")})
	steady()

	// The signing keys: a new key is published JWKS_CACHE_MAX_AGE before
	// it signs.
	code, _, stderr := e2e.Run(t, map[string]string{"DATABASE_URL": env["DATABASE_URL"]}, "keys", "rotate")
	require.Equal(t, 0, code, stderr)
	time.Sleep(3 * time.Second)

	close(stop)
	wg.Wait()
	t.Logf("%d requests", l.requests.Load())
	assert.Greater(t, l.requests.Load(), int64(100), "the load was steady")
	assert.Empty(t, l.failures, "no request failed")
}
