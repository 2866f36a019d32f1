package outage_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/outage"
)

// skipOnBackendPass skips under TEST_BACKEND=postgres: these tests pick
// their own backend, so that pass would only repeat them.
func skipOnBackendPass(t *testing.T) {
	t.Helper()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("runs on PostgreSQL and Redis in every pass; nothing more to run with TEST_BACKEND=postgres")
	}
}

// cutModes are the two ways a dependency goes away: refusing connections,
// or accepting them and dropping every packet.
var cutModes = []struct {
	name string
	cut  func(*outage.Proxy)
}{
	{name: "connections refused", cut: (*outage.Proxy).Cut},
	{name: "packets dropped", cut: (*outage.Proxy).Stall},
}

// viaProxy returns rawURL with its host:port replaced by addr.
func viaProxy(t *testing.T, rawURL, addr string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	u.Host = addr
	return u.String()
}

// hostOf is the host:port of rawURL.
func hostOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	require.NotEmpty(t, u.Port(), "the test URL names its port: %s", rawURL)
	return u.Host
}

// httpClient gives up after 30 s: a request to a server that lost a
// dependency must return (its own timeouts are far shorter), and one that
// does not fails the test instead of stalling it.
var httpClient = &http.Client{Timeout: 30 * time.Second}

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

// sendAll sends the requests side by side and returns their replies in
// order. Every request must return; none may answer 500.
func sendAll(t *testing.T, reqs ...*http.Request) []reply {
	t.Helper()
	type result struct {
		status int
		header http.Header
		data   []byte
		err    error
	}
	results := make([]result, len(reqs))
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := httpClient.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			results[i].status, results[i].header = resp.StatusCode, resp.Header
			results[i].data, results[i].err = io.ReadAll(resp.Body)
		}()
	}
	wg.Wait()
	replies := make([]reply, len(reqs))
	for i, res := range results {
		req := reqs[i]
		require.NoError(t, res.err, "%s %s did not return", req.Method, req.URL.Path)
		r := reply{status: res.status, header: res.header, raw: string(res.data)}
		if len(res.data) > 0 {
			require.NoError(t, json.Unmarshal(res.data, &r.body), "%s %s: %s", req.Method, req.URL.Path, res.data)
		}
		assert.NotEqual(t, http.StatusInternalServerError, r.status, "%s %s: %s", req.Method, req.URL.Path, res.data)
		replies[i] = r
	}
	return replies
}

func send(t *testing.T, req *http.Request) reply {
	t.Helper()
	return sendAll(t, req)[0]
}

type node struct{ url string }

func (n node) getReq(t *testing.T, path string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, n.url+path, nil)
	require.NoError(t, err)
	return req
}

func (n node) get(t *testing.T, path string) reply {
	t.Helper()
	return send(t, n.getReq(t, path))
}

func (n node) formReq(t *testing.T, path, id, secret string, values url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, n.url+path, strings.NewReader(values.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return req
}

func (n node) form(t *testing.T, path, id, secret string, values url.Values) reply {
	t.Helper()
	return send(t, n.formReq(t, path, id, secret, values))
}

func (n node) apiReq(t *testing.T, method, path, bearer string, body any) *http.Request {
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
	return req
}

func (n node) tokenReq(t *testing.T, id, secret string) *http.Request {
	t.Helper()
	return n.formReq(t, "/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
}

func (n node) token(t *testing.T, id, secret string) reply {
	t.Helper()
	return send(t, n.tokenReq(t, id, secret))
}

func (n node) mustToken(t *testing.T, id, secret string) string {
	t.Helper()
	r := n.token(t, id, secret)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	return r.str("access_token")
}

// introspectReq asks as the bootstrap admin client.
func (n node) introspectReq(t *testing.T, token string) *http.Request {
	t.Helper()
	return n.formReq(t, "/oauth/introspect", apptest.AdminClientID, apptest.AdminClientSecret, url.Values{"token": {token}})
}

// isActive reads an introspection reply.
func isActive(t *testing.T, r reply) bool {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, r.raw)
	active, ok := r.body["active"].(bool)
	require.True(t, ok, r.raw)
	return active
}

func (n node) active(t *testing.T, token string) bool {
	t.Helper()
	return isActive(t, send(t, n.introspectReq(t, token)))
}

func (n node) revokeReq(t *testing.T, id, secret, token string) *http.Request {
	t.Helper()
	return n.formReq(t, "/oauth/revoke", id, secret, url.Values{"token": {token}})
}

func (n node) createClientReq(t *testing.T, admin string) *http.Request {
	t.Helper()
	return n.apiReq(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "service", "grant_types": []string{"client_credentials"}, "scopes": []string{},
	})
}

func (n node) newClient(t *testing.T, admin string) (id, secret string) {
	t.Helper()
	r := send(t, n.createClientReq(t, admin))
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	return r.str("client_id"), r.str("client_secret")
}

// faultBound is how soon, after a fault, a change committed in PostgreSQL
// takes effect on every instance, counted from when both stores answer
// again (README, "Running on PostgreSQL and Redis").
const faultBound = 10 * time.Second

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

// waitReady polls /readyz until it answers 200 "ok" (not "degraded"),
// failing after a minute.
func (n node) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		r := n.get(t, "/readyz")
		if r.status == http.StatusOK && r.str("status") == "ok" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d a minute after the dependency came back: %s", r.status, r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// internals are words that betray the machinery behind a response.
var internals = []string{"postgres", "pq:", "sql", "redis", "dial", "tcp", "127.0.0.1", "eof", "timeout", "deadline", "goroutine", ".go:"}

// assertUnavailable checks the 503 of contract §4: the one error shape,
// Retry-After, and nothing about what failed inside.
func assertUnavailable(t *testing.T, r reply, what string) {
	t.Helper()
	if !assert.Equal(t, http.StatusServiceUnavailable, r.status, "%s: %s", what, r.raw) {
		return
	}
	assert.Equal(t, "temporarily_unavailable", r.str("error"), what)
	assert.NotEmpty(t, r.str("error_description"), what)
	assert.NotEmpty(t, r.header.Get("Retry-After"), what)
	assertNoInternals(t, r, what)
}

func assertNoInternals(t *testing.T, r reply, what string) {
	t.Helper()
	low := strings.ToLower(r.raw)
	for _, word := range internals {
		assert.NotContains(t, low, word, "%s: the response shows internals", what)
	}
}

// assertNotReady checks a /readyz reply while PostgreSQL is away: 503,
// naming the store.
func assertNotReady(t *testing.T, r reply) {
	t.Helper()
	assert.Equal(t, http.StatusServiceUnavailable, r.status, r.raw)
	assert.Equal(t, "unavailable", r.str("status"), r.raw)
	checks, _ := r.body["checks"].(map[string]any)
	assert.Equal(t, "unavailable", checks["store"], r.raw)
	assertNoInternals(t, r, "/readyz")
}

// assertDegraded checks a /readyz reply while Redis is away: 200
// "degraded", since requests still succeed, naming the cache.
func assertDegraded(t *testing.T, r reply) {
	t.Helper()
	assert.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "degraded", r.str("status"), r.raw)
	checks, _ := r.body["checks"].(map[string]any)
	assert.Equal(t, "unavailable", checks["cache"], r.raw)
	assert.Equal(t, "ok", checks["store"], r.raw)
	assertNoInternals(t, r, "/readyz")
}
