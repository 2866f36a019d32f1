package integration_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

type sessionBody struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	ClientID   string  `json:"client_id"`
	CreatedAt  string  `json:"created_at"`
	LastUsedAt string  `json:"last_used_at"`
	ExpiresAt  string  `json:"expires_at"`
	Current    *bool   `json:"current"`
	IP         *string `json:"ip"`
}

// A person's sessions (one per refresh-token family) and tokens are listed
// without any token value, and ended one by one, by the person or an
// administrator: the session's tokens stop working, the others do not,
// and nothing is reported as reuse.
func TestSessionsListedAndEndedOneByOne(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := s.AdminToken(t)
	rsID, rsSecret := newServiceClient(t, s.Server, "read")
	person := createUser(t, s, admin, map[string]any{"email": "alan@example.com", "first_name": "Alan", "last_name": "Turing", "password": userPassword})
	other := createUser(t, s, admin, map[string]any{"email": "joan@example.com", "first_name": "Joan", "last_name": "Clarke", "password": userPassword})
	laptop := login(t, s.Server, "alan@example.com", userPassword)
	phone := login(t, s.Server, "alan@example.com", userPassword)
	joan := login(t, s.Server, "joan@example.com", userPassword)
	active := func(tok string) any { return introspect(t, s.Server, rsID, rsSecret, tok)["active"] }

	resp, raw := s.Do(t, http.MethodGet, "/api/users/"+person.ID+"/sessions", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	list := decode[struct{ Items []sessionBody }](t, raw).Items
	require.Len(t, list, 2)
	for _, it := range list {
		assert.Equal(t, core.SessionRefresh, it.Kind)
		assert.Equal(t, "identity-web", it.ClientID)
		assert.NotEmpty(t, it.ExpiresAt)
		assert.Nil(t, it.Current, "current only on the person's own list")
	}

	resp, raw = s.Do(t, http.MethodGet, "/api/users/"+person.ID+"/tokens", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	tokens := decode[struct {
		Items []struct{ ID, Type string }
	}](t, raw).Items
	counts := map[string]int{}
	for _, it := range tokens {
		counts[it.Type]++
	}
	assert.Equal(t, map[string]int{"access_token": 2, "refresh_token": 2}, counts)
	for _, secret := range []string{laptop.AccessToken, laptop.RefreshToken, phone.RefreshToken} {
		assert.NotContains(t, string(raw), secret, "never a token's value")
	}

	resp, raw = s.Do(t, http.MethodGet, "/api/auth/me/sessions", phone.AccessToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	mine := decode[struct{ Items []sessionBody }](t, raw).Items
	require.Len(t, mine, 2)
	var phoneSession, laptopSession string
	for _, it := range mine {
		require.NotNil(t, it.Current)
		if *it.Current {
			phoneSession = it.ID
		} else {
			laptopSession = it.ID
		}
	}
	require.NotEmpty(t, phoneSession)
	require.NotEmpty(t, laptopSession)

	reuse := len(s.auditEvents(t, core.AuditRefreshReuse))
	t.Run("nobody ends another person's session", func(t *testing.T) {
		resp, raw := s.Do(t, http.MethodDelete, "/api/auth/me/sessions/"+laptopSession, joan.AccessToken, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(raw))
		resp, raw = s.Do(t, http.MethodDelete, "/api/users/"+other.ID+"/sessions/"+laptopSession, admin, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "a session is ended under its own person only: %s", raw)
		assert.Equal(t, true, active(laptop.AccessToken))
	})

	t.Run("the person ends one of their sessions", func(t *testing.T) {
		resp, raw := s.Do(t, http.MethodDelete, "/api/auth/me/sessions/"+laptopSession, phone.AccessToken, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(raw))
		assert.Equal(t, false, active(laptop.AccessToken))
		assert.Equal(t, false, active(laptop.RefreshToken))
		assert.Equal(t, true, active(phone.AccessToken), "the other session goes on")
		tr := refresh(t, s.Server, laptop.RefreshToken, "")
		assert.Equal(t, "invalid_grant", tr.Error)
		assert.Equal(t, true, active(joan.AccessToken))
	})

	t.Run("an administrator ends one", func(t *testing.T) {
		resp, raw := s.Do(t, http.MethodDelete, "/api/users/"+person.ID+"/sessions/"+phoneSession, admin, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(raw))
		assert.Equal(t, false, active(phone.AccessToken))
		resp, raw = s.Do(t, http.MethodGet, "/api/users/"+person.ID+"/sessions", admin, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
		assert.Empty(t, decode[struct{ Items []sessionBody }](t, raw).Items)
		resp, _ = s.Do(t, http.MethodDelete, "/api/users/"+person.ID+"/sessions/"+phoneSession, admin, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an ended session is gone")
	})

	t.Run("bad input", func(t *testing.T) {
		for _, path := range []string{"/api/users/not-an-id/sessions", "/api/users/not-an-id/tokens", "/api/users/00000000-0000-0000-0000-000000000000/sessions"} {
			resp, raw := s.Do(t, http.MethodGet, path, admin, nil)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, resp.StatusCode, "%s: %s", path, raw)
		}
		resp, raw := s.Do(t, http.MethodDelete, "/api/users/"+person.ID+"/sessions/"+strings.Repeat("x", 300), admin, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(raw))
	})

	assert.Len(t, s.auditEvents(t, core.AuditRefreshReuse), reuse, "ending a session is no reuse")
	assert.Len(t, s.auditEvents(t, core.AuditSessionRevoked), 2)
}
