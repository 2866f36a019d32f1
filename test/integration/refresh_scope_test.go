package integration_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// RFC 6749 §6: a refresh asking for a narrower scope narrows the new access
// token only; the new refresh token's scope stays "identical to that of the
// refresh token included by the client".
func TestRefreshNarrowsOnlyTheAccessToken(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, true, nil, "a", "b")
	p := newPKCE()
	code := authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, "a b"), "ada@example.com", userPassword)
	first := exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
	require.Equal(t, "a b", first.Scope)

	refreshScope := func(token, scope string) apptest.TokenResponse {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}}
		if scope != "" {
			form.Set("scope", scope)
		}
		resp, body := s.PostForm(t, "/oauth/token", c.ID, c.Secret, form)
		tr := decode[apptest.TokenResponse](t, body)
		tr.Status = resp.StatusCode
		return tr
	}

	narrowed := refreshScope(first.RefreshToken, "a")
	require.Equal(t, http.StatusOK, narrowed.Status, narrowed.ErrorDescription)
	assert.Equal(t, "a", narrowed.Scope)
	assert.Equal(t, "a", introspect(t, s.Server, c.ID, c.Secret, narrowed.AccessToken)["scope"], "the access token is narrowed")
	assert.Equal(t, "a b", introspect(t, s.Server, c.ID, c.Secret, narrowed.RefreshToken)["scope"], "the refresh token is not")

	full := refreshScope(narrowed.RefreshToken, "")
	require.Equal(t, http.StatusOK, full.Status, full.ErrorDescription)
	assert.Equal(t, "a b", full.Scope, "without scope: the refresh token's whole scope")

	other := refreshScope(full.RefreshToken, "b")
	require.Equal(t, http.StatusOK, other.Status, other.ErrorDescription)
	assert.Equal(t, "b", other.Scope)

	wider := refreshScope(other.RefreshToken, "a b c")
	assert.Equal(t, "invalid_scope", wider.Error, "never beyond the original grant")
	assert.Equal(t, http.StatusOK, refreshScope(other.RefreshToken, "").Status, "a refused refresh does not spend the token")
}

// REFRESH_TOKEN_REUSE_INTERVAL: within it, the token just rotated may be
// presented again (two tabs refreshing at once) and gets a fresh pair of the
// same family; after it, presenting it is reuse and revokes the family.
func TestRefreshReuseInterval(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "10s"})
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)

	first := refresh(t, s.Server, lb.RefreshToken, "")
	require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
	s.Clock.Advance(9 * time.Second)
	second := refresh(t, s.Server, lb.RefreshToken, "")
	require.Equal(t, http.StatusOK, second.Status, "within the interval: %s", second.ErrorDescription)
	assert.NotEqual(t, first.RefreshToken, second.RefreshToken, "a fresh successor, not a copy")
	assert.Equal(t, first.Scope, second.Scope)
	for _, tr := range []apptest.TokenResponse{first, second} {
		mustGet(t, s.Server, "/api/auth/me", tr.AccessToken)
	}

	s.Clock.Advance(2 * time.Second) // 11s after the first rotation: the interval counts from it
	late := refresh(t, s.Server, lb.RefreshToken, "")
	assert.Equal(t, "invalid_grant", late.Error, "after the interval it is reuse")
	for _, tr := range []apptest.TokenResponse{first, second} {
		assert.Equal(t, "invalid_grant", refresh(t, s.Server, tr.RefreshToken, "").Error, "the whole family is revoked")
		resp, _ := s.Do(t, http.MethodGet, "/api/auth/me", tr.AccessToken, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	assert.NotEmpty(t, s.auditEvents(t, core.AuditRefreshReuse))
}

// Concurrent refreshes with one token: with a reuse interval every one of
// them gets a working pair and the person stays signed in; without one,
// exactly one wins and the others are reuse (TestConcurrentRefresh).
func TestConcurrentRefreshWithinReuseInterval(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "30s"})
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)

	const n = 8
	results := make([]apptest.TokenResponse, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = refresh(t, s.Server, lb.RefreshToken, "")
		}()
	}
	close(start)
	wg.Wait()
	seen := map[string]bool{}
	for _, r := range results {
		require.Equal(t, http.StatusOK, r.Status, r.ErrorDescription)
		assert.False(t, seen[r.RefreshToken], "each answer has its own refresh token")
		seen[r.RefreshToken] = true
	}
	for _, r := range results {
		next := refresh(t, s.Server, r.RefreshToken, "")
		assert.Equal(t, http.StatusOK, next.Status, "every tab keeps its session: %s", next.ErrorDescription)
	}
	assert.Empty(t, s.auditEvents(t, core.AuditRefreshReuse))
}
