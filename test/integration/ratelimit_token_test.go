package integration_test

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// postFormFrom posts a form to the token endpoint from addr (behind the
// trusted proxy) with optional Basic credentials.
func postFormFrom(t *testing.T, s *apptest.Server, addr, id, secret string, form url.Values) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// Issue 10, part 2: 50 requests with a client's id and a wrong secret, from
// anywhere, used to refuse the client's correct requests for the rest of
// the hour. Failed client authentications now count per client and
// address, apart from the client's issuance.
func TestRateLimitWrongSecretsDoNotRefuseTheClient(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32"}) // the default 50/1h
	id, secret := newServiceClient(t, s, "orders:read")
	const attacker, victim = "198.51.100.66", "203.0.113.10"
	cc := url.Values{"grant_type": {"client_credentials"}}
	wrongPost := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"wrong"}}

	for i := range 50 {
		var resp *http.Response
		if i%2 == 0 {
			resp, _ = postFormFrom(t, s, attacker, id, "wrong", cc)
		} else {
			resp, _ = postFormFrom(t, s, attacker, "", "", wrongPost)
		}
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d", i+1)
	}
	resp, body := postFormFrom(t, s, attacker, id, "wrong", cc)
	assertLimited(t, resp, body, 50)
	resp, _ = postFormFrom(t, s, "2001:db8:66::1", id, "wrong", cc)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "another address has its own count of failures")

	// The attacker goes on with one guess a minute (refused or not, as the
	// store's algorithm refills its bucket); the client is never refused.
	for minute := range 3 {
		resp, body = postFormFrom(t, s, victim, id, secret, cc)
		require.Equal(t, http.StatusOK, resp.StatusCode, "minute %d: the client with its secret is not refused: %s", minute, body)
		remaining, err := strconv.Atoi(resp.Header.Get("RateLimit-Remaining"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, remaining, 49-minute, "its own issuance budget")
		s.Clock.Advance(time.Minute)
		resp, _ = postFormFrom(t, s, attacker, id, "wrong", cc)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusTooManyRequests}, resp.StatusCode)
	}
}

// All identity-web users shared one bucket of 50 an hour; the public
// client's issuance now counts per client and address, IPv6 by /64.
func TestRateLimitIdentityWebUsersDoNotShareABucket(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32", "RATE_LIMIT_TOKEN": "2/1h"})
	const ada, bob = "2001:db8:a:1::1", "192.0.2.20"
	register(t, s.Server, "ada@example.com", userPassword)
	register(t, s.Server, "bob@example.com", userPassword)
	loginAt := func(addr, email string) string {
		t.Helper()
		resp, body := doFrom(t, s.Server, addr, http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return decode[loginBody](t, body).RefreshToken
	}
	refreshAt := func(addr, token string) (*http.Response, []byte) {
		t.Helper()
		return postFormFrom(t, s.Server, addr, "", "", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}, "client_id": {"identity-web"}})
	}
	adaToken, bobToken := loginAt(ada, "ada@example.com"), loginAt(bob, "bob@example.com")
	for range 2 {
		resp, body := refreshAt(ada, adaToken)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		adaToken = decode[apptest.TokenResponse](t, body).RefreshToken
	}
	resp, body := refreshAt("2001:db8:a:1:ffff::9", adaToken)
	assertLimited(t, resp, body, 2)

	resp, body = refreshAt(bob, bobToken)
	require.Equal(t, http.StatusOK, resp.StatusCode, "another person at another address has their own budget: %s", body)
}

// Every per-address limit counts an IPv6 /64 as one client.
func TestRateLimitGroupsIPv6By64(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32", "RATE_LIMIT_GLOBAL": "3/1h", "RATE_LIMIT_AUTH": "2/15m"})
	get := func(addr string) (*http.Response, []byte) {
		t.Helper()
		return send(t, http.MethodGet, s.URL+"/.well-known/jwks.json", map[string]string{"X-Forwarded-For": addr}, "")
	}
	for _, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		resp, body := get(addr)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", addr, body)
	}
	resp, body := get("2001:db8:1:2:abcd::1")
	assertLimited(t, resp, body, 3)
	resp, _ = get("2001:db8:1:3::1")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the next /64 is another client")
	resp, _ = get("198.51.100.7")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	login := func(addr string) (*http.Response, []byte) {
		t.Helper()
		return doFrom(t, s, addr, http.MethodPost, "/api/auth/login", map[string]string{"email": "a@example.com", "password": "x"})
	}
	for _, addr := range []string{"2001:db8:9:9::1", "2001:db8:9:9::2"} {
		resp, _ := login(addr)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, body = login("2001:db8:9:9::3")
	assertLimited(t, resp, body, 2)
}
