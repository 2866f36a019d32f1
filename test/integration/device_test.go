package integration_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants/tokenexchange"
)

// installedGrantTypes are the grant types of app.GrantModules, as the
// metadata lists them.
var installedGrantTypes = []any{"authorization_code", "client_credentials", "refresh_token", core.GrantDeviceCode, tokenexchange.GrantType}

// newClient registers a client with the given grant types and scopes.
func newClient(t *testing.T, s *apptest.Server, public, firstParty bool, grantTypes []string, scopes ...string) webClient {
	t.Helper()
	admin := s.AdminToken(t)
	for _, sc := range scopes {
		if slices.Contains(core.ManagementScopes(), sc) {
			continue // they exist from the start
		}
		resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": sc, "description": "test scope"})
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, resp.StatusCode, string(body))
	}
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "Living Room TV", "grant_types": grantTypes, "scopes": scopes, "public": public, "first_party": firstParty,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	c := decode[map[string]any](t, body)
	secret, _ := c["client_secret"].(string)
	return webClient{ID: c["client_id"].(string), Secret: secret}
}

type deviceAuth struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
	Error                   string `json:"error"`
}

// startDevice asks the device authorization endpoint for codes.
func startDevice(t *testing.T, s *apptest.Server, c webClient, scope string) (int, deviceAuth) {
	t.Helper()
	form := url.Values{}
	if scope != "" {
		form.Set("scope", scope)
	}
	id := c.ID
	if c.Secret == "" {
		form.Set("client_id", c.ID)
		id = ""
	}
	resp, body := s.PostForm(t, "/oauth/device_authorization", id, c.Secret, form)
	return resp.StatusCode, decode[deviceAuth](t, body)
}

// pollDevice makes one device access token request.
func pollDevice(t *testing.T, s *apptest.Server, c webClient, deviceCode string) apptest.TokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {core.GrantDeviceCode}, "device_code": {deviceCode}}
	id := c.ID
	if c.Secret == "" {
		form.Set("client_id", c.ID)
		id = ""
	}
	resp, body := s.PostForm(t, "/oauth/token", id, c.Secret, form)
	tr := decode[apptest.TokenResponse](t, body)
	tr.Status = resp.StatusCode
	return tr
}

// verifyDevice signs in at verification_uri_complete and presses button
// ("approve" or "deny") on the consent page; "" stops at the consent
// page. It returns the last page.
func verifyDevice(t *testing.T, s *apptest.Server, b *apptest.Browser, da deviceAuth, email, password, button string) apptest.Page {
	t.Helper()
	u, err := url.Parse(da.VerificationURIComplete)
	require.NoError(t, err)
	page := b.Open(s.URL + u.RequestURI())
	if len(page.Forms) == 1 && page.Forms[0].Fields.Has("csrf_token") && containsString(page.Forms[0].Inputs, "password") {
		page = signIn(t, b, page, email, password)
	}
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Len(t, page.Forms, 1, page.Body)
	require.Equal(t, da.UserCode, page.Forms[0].Fields.Get("user_code"), "filled in from verification_uri_complete")
	page = b.Submit(page, page.Forms[0], nil, "")
	if button == "" {
		return page
	}
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Contains(t, page.Body, "Allow access?")
	return b.Submit(page, page.Forms[0], nil, button)
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestDeviceFlowWithXOAuth2(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "tv@example.com", userPassword)
	c := newClient(t, s.Server, true, false, []string{core.GrantDeviceCode, core.GrantRefreshToken}, "photos:read", "photos:write")

	cfg := oauth2.Config{ClientID: c.ID, Scopes: []string{"photos:read"}, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: s.URL + "/oauth/device_authorization", TokenURL: s.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
	}}
	ctx := context.WithValue(t.Context(), oauth2.HTTPClient, s.HTTP)
	da, err := cfg.DeviceAuth(ctx)
	require.NoError(t, err)
	assert.Regexp(t, `^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`, da.UserCode)
	assert.Equal(t, s.Config.IssuerURL+"/device", da.VerificationURI)
	assert.Equal(t, int64(5), da.Interval)
	assert.WithinDuration(t, time.Now().Add(10*time.Minute), da.Expiry, time.Minute)

	b := apptest.NewBrowser(t, s.URL)
	page := verifyDevice(t, s.Server, b, deviceAuth{UserCode: da.UserCode, VerificationURIComplete: da.VerificationURIComplete}, "tv@example.com", userPassword, "approve")
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	assert.Contains(t, page.Body, "Device connected")

	pollCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	tok, err := cfg.DeviceAccessToken(pollCtx, da)
	require.NoError(t, err)
	assert.NotEmpty(t, tok.AccessToken)
	assert.NotEmpty(t, tok.RefreshToken, "the client has refresh_token")
	assert.Equal(t, "photos:read", tok.Extra("scope"))

	t.Run("the refresh token works", func(t *testing.T) {
		tr := refresh2(t, s.Server, c, tok.RefreshToken)
		assert.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	})
	t.Run("the device code is single-use", func(t *testing.T) {
		tr := pollDevice(t, s.Server, c, da.DeviceCode)
		assert.Equal(t, http.StatusBadRequest, tr.Status)
		assert.Equal(t, core.CodeInvalidGrant, tr.Error)
	})
	t.Run("one token.issued for the device", func(t *testing.T) {
		n := 0
		for _, e := range s.auditEvents(t, core.AuditTokenIssued) {
			if e.ClientID == c.ID && e.Detail != "" && contains(e.Detail, core.GrantDeviceCode) {
				n++
			}
		}
		assert.Equal(t, 1, n)
	})
}

func contains(s, sub string) bool { return len(sub) <= len(s) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func TestDeviceFlowPolling(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "poll@example.com", userPassword)
	c := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode}, "photos:read")

	t.Run("pending, slow_down adds 5 s, then tokens without a refresh token", func(t *testing.T) {
		status, da := startDevice(t, s.Server, c, "")
		require.Equal(t, http.StatusOK, status)
		tr := pollDevice(t, s.Server, c, da.DeviceCode)
		assert.Equal(t, "authorization_pending", tr.Error)
		assert.Equal(t, http.StatusBadRequest, tr.Status)
		tr = pollDevice(t, s.Server, c, da.DeviceCode)
		assert.Equal(t, "slow_down", tr.Error, "polled before the interval")
		s.Clock.Advance(6 * time.Second)
		assert.Equal(t, "slow_down", pollDevice(t, s.Server, c, da.DeviceCode).Error, "the interval is now 10 s")
		s.Clock.Advance(16 * time.Second)
		assert.Equal(t, "authorization_pending", pollDevice(t, s.Server, c, da.DeviceCode).Error, "after the 15 s interval")

		verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "poll@example.com", userPassword, "approve")
		s.Clock.Advance(16 * time.Second)
		tr = pollDevice(t, s.Server, c, da.DeviceCode)
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		assert.Empty(t, tr.RefreshToken, "the client lacks refresh_token")
		assert.Equal(t, "photos:read", tr.Scope, "an absent scope asks for the client's")
	})
	t.Run("denied", func(t *testing.T) {
		_, da := startDevice(t, s.Server, c, "photos:read")
		page := verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "poll@example.com", userPassword, "deny")
		assert.Contains(t, page.Body, "Request denied")
		tr := pollDevice(t, s.Server, c, da.DeviceCode)
		assert.Equal(t, http.StatusBadRequest, tr.Status)
		assert.Equal(t, core.CodeAccessDenied, tr.Error)
	})
	t.Run("expired after DEVICE_CODE_EXPIRY", func(t *testing.T) {
		_, da := startDevice(t, s.Server, c, "")
		s.Clock.Advance(10*time.Minute + time.Second)
		assert.Equal(t, "expired_token", pollDevice(t, s.Server, c, da.DeviceCode).Error)
		b := apptest.NewBrowser(t, s.URL)
		u, err := url.Parse(da.VerificationURIComplete)
		require.NoError(t, err)
		page := signIn(t, b, b.Open(s.URL+u.RequestURI()), "poll@example.com", userPassword)
		page = b.Submit(page, page.Forms[0], nil, "")
		assert.Equal(t, http.StatusBadRequest, page.Status)
		assert.Contains(t, page.Body, "not valid or has expired")
	})
	t.Run("single-use under concurrent polls", func(t *testing.T) {
		_, da := startDevice(t, s.Server, c, "")
		verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "poll@example.com", userPassword, "approve")
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := pollDevice(t, s.Server, c, da.DeviceCode)
				mu.Lock()
				statuses[tr.Status]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		assert.Equal(t, map[int]int{http.StatusOK: 1, http.StatusBadRequest: 7}, statuses)
	})
	t.Run("another client's device code", func(t *testing.T) {
		_, da := startDevice(t, s.Server, c, "")
		other := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode})
		tr := pollDevice(t, s.Server, other, da.DeviceCode)
		assert.Equal(t, core.CodeInvalidGrant, tr.Error)
	})
	t.Run("unknown or missing device code", func(t *testing.T) {
		assert.Equal(t, core.CodeInvalidGrant, pollDevice(t, s.Server, c, "no-such-code").Error)
		assert.Equal(t, core.CodeInvalidRequest, pollDevice(t, s.Server, c, "").Error)
	})
	t.Run("a wrong user code is refused and stores nothing", func(t *testing.T) {
		b := apptest.NewBrowser(t, s.URL)
		page := signIn(t, b, b.Open(s.URL+"/device"), "poll@example.com", userPassword)
		for _, give := range []string{"BCDF-GHJK", "AEIO-UAEI", "short", "<script>"} {
			got := b.Submit(page, page.Forms[0], map[string]string{"user_code": give}, "")
			assert.Equal(t, http.StatusBadRequest, got.Status, give)
			assert.NotContains(t, got.Body, "<script>")
		}
	})
	t.Run("a scope the client does not hold", func(t *testing.T) {
		status, da := startDevice(t, s.Server, c, "photos:write")
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, core.CodeInvalidScope, da.Error)
	})
	t.Run("a client not registered for the grant", func(t *testing.T) {
		svc := newClient(t, s.Server, false, false, []string{core.GrantClientCredentials})
		status, da := startDevice(t, s.Server, svc, "")
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, core.CodeUnauthorizedClient, da.Error)
		assert.Equal(t, core.CodeUnauthorizedClient, pollDevice(t, s.Server, svc, "x").Error)
	})
	t.Run("a wrong client secret", func(t *testing.T) {
		status, da := startDevice(t, s.Server, webClient{ID: c.ID, Secret: "wrong-secret-wrong-secret-wrong-secret"}, "")
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, core.CodeInvalidClient, da.Error)
	})
	t.Run("the page needs the CSRF token", func(t *testing.T) {
		b := apptest.NewBrowser(t, s.URL)
		page := signIn(t, b, b.Open(s.URL+"/device"), "poll@example.com", userPassword)
		f := page.Forms[0]
		f.Fields.Set("csrf_token", "forged")
		got := b.Submit(page, f, map[string]string{"user_code": "BCDF-GHJK"}, "")
		assert.Equal(t, http.StatusForbidden, got.Status)
	})
}

func TestDeviceFlowFirstPartyAndManagementScopes(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "user@example.com", userPassword)
	c := newClient(t, s.Server, true, true, []string{core.GrantDeviceCode}, core.ScopeClientsRead, "photos:read")
	_, da := startDevice(t, s.Server, c, "")
	page := verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, "user@example.com", userPassword, "approve")
	assert.Contains(t, page.Body, "Device connected")
	s.Clock.Advance(6 * time.Second)
	tr := pollDevice(t, s.Server, c, da.DeviceCode)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	assert.Equal(t, "photos:read", tr.Scope, "management scopes only for admins")
}

func TestMetadataListsDeviceGrant(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	resp, body := s.Do(t, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	md := decode[map[string]any](t, body)
	assert.Equal(t, s.Config.IssuerURL+"/oauth/device_authorization", md["device_authorization_endpoint"])
	assert.Contains(t, md["grant_types_supported"], core.GrantDeviceCode)
}
