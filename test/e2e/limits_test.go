package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// Through the real binary behind a trusted proxy, with the default limits:
// fifty wrong secrets for a client from one address get that address 429,
// never the client, whose correct requests from elsewhere go on; and an
// IPv6 /64 counts as one address (issue 10, part 2).
func TestTokenLimitsThroughTheBinary(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"TRUSTED_PROXIES": "127.0.0.1/32", "RATE_LIMIT_AUTH": "3/15m"})
	c := p.Client(t)
	post := func(addr, path, contentType, body string, basic ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, p.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-Forwarded-For", addr)
		if len(basic) == 2 {
			req.SetBasicAuth(url.QueryEscape(basic[0]), url.QueryEscape(basic[1]))
		}
		resp, err := c.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	const form = "application/x-www-form-urlencoded"
	cc := "grant_type=client_credentials"

	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
	}).Client(context.Background())
	resp, created := postJSON(t, admin, p.URL+"/api/clients", map[string]any{"name": "Orders", "grant_types": []string{"client_credentials"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", created)
	id, secret := created["client_id"].(string), created["client_secret"].(string)

	for i := range 50 {
		require.Equal(t, http.StatusUnauthorized, post("2001:db8:bad:1::1", "/oauth/token", form, cc, id, "wrong").StatusCode, "attempt %d", i+1)
	}
	assert.Equal(t, http.StatusTooManyRequests, post("2001:db8:bad:1:ffff::2", "/oauth/token", form, cc, id, "wrong").StatusCode,
		"another address of the same /64 is the same attacker")
	assert.Equal(t, http.StatusOK, post("203.0.113.10", "/oauth/token", form, cc, id, secret).StatusCode,
		"the client with its secret is not refused")
	assert.Equal(t, http.StatusOK, post("2001:db8:bad:2::1", "/oauth/token", form, cc, id, secret).StatusCode,
		"not even from the attacker's neighbouring /64")

	login := `{"email":"nobody@example.com","password":"Wrong-Password-1"}`
	for range 3 {
		require.Equal(t, http.StatusUnauthorized, post("2001:db8:cafe:7::1", "/api/auth/login", "application/json", login).StatusCode)
	}
	assert.Equal(t, http.StatusTooManyRequests, post("2001:db8:cafe:7::99", "/api/auth/login", "application/json", login).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, post("2001:db8:cafe:8::1", "/api/auth/login", "application/json", login).StatusCode)
}
