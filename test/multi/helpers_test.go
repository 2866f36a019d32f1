package multi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
)

// sharedIssuer is the ISSUER_URL of every instance: instances behind one
// load balancer share it, as they share JWT_SECRET, or none of them would
// accept the others' tokens.
const sharedIssuer = "http://identityd.test"

// The two kinds of Redis identityd runs on: one server, and a Redis
// Cluster (REDIS_CLUSTER=true; Azure Cache for Redis at scale is one).
// Every test of how instances converge runs on both; the janitor's, which
// are PostgreSQL's alone, on one server.
const (
	oneRedis     = "redis"
	redisCluster = "redis cluster"
)

var redisKinds = []string{oneRedis, redisCluster}

// cluster is the three-master cluster the tests that do not fail Redis
// share, each under a key prefix of its own.
var cluster redistest.SharedCluster

func TestMain(m *testing.M) {
	code := m.Run()
	cluster.Stop()
	os.Exit(code)
}

// forEachRedis runs fn as a parallel subtest on each kind of Redis.
func forEachRedis(t *testing.T, fn func(t *testing.T, kind string)) {
	t.Helper()
	for _, kind := range redisKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			fn(t, kind)
		})
	}
}

// sharedEnv makes a fresh PostgreSQL schema and Redis key prefix, on the
// test Redis or on the shared cluster, and returns the variables that put
// every instance given them on that one store. It skips the test without
// PostgreSQL and Redis (fails under REQUIRE_SERVICES=1).
func sharedEnv(t *testing.T, kind string, extra map[string]string) map[string]string {
	t.Helper()
	skipOnBackendPass(t)
	env := map[string]string{
		"DATABASE_URL": pgtest.NewSchema(t),
		"ISSUER_URL":   sharedIssuer,
	}
	if kind == redisCluster {
		c := cluster.Get(t)
		env["REDIS_URL"], env["REDIS_CLUSTER"], env["REDIS_KEY_PREFIX"] = c.URL(), "true", c.Prefix(t)
	} else {
		env["REDIS_URL"], env["REDIS_KEY_PREFIX"] = redistest.New(t)
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// skipOnBackendPass skips under TEST_BACKEND=postgres: these tests pick
// their own backend, so that pass would run them again exactly as the
// first pass did.
func skipOnBackendPass(t *testing.T) {
	t.Helper()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("runs on PostgreSQL and Redis in every pass; nothing more to run with TEST_BACKEND=postgres")
	}
}

// The bounds within which a change committed on one instance takes effect
// on every other (README, "Running on PostgreSQL and Redis"): while Redis
// carries the change notices, and after any fault, counted from when both
// stores answer again.
const (
	healthyBound = time.Second
	faultBound   = 10 * time.Second
)

// within polls cond until it holds and fails the test when bound passes
// first. It returns how long it took.
func within(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Errorf("%s: not within %s", what, bound)
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	t.Logf("%s: after %s", what, took.Round(time.Millisecond))
	return took
}

// node is one running instance, in-process or a real binary, reached by
// its base URL.
type node struct {
	name string
	url  string
}

// httpClient bounds every request, so a hanging server fails the test
// rather than stalling it.
var httpClient = &http.Client{Timeout: 30 * time.Second}

// reply is a response with its JSON body decoded.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (r reply) str(key string) string {
	s, _ := r.body[key].(string)
	return s
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	r, err := tryDo(req)
	require.NoError(t, err)
	return r
}

// tryDo is do for goroutines other than the test's: it reports instead
// of failing.
func tryDo(req *http.Request) (reply, error) {
	resp, err := httpClient.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	r := reply{status: resp.StatusCode, header: resp.Header, raw: string(data)}
	if len(data) > 0 {
		if err := json.Unmarshal(data, &r.body); err != nil {
			return reply{}, fmt.Errorf("%s %s: %w: %s", req.Method, req.URL.Path, err, data)
		}
	}
	return r, nil
}

// form posts an OAuth form with Basic client authentication.
func (n node) form(t *testing.T, path, id, secret string, values url.Values) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, n.url+path, strings.NewReader(values.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return do(t, req)
}

// api sends a JSON request with a Bearer token.
func (n node) api(t *testing.T, method, path, bearer string, body any) reply {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		r = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, n.url+path, r)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+bearer)
	return do(t, req)
}

// token asks for a client_credentials token.
func (n node) token(t *testing.T, id, secret string) reply {
	t.Helper()
	return n.form(t, "/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
}

// tryToken is token for goroutines other than the test's.
func (n node) tryToken(id, secret string) (reply, error) {
	req, err := http.NewRequest(http.MethodPost, n.url+"/oauth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return tryDo(req)
}

// mustToken returns a client_credentials access token.
func (n node) mustToken(t *testing.T, id, secret string) string {
	t.Helper()
	r := n.token(t, id, secret)
	require.Equal(t, http.StatusOK, r.status, "%s: %s", n.name, r.raw)
	return r.str("access_token")
}

// active introspects token as the bootstrap admin client.
func (n node) active(t *testing.T, token string) bool {
	t.Helper()
	r := n.form(t, "/oauth/introspect", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, r.status, "%s: %s", n.name, r.raw)
	active, ok := r.body["active"].(bool)
	require.True(t, ok, "%s: %s", n.name, r.raw)
	return active
}

// authenticates tells whether id and secret authenticate as a client,
// through the introspection endpoint: unlike a token request, it spends
// none of the client's token rate limit.
func (n node) authenticates(t *testing.T, id, secret string) bool {
	t.Helper()
	r := n.form(t, "/oauth/introspect", id, secret, url.Values{"token": {"none"}})
	require.Contains(t, []int{http.StatusOK, http.StatusUnauthorized}, r.status, "%s: %s", n.name, r.raw)
	return r.status == http.StatusOK
}

// newClient creates a confidential client_credentials client.
func (n node) newClient(t *testing.T, admin string) (id, secret string) {
	t.Helper()
	r := n.api(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "service", "grant_types": []string{"client_credentials"}, "scopes": []string{},
	})
	require.Equal(t, http.StatusCreated, r.status, "%s: %s", n.name, r.raw)
	id, secret = r.str("client_id"), r.str("client_secret")
	require.NotEmpty(t, id)
	require.NotEmpty(t, secret)
	return id, secret
}
