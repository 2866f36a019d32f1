package integration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

type consentsBody struct {
	Items []struct {
		ClientID   string    `json:"client_id"`
		ClientName string    `json:"client_name"`
		Scopes     []string  `json:"scopes"`
		GrantedAt  time.Time `json:"granted_at"`
	} `json:"items"`
}

// TestRememberedConsent: consent is remembered per person, client and
// scopes; prompt=none then succeeds; prompt=consent always asks; a new
// scope asks for that scope only; the person lists and revokes it, which
// revokes the application's tokens for them. Each grant and revocation is
// one event.
func TestRememberedConsent(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newWebClient(t, s.Server, false, false, nil, "photos.read", "contacts.read")
	register(t, s.Server, "consent@example.com", userPassword)
	b := apptest.NewBrowser(t, s.URL)
	p := newPKCE()
	params := func(scope string, extra ...string) map[string]string {
		m := codeParams(c, p, scope)
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}

	// The first request asks.
	page := b.Open(authorizeURL(s.Server, params("photos.read")))
	page = signIn(t, b, page, "consent@example.com", userPassword)
	require.Nil(t, page.Left, "a consent page, not a code")
	assert.Contains(t, page.Body, "photos.read")
	before := s.auditCounts(t)
	page = approve(t, b, page, "approve")
	require.NotNil(t, page.Left)
	assert.NotEmpty(t, page.Left.Query().Get("code"))
	assert.Equal(t, 1, s.auditCounts(t)[core.AuditConsentGranted]-before[core.AuditConsentGranted])

	t.Run("the same scopes again: no page", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("photos.read")))
		require.NotNil(t, page.Left, "redirected with a code: %s", page.Body)
		assert.NotEmpty(t, page.Left.Query().Get("code"))
	})
	t.Run("prompt=none succeeds", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("photos.read", "prompt", "none")))
		require.NotNil(t, page.Left, page.Body)
		assert.Empty(t, page.Left.Query().Get("error"), page.Left.Query().Get("error_description"))
		assert.NotEmpty(t, page.Left.Query().Get("code"))
	})
	t.Run("prompt=consent always asks", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("photos.read", "prompt", "consent")))
		require.Nil(t, page.Left)
		assert.Contains(t, page.Body, "Allow access?")
		assert.Contains(t, page.Body, "photos.read")
	})
	t.Run("a new scope asks for the new scope only", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("photos.read contacts.read", "prompt", "none")))
		require.NotNil(t, page.Left)
		assert.Equal(t, core.CodeConsentRequired, page.Left.Query().Get("error"), "none may not ask for the new scope")

		page = b.Open(authorizeURL(s.Server, params("photos.read contacts.read")))
		require.Nil(t, page.Left)
		asked := consentScopes(page.Body)
		assert.Contains(t, asked, "contacts.read")
		assert.NotContains(t, asked, "photos.read", "approved before")
		before := s.auditCounts(t)
		page = approve(t, b, page, "approve")
		require.NotNil(t, page.Left)
		code := page.Left.Query().Get("code")
		tr := exchange(t, s.Server, c, code, callback, p.verifier)
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		assert.ElementsMatch(t, []string{"photos.read", "contacts.read"}, splitScope(tr.Scope))
		after := s.auditCounts(t)
		assert.Equal(t, 1, after[core.AuditConsentGranted]-before[core.AuditConsentGranted])

		page = b.Open(authorizeURL(s.Server, params("contacts.read photos.read", "prompt", "none")))
		require.NotNil(t, page.Left)
		assert.NotEmpty(t, page.Left.Query().Get("code"), page.Left.Query().Get("error"))
	})

	t.Run("fewer scopes: no page", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("contacts.read")))
		require.NotNil(t, page.Left, page.Body)
		assert.NotEmpty(t, page.Left.Query().Get("code"))
	})

	person := login(t, s.Server, "consent@example.com", userPassword).AccessToken
	t.Run("listed", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodGet, "/api/auth/me/consents", person, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		got := decode[consentsBody](t, body)
		require.Len(t, got.Items, 1, "identity-web is first-party: not listed")
		assert.Equal(t, c.ID, got.Items[0].ClientID)
		assert.Equal(t, "Photo Printer", got.Items[0].ClientName)
		assert.Equal(t, []string{"contacts.read", "photos.read"}, got.Items[0].Scopes)
		assert.False(t, got.Items[0].GrantedAt.IsZero())
	})

	t.Run("someone else sees and revokes nothing of it", func(t *testing.T) {
		register(t, s.Server, "other@example.com", userPassword)
		other := login(t, s.Server, "other@example.com", userPassword).AccessToken
		resp, body := s.Do(t, http.MethodGet, "/api/auth/me/consents", other, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Empty(t, decode[consentsBody](t, body).Items)
		resp, _ = s.Do(t, http.MethodDelete, "/api/auth/me/consents/"+c.ID, other, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		admin := s.AdminToken(t)
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me/consents", admin, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a client's own token has no person")
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me/consents", "", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})

	t.Run("bad input", func(t *testing.T) {
		for _, id := range []string{"a%20b", "a%00b", "%ff", strings.Repeat("a", 10*1024), "a%22b"} {
			resp, body := s.Do(t, http.MethodDelete, "/api/auth/me/consents/"+id, person, nil)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "%.40s: %s", id, body)
		}
	})

	t.Run("revoked", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, params("photos.read")))
		require.NotNil(t, page.Left)
		tr := exchange(t, s.Server, c, page.Left.Query().Get("code"), callback, p.verifier)
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		require.NotEmpty(t, tr.RefreshToken)

		before := s.auditCounts(t)
		resp, body := s.Do(t, http.MethodDelete, "/api/auth/me/consents/"+c.ID, person, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		after := s.auditCounts(t)
		assert.Equal(t, 1, after[core.AuditConsentRevoked]-before[core.AuditConsentRevoked])
		assert.Zero(t, after[core.AuditConsentGranted]-before[core.AuditConsentGranted])

		resp, body = s.PostForm(t, "/oauth/introspect", c.ID, c.Secret, url.Values{"token": {tr.AccessToken}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `{"active":false}`, string(body), "the application's access token")
		assert.NotEqual(t, http.StatusOK, refreshWith(t, s.Server, c, tr.RefreshToken), "the application's refresh token")
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", person, nil)
		assert.Equal(t, http.StatusOK, resp.StatusCode, "the person's own sign-in stays")

		resp, body = s.Do(t, http.MethodGet, "/api/auth/me/consents", person, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Empty(t, decode[consentsBody](t, body).Items)
		resp, _ = s.Do(t, http.MethodDelete, "/api/auth/me/consents/"+c.ID, person, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)

		page = b.Open(authorizeURL(s.Server, params("photos.read", "prompt", "none")))
		require.NotNil(t, page.Left)
		assert.Equal(t, core.CodeConsentRequired, page.Left.Query().Get("error"), "asked again")
	})
}

func splitScope(s string) []string { return strings.Fields(s) }

// consentScopes is the list of scopes a consent page asks for.
func consentScopes(body string) string {
	_, after, ok := strings.Cut(body, `<ul class="scopes">`)
	if !ok {
		return ""
	}
	list, _, _ := strings.Cut(after, "</ul>")
	return list
}

// refreshWith presents a refresh token of client c and returns the status.
func refreshWith(t *testing.T, s *apptest.Server, c webClient, token string) int {
	t.Helper()
	resp, _ := s.PostForm(t, "/oauth/token", c.ID, c.Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	return resp.StatusCode
}
