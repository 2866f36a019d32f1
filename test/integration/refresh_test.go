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

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	lb := login(t, s.Server, adminEmail, adminPassword)

	first := refresh(t, s.Server, lb.RefreshToken, "")
	require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
	assert.NotEqual(t, lb.RefreshToken, first.RefreshToken, "rotated")
	assert.Equal(t, *lb.Scope, first.Scope)

	t.Run("narrowing", func(t *testing.T) {
		narrowed := refresh(t, s.Server, first.RefreshToken, core.ScopeScopesRead)
		require.Equal(t, http.StatusOK, narrowed.Status, narrowed.ErrorDescription)
		assert.Equal(t, core.ScopeScopesRead, narrowed.Scope)
		resp, _ := s.Do(t, http.MethodGet, "/api/clients", narrowed.AccessToken, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)

		// RFC 6749 §6: the new refresh token keeps the scope of the one
		// presented, so the original grant is still within reach...
		again := refresh(t, s.Server, narrowed.RefreshToken, core.ScopeClientsRead)
		require.Equal(t, http.StatusOK, again.Status, again.ErrorDescription)
		assert.Equal(t, core.ScopeClientsRead, again.Scope)
		// ...and nothing beyond it.
		widened := refresh(t, s.Server, again.RefreshToken, "orders:read")
		assert.Equal(t, http.StatusBadRequest, widened.Status)
		assert.Equal(t, "invalid_scope", widened.Error, "never widened")
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name      string
			giveForm  url.Values
			wantError string
		}{
			{"no refresh_token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"identity-web"}}, "invalid_request"},
			{"unknown token", url.Values{"grant_type": {"refresh_token"}, "client_id": {"identity-web"}, "refresh_token": {"nope"}}, "invalid_grant"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := s.PostForm(t, "/oauth/token", "", "", tt.giveForm)
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
				assert.Equal(t, tt.wantError, decode[errBody](t, body).Error)
			})
		}
	})

	t.Run("another client's refresh token", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/clients", s.AdminToken(t), map[string]any{
			"name": "other", "grant_types": []string{"client_credentials", "refresh_token"},
		})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		c := decode[map[string]any](t, body)
		id, secret := c["client_id"].(string), c["client_secret"].(string)
		fresh := login(t, s.Server, adminEmail, adminPassword)
		resp, body = s.PostForm(t, "/oauth/token", id, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {fresh.RefreshToken}})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "invalid_grant", decode[errBody](t, body).Error)
		assert.Equal(t, http.StatusOK, refresh(t, s.Server, fresh.RefreshToken, "").Status, "the failed attempt did not spend it")
	})
}

// Presenting a rotated refresh token revokes its whole family, with the
// access tokens issued alongside (RFC 9700 §4.14.2).
func TestRefreshReuseDetection(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	other := login(t, s.Server, "ada@example.com", userPassword)

	next := refresh(t, s.Server, lb.RefreshToken, "")
	require.Equal(t, http.StatusOK, next.Status)
	mustGet(t, s.Server, "/api/auth/me", next.AccessToken)

	reused := refresh(t, s.Server, lb.RefreshToken, "")
	assert.Equal(t, http.StatusBadRequest, reused.Status)
	assert.Equal(t, "invalid_grant", reused.Error)

	assert.Equal(t, "invalid_grant", refresh(t, s.Server, next.RefreshToken, "").Error, "the successor dies with the family")
	for _, token := range []string{lb.AccessToken, next.AccessToken} {
		resp, _ := s.Do(t, http.MethodGet, "/api/auth/me", token, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	assert.NotEmpty(t, s.auditEvents(t, core.AuditRefreshReuse))

	// Another login's family is unaffected.
	assert.Equal(t, http.StatusOK, refresh(t, s.Server, other.RefreshToken, "").Status)
}

// Of concurrent refreshes with one token exactly one succeeds.
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)

	const n = 16
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
	ok := 0
	for _, r := range results {
		if r.Status == http.StatusOK {
			ok++
		} else {
			assert.Equal(t, "invalid_grant", r.Error)
		}
	}
	assert.Equal(t, 1, ok, "exactly one refresh wins")
}

// The refresh token's lifetime runs from the first issue of its family;
// rotation does not extend it.
func TestRefreshFamilyExpiry(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"REFRESH_TOKEN_EXPIRY": "1h"})
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	s.Clock.Advance(40 * time.Minute)
	next := refresh(t, s.Server, lb.RefreshToken, "")
	require.Equal(t, http.StatusOK, next.Status)
	s.Clock.Advance(21 * time.Minute)
	expired := refresh(t, s.Server, next.RefreshToken, "")
	assert.Equal(t, "invalid_grant", expired.Error)
	assert.Contains(t, expired.ErrorDescription, "expired")
}
