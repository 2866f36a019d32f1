package integration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// The scope rules of requests real clients send: in an OpenID request
// (scope holds openid) unknown values such as groups are ignored (OpenID
// Connect Core §3.1.2.1) and offline_access (§11) is understood: granted,
// named on the consent page and answered with a refresh token only for a
// client registered for the refresh_token grant. A plain OAuth request
// keeps invalid_scope (RFC 6749 §4.1.2.1). Discovery lists offline_access.
func TestOpenIDRequestScopes(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "grace@example.com", userPassword)
	withRefresh := newOIDCClient(t, s.Server, false, "")
	resp, raw := s.Do(t, http.MethodPost, "/api/clients", s.AdminToken(t), map[string]any{
		"name": "No Refresh", "grant_types": []string{"authorization_code"},
		"scopes": []string{"openid", "profile"}, "redirect_uris": []string{callback},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	noRefresh := webClient{ID: decode[map[string]any](t, raw)["client_id"].(string), Secret: decode[map[string]any](t, raw)["client_secret"].(string)}
	b := apptest.NewBrowser(t, s.URL)

	type tokens struct {
		Scope        string `json:"scope"`
		RefreshToken string `json:"refresh_token"`
		IDToken      string `json:"id_token"`
	}
	flow := func(t *testing.T, c webClient, scope string) (apptest.Page, tokens) {
		t.Helper()
		page := b.Open(authorizeURL(s.Server, freshParams(c, scope)))
		if page.Left == nil && strings.Contains(page.Body, `name="password"`) {
			page = signIn(t, b, page, "grace@example.com", userPassword)
		}
		// Consent is remembered: a request for what the person approved
		// before goes straight back to the client.
		consent := page
		if page.Left == nil {
			page = approve(t, b, page, "approve")
		}
		require.NotNil(t, page.Left)
		require.Empty(t, page.Left.Query().Get("error"), page.Left.Query().Get("error_description"))
		resp, body := s.PostForm(t, "/oauth/token", c.ID, c.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {page.Left.Query().Get("code")}, "redirect_uri": {callback}})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return consent, decode[tokens](t, body)
	}

	t.Run("offline_access is granted, named on the consent page, and gives a refresh token", func(t *testing.T) {
		consent, tr := flow(t, withRefresh, "openid profile offline_access")
		require.Nil(t, consent.Left, "the first request asks")
		assert.Contains(t, consent.Body, "offline access", "consent names it")
		assert.ElementsMatch(t, []string{"openid", "profile", "offline_access"}, strings.Fields(tr.Scope))
		assert.NotEmpty(t, tr.RefreshToken)
		assert.NotEmpty(t, tr.IDToken)
	})
	t.Run("unknown values are ignored in an OpenID request", func(t *testing.T) {
		_, tr := flow(t, withRefresh, "openid profile groups")
		assert.ElementsMatch(t, []string{"openid", "profile"}, strings.Fields(tr.Scope))
		assert.NotEmpty(t, tr.IDToken)
	})
	t.Run("offline_access is not granted without the refresh_token grant", func(t *testing.T) {
		consent, tr := flow(t, noRefresh, "openid offline_access groups")
		require.Nil(t, consent.Left, "the first request of this client asks")
		assert.NotContains(t, consent.Body, "offline access")
		assert.Equal(t, "openid", tr.Scope)
		assert.Empty(t, tr.RefreshToken, "a refresh token only when offline_access is granted")
	})
	t.Run("a plain OAuth request keeps invalid_scope", func(t *testing.T) {
		for _, scope := range []string{"profile groups", "offline_access", "profile offline_access"} {
			page := b.Open(authorizeURL(s.Server, freshParams(withRefresh, scope)))
			require.NotNil(t, page.Left, scope)
			assert.Equal(t, "invalid_scope", page.Left.Query().Get("error"), scope)
		}
		page := b.Open(authorizeURL(s.Server, freshParams(noRefresh, "email openid")))
		require.NotNil(t, page.Left, "openid was approved before: %d %s", page.Status, page.Body)
		assert.Empty(t, page.Left.Query().Get("error"), "email, not the client's, is ignored in an OpenID request")
		assert.NotEmpty(t, page.Left.Query().Get("code"))
	})
	t.Run("discovery lists offline_access", func(t *testing.T) {
		for _, path := range []string{"/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"} {
			resp, body := s.Do(t, http.MethodGet, path, "", nil)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			d := decode[map[string]any](t, body)
			assert.Contains(t, d["scopes_supported"], "offline_access", path)
			assert.Contains(t, d["scopes_supported"], "openid", path)
		}
	})
}
