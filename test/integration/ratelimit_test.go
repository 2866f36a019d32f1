package integration_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// assertLimited checks a 429 of contract §4 and §6.
func assertLimited(t *testing.T, resp *http.Response, body []byte, limit int) {
	t.Helper()
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, string(body))
	assert.Equal(t, "rate_limited", decode[errBody](t, body).Error)
	retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After in seconds")
	assert.Positive(t, retry)
	assert.Equal(t, strconv.Itoa(limit), resp.Header.Get("RateLimit-Limit"))
	assert.Equal(t, "0", resp.Header.Get("RateLimit-Remaining"))
	assert.NotEmpty(t, resp.Header.Get("RateLimit-Reset"))
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
}

func TestRateLimitGlobalByIP(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_GLOBAL": "3/1m"})
	for i := range 3 {
		resp, body := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "3", resp.Header.Get("RateLimit-Limit"))
		assert.Equal(t, strconv.Itoa(2-i), resp.Header.Get("RateLimit-Remaining"))
		reset, err := strconv.Atoi(resp.Header.Get("RateLimit-Reset"))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, reset, 1)
		assert.LessOrEqual(t, reset, 60, "at most the window until the whole limit is free again")
	}
	resp, body := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	assertLimited(t, resp, body, 3)
	resp, body = s.Do(t, http.MethodGet, "/no/such/route", "", nil)
	assertLimited(t, resp, body, 3)

	resp, _ = s.Do(t, http.MethodGet, "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "probes are not limited")
	assert.Empty(t, resp.Header.Get("RateLimit-Limit"))

	s.Clock.Advance(time.Minute)
	resp, body = s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "2", resp.Header.Get("RateLimit-Remaining"))
}

func TestRateLimitAuthByIP(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_AUTH": "2/15m"})
	for range 2 {
		resp, _ := s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "a@example.com", "password": "x"})
		assert.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode)
		assert.Equal(t, "2", resp.Header.Get("RateLimit-Limit"), "the auth limit is the tighter one")
	}
	resp, body := s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "a@example.com", "password": "x"})
	assertLimited(t, resp, body, 2)

	resp, _ = s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "other routes have only the global limit")
	assert.Equal(t, "1000", resp.Header.Get("RateLimit-Limit"))

	s.Clock.Advance(15 * time.Minute)
	resp, _ = s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "a@example.com", "password": "x"})
	assert.NotEqual(t, http.StatusTooManyRequests, resp.StatusCode)
}

func TestRateLimitTokenByClient(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_TOKEN": "3/1h"})
	// Creating the client takes one admin token.
	id, secret := newServiceClient(t, s, "orders:read")

	for range 3 {
		tr := s.ClientCredentials(t, id, secret, "")
		require.Equal(t, http.StatusOK, tr.Status, "issuance counts per authenticated client")
	}
	resp, body := s.PostForm(t, "/oauth/token", id, secret, url.Values{"grant_type": {"client_credentials"}})
	assertLimited(t, resp, body, 3)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	resp, body = s.PostForm(t, "/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	assertLimited(t, resp, body, 3)

	tr := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "")
	assert.Equal(t, http.StatusOK, tr.Status, "another client from the same address has its own budget")

	t.Run("no client named: counted by IP", func(t *testing.T) {
		for range 3 {
			resp, _ := s.PostForm(t, "/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}})
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		}
		resp, body := s.PostForm(t, "/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}})
		assertLimited(t, resp, body, 3)
	})

	s.Clock.Advance(time.Hour)
	tr = s.ClientCredentials(t, id, secret, "")
	assert.Equal(t, http.StatusOK, tr.Status, "the window has passed")
}

func TestRateLimitManagementByUser(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_SCOPES": "3/1h", "RATE_LIMIT_CLIENTS": "4/1h"})
	admin := s.AdminToken(t)
	id, secret := newOtherAdmin(t, s, admin)
	// newOtherAdmin used one /api/clients call of the admin.
	other := s.ClientCredentials(t, id, secret, "")
	require.Equal(t, http.StatusOK, other.Status)

	tests := []struct {
		name      string
		givePath  string
		wantLimit int
		wantUsed  int
	}{
		{"scopes", "/api/scopes", 3, 0},
		{"clients", "/api/clients", 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range tt.wantLimit - tt.wantUsed {
				resp, body := s.Do(t, http.MethodGet, tt.givePath, admin, nil)
				require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			}
			resp, body := s.Do(t, http.MethodGet, tt.givePath, admin, nil)
			assertLimited(t, resp, body, tt.wantLimit)
			resp, body = s.Do(t, http.MethodGet, tt.givePath+"/whatever", admin, nil)
			assertLimited(t, resp, body, tt.wantLimit)

			resp, body = s.Do(t, http.MethodGet, tt.givePath, other.AccessToken, nil)
			assert.Equal(t, http.StatusOK, resp.StatusCode, "another subject has its own budget: %s", body)
		})
	}

	s.Clock.Advance(time.Hour)
	admin = s.AdminToken(t)
	resp, body := s.Do(t, http.MethodGet, "/api/scopes", admin, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

// newOtherAdmin creates a second client holding the management scopes.
func newOtherAdmin(t *testing.T, s *apptest.Server, admin string) (string, string) {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "second admin", "grant_types": []string{"client_credentials"},
		"scopes": []string{"scopes:read", "scopes:write", "clients:read", "clients:write"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	c := decode[map[string]any](t, body)
	return c["client_id"].(string), c["client_secret"].(string)
}

func TestRateLimitDisabled(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, map[string]string{"RATE_LIMIT_ENABLED": "false", "RATE_LIMIT_GLOBAL": "1/1h"})
	for range 3 {
		resp, _ := s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, resp.Header.Get("RateLimit-Limit"))
	}
}

// Every way to present a password counts against the one per-address
// sign-in limit (RATE_LIMIT_AUTH): the sign-in form of /oauth/authorize,
// the device page's and POST /api/auth/login share one bucket, so
// password guesses through a page are not limited by the global limit
// alone. Abuse case of SECURITY.md "Password guessing round the sign-in
// limit".
func TestRateLimitAuthCountsEveryPasswordPath(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_AUTH": "4/15m"})
	c := newOIDCClient(t, s.Server, false, "")
	b := apptest.NewBrowser(t, s.URL)
	wrong := map[string]string{"email": "nobody@example.com", "password": "Wrong-Password-123"}

	authorizePage := func() apptest.Page {
		page := b.Open(authorizeURL(s.Server, freshParams(c, "openid")))
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		require.Len(t, page.Forms, 1)
		return page
	}
	page := authorizePage()
	got := b.Submit(page, page.Forms[0], wrong, "")
	assert.Equal(t, http.StatusUnauthorized, got.Status)
	assert.Equal(t, "4", got.Header.Get("RateLimit-Limit"), "the sign-in form counts against RATE_LIMIT_AUTH")
	assert.Equal(t, "3", got.Header.Get("RateLimit-Remaining"))

	device := b.Open(s.URL + "/device")
	require.Len(t, device.Forms, 1)
	got = b.Submit(device, device.Forms[0], wrong, "")
	assert.Equal(t, http.StatusUnauthorized, got.Status)
	assert.Equal(t, "2", got.Header.Get("RateLimit-Remaining"), "the device page's sign-in shares the bucket")

	resp, _ := s.Do(t, http.MethodPost, "/api/auth/login", "", wrong)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("RateLimit-Remaining"), "and so does the API")

	got = b.Submit(page, page.Forms[0], wrong, "")
	assert.Equal(t, http.StatusUnauthorized, got.Status)
	got = b.Submit(page, page.Forms[0], map[string]string{"email": "nobody@example.com", "password": userPassword}, "")
	assert.Equal(t, http.StatusTooManyRequests, got.Status, "the fifth guess, through the form, is refused")
	resp, body := s.Do(t, http.MethodPost, "/api/auth/login", "", wrong)
	assertLimited(t, resp, body, 4)

	// Showing the sign-in page is not a guess.
	s.Clock.Advance(15 * time.Minute)
	for range 5 {
		authorizePage()
	}
	resp, _ = s.Do(t, http.MethodPost, "/api/auth/login", "", wrong)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}
