package integration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

type adminUserBody struct {
	ID                string   `json:"id"`
	Email             string   `json:"email"`
	EmailVerified     bool     `json:"email_verified"`
	FirstName         string   `json:"first_name"`
	LastName          string   `json:"last_name"`
	Roles             []string `json:"roles"`
	Disabled          bool     `json:"disabled"`
	LastLoginAt       *string  `json:"last_login_at"`
	IdentityProviders []any    `json:"identity_providers"`
	MFA               struct {
		TOTP     bool `json:"totp"`
		Passkeys int  `json:"passkeys"`
	} `json:"mfa"`
}

type userPage struct {
	Items      []adminUserBody `json:"items"`
	NextCursor *string         `json:"next_cursor"`
}

// createUser makes a person through POST /api/users and returns them.
func createUser(t *testing.T, s *peopleServer, token string, body map[string]any) adminUserBody {
	t.Helper()
	resp, raw := s.Do(t, http.MethodPost, "/api/users", token, body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	return decode[adminUserBody](t, raw)
}

// People administration end to end: create (with a password and by
// invitation), search, change, disable (which ends every token at once and
// is no reuse), enable, reset, delete; each event written once.
func TestPeopleAdministration(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := login(t, s.Server, adminEmail, adminPassword)
	tok := admin.AccessToken
	rsID, rsSecret := newServiceClient(t, s.Server, "read")

	ada := createUser(t, s, tok, map[string]any{"email": "Ada@Example.com", "first_name": "Ada", "last_name": "Lovelace", "password": userPassword, "roles": []string{"support:tier-2"}, "email_verified": true})
	assert.Equal(t, "ada@example.com", ada.Email)
	assert.Equal(t, []string{"support:tier-2"}, ada.Roles)
	assert.True(t, ada.EmailVerified)
	assert.False(t, ada.Disabled)
	assert.Nil(t, ada.LastLoginAt)
	assert.NotNil(t, ada.IdentityProviders)

	t.Run("invitation", func(t *testing.T) {
		grace := createUser(t, s, tok, map[string]any{"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"})
		m, ok := s.mail.LastTo("grace@example.com")
		require.True(t, ok, "an invitation goes out")
		assert.Equal(t, 24*60, m.TTLMinutes, "valid PASSWORD_RESET_EXPIRY x 24")
		resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset/confirm", "", map[string]string{"token": m.Token, "password": "Grace-Own-Password-42"})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		login(t, s.Server, "grace@example.com", "Grace-Own-Password-42")
		got := decode[adminUserBody](t, mustGet(t, s.Server, "/api/users/"+grace.ID, tok))
		assert.NotNil(t, got.LastLoginAt, "last_login_at is kept")
	})

	t.Run("list and search", func(t *testing.T) {
		createUser(t, s, tok, map[string]any{"email": "charles@example.com", "first_name": "Charles", "last_name": "Babbage", "password": userPassword})
		page := decode[userPage](t, mustGet(t, s.Server, "/api/users?q=LOVEL", tok))
		require.Len(t, page.Items, 1)
		assert.Equal(t, ada.ID, page.Items[0].ID)
		page = decode[userPage](t, mustGet(t, s.Server, "/api/users?q="+url.QueryEscape("ada lovelace"), tok))
		assert.Len(t, page.Items, 1, "the full name matches")
		page = decode[userPage](t, mustGet(t, s.Server, "/api/users?q=example.COM&limit=2", tok))
		require.Len(t, page.Items, 2)
		require.NotNil(t, page.NextCursor)
		next := decode[userPage](t, mustGet(t, s.Server, "/api/users?q=example.com&limit=2&cursor="+url.QueryEscape(*page.NextCursor), tok))
		assert.NotEmpty(t, next.Items)
		assert.NotEqual(t, page.Items[0].ID, next.Items[0].ID)
		page = decode[userPage](t, mustGet(t, s.Server, "/api/users?role=support:tier-2", tok))
		require.Len(t, page.Items, 1)
		assert.Equal(t, ada.ID, page.Items[0].ID)
		page = decode[userPage](t, mustGet(t, s.Server, "/api/users?q=%25", tok))
		assert.Empty(t, page.Items, "wildcards match literally")
		page = decode[userPage](t, mustGet(t, s.Server, "/api/users?limit=100000", tok))
		assert.LessOrEqual(t, len(page.Items), 200, "limit is clamped")
		assert.GreaterOrEqual(t, len(page.Items), 4)
	})

	t.Run("change", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPatch, "/api/users/"+ada.ID, tok, map[string]any{"first_name": "Augusta Ada", "roles": []string{"support:tier-2", "billing"}})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		got := decode[adminUserBody](t, body)
		assert.Equal(t, "Augusta Ada", got.FirstName)
		assert.ElementsMatch(t, []string{"support:tier-2", "billing"}, got.Roles)
		resp, body = s.Do(t, http.MethodPatch, "/api/users/"+ada.ID, tok, map[string]any{"email": "grace@example.com"})
		assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
	})

	t.Run("disable ends every token and session, enable restores sign-in", func(t *testing.T) {
		lb := login(t, s.Server, "ada@example.com", userPassword)
		require.Equal(t, true, introspect(t, s.Server, rsID, rsSecret, lb.AccessToken)["active"])
		before := len(s.auditEvents(t, core.AuditRefreshReuse))

		resp, body := s.Do(t, http.MethodPatch, "/api/users/"+ada.ID, tok, map[string]any{"disabled": true})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.True(t, decode[adminUserBody](t, body).Disabled)

		assert.Equal(t, false, introspect(t, s.Server, rsID, rsSecret, lb.AccessToken)["active"], "the access token is inactive at once")
		assert.Equal(t, false, introspect(t, s.Server, rsID, rsSecret, lb.RefreshToken)["active"])
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", lb.AccessToken, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		tr := refresh(t, s.Server, lb.RefreshToken, "")
		assert.Equal(t, http.StatusBadRequest, tr.Status)
		assert.Equal(t, "invalid_grant", tr.Error)
		assert.Len(t, s.auditEvents(t, core.AuditRefreshReuse), before, "an administrator's revocation is no reuse")

		resp, _ = tryLogin(t, s.Server, "ada@example.com", "wrong-password-123")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a wrong password does not reveal the state")
		resp, body = tryLogin(t, s.Server, "ada@example.com", userPassword)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
		assert.Equal(t, "account_disabled", decode[errBody](t, body).Error)
		page := decode[userPage](t, mustGet(t, s.Server, "/api/users?status=disabled", tok))
		require.Len(t, page.Items, 1)
		assert.Equal(t, ada.ID, page.Items[0].ID)

		resp, body = s.Do(t, http.MethodPatch, "/api/users/"+ada.ID, tok, map[string]any{"disabled": false})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		login(t, s.Server, "ada@example.com", userPassword)
	})

	t.Run("sign out everywhere and reset", func(t *testing.T) {
		lb := login(t, s.Server, "ada@example.com", userPassword)
		resp, body := s.Do(t, http.MethodDelete, "/api/users/"+ada.ID+"/sessions", tok, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		assert.Equal(t, false, introspect(t, s.Server, rsID, rsSecret, lb.AccessToken)["active"])

		lb = login(t, s.Server, "ada@example.com", userPassword)
		resp, body = s.Do(t, http.MethodPost, "/api/users/"+ada.ID+"/password-reset", tok, map[string]any{"sign_out": true})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
		m, ok := s.mail.LastTo("ada@example.com")
		require.True(t, ok)
		assert.Equal(t, 60, m.TTLMinutes)
		assert.Equal(t, false, introspect(t, s.Server, rsID, rsSecret, lb.AccessToken)["active"])
	})

	t.Run("oneself", func(t *testing.T) {
		me := decode[userBody](t, mustGet(t, s.Server, "/api/auth/me", tok))
		for _, body := range []map[string]any{{"disabled": true}, {"roles": []string{}}, {"roles": []string{"admin", "extra"}}} {
			resp, raw := s.Do(t, http.MethodPatch, "/api/users/"+me.ID, tok, body)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(raw))
		}
		resp, raw := s.Do(t, http.MethodDelete, "/api/users/"+me.ID, tok, nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(raw))
		resp, raw = s.Do(t, http.MethodPatch, "/api/users/"+me.ID, tok, map[string]any{"last_name": "Root"})
		assert.Equal(t, http.StatusOK, resp.StatusCode, "names of oneself may change: %s", raw)
	})

	t.Run("bad input changes nothing", func(t *testing.T) {
		count := func() int { return len(decode[userPage](t, mustGet(t, s.Server, "/api/users?limit=200", tok)).Items) }
		n := count()
		tests := []struct {
			name, method, path string
			body               any
		}{
			{"unknown field", http.MethodPost, "/api/users", map[string]any{"email": "x@example.com", "first_name": "X", "last_name": "Y", "admin": true}},
			{"invalid role", http.MethodPost, "/api/users", map[string]any{"email": "x@example.com", "first_name": "X", "last_name": "Y", "roles": []string{"Bad Role"}}},
			{"long role", http.MethodPost, "/api/users", map[string]any{"email": "x@example.com", "first_name": "X", "last_name": "Y", "roles": []string{strings.Repeat("r", 65)}}},
			{"NUL byte", http.MethodPost, "/api/users", map[string]any{"email": "x@example.com", "first_name": "X\x00", "last_name": "Y"}},
			{"patch unknown field", http.MethodPatch, "/api/users/" + ada.ID, map[string]any{"password_hash": "x"}},
			{"patch invalid role", http.MethodPatch, "/api/users/" + ada.ID, map[string]any{"roles": []string{"ROOT"}}},
			{"malformed id", http.MethodPatch, "/api/users/not-an-id", map[string]any{"first_name": "X"}},
			{"malformed id get", http.MethodGet, "/api/users/x'%20OR%201=1", nil},
			{"10 KB q", http.MethodGet, "/api/users?q=" + strings.Repeat("a", 10240), nil},
			{"control character in q", http.MethodGet, "/api/users?q=a%01b", nil},
			{"NUL in q", http.MethodGet, "/api/users?q=a%00b", nil},
			{"bad status", http.MethodGet, "/api/users?status=gone", nil},
			{"bad role filter", http.MethodGet, "/api/users?role=A+B", nil},
			{"bad cursor", http.MethodGet, "/api/users?cursor=!!!", nil},
			{"forged cursor", http.MethodGet, "/api/users?cursor=Jyc", nil},
			{"limit zero", http.MethodGet, "/api/users?limit=0", nil},
			{"limit text", http.MethodGet, "/api/users?limit=ten", nil},
		}
		for _, tt := range tests {
			resp, raw := s.Do(t, tt.method, tt.path, tok, tt.body)
			assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, resp.StatusCode, "%s: %s", tt.name, raw)
		}
		assert.Equal(t, n, count(), "nothing was stored")
		got := decode[adminUserBody](t, mustGet(t, s.Server, "/api/users/"+ada.ID, tok))
		assert.ElementsMatch(t, []string{"support:tier-2", "billing"}, got.Roles)
		resp, _ := s.Do(t, http.MethodGet, "/api/users/00000000-0000-0000-0000-000000000000", tok, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("delete revokes everything first", func(t *testing.T) {
		lb := login(t, s.Server, "ada@example.com", userPassword)
		resp, body := s.Do(t, http.MethodDelete, "/api/users/"+ada.ID, tok, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		assert.Equal(t, false, introspect(t, s.Server, rsID, rsSecret, lb.AccessToken)["active"])
		resp, _ = s.Do(t, http.MethodGet, "/api/users/"+ada.ID, tok, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, _ = tryLogin(t, s.Server, "ada@example.com", userPassword)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})

	t.Run("each event once", func(t *testing.T) {
		assert.Len(t, s.auditEvents(t, core.AuditUserCreated), 3)
		assert.Len(t, s.auditEvents(t, core.AuditUserDisabled), 1)
		assert.Len(t, s.auditEvents(t, core.AuditUserEnabled), 1)
		assert.Len(t, s.auditEvents(t, core.AuditUserDeleted), 1)
		assert.Len(t, s.auditEvents(t, core.AuditSessionRevoked), 2)
		// first_name+roles on ada, last_name on the admin.
		assert.Len(t, s.auditEvents(t, core.AuditUserUpdated), 2)
		for _, e := range s.auditEvents(t, core.AuditUserUpdated) {
			assert.NotEmpty(t, e.ActorID)
		}
	})
}
