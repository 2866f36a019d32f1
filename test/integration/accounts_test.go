package integration_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

func TestRegisterRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	valid := func(change map[string]any) map[string]any {
		body := map[string]any{"email": "grace@example.com", "password": userPassword, "first_name": "Grace", "last_name": "Hopper"}
		for k, v := range change {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	tests := []struct {
		name       string
		give       map[string]any
		wantField  string
		wantSubstr string
	}{
		{"no email", valid(map[string]any{"email": nil}), "email", "is required"},
		{"email without at", valid(map[string]any{"email": "grace.example.com"}), "email", "valid email address"},
		{"email without domain dot", valid(map[string]any{"email": "grace@localhost"}), "email", "valid email address"},
		{"email with display name", valid(map[string]any{"email": "Grace <grace@example.com>"}), "email", "valid email address"},
		{"email with two ats", valid(map[string]any{"email": "grace@@example.com"}), "email", "valid email address"},
		{"no password", valid(map[string]any{"password": nil}), "password", "is required"},
		{"short password", valid(map[string]any{"password": "Ab1!xyz"}), "password", "at least 8 characters"},
		{"common password", valid(map[string]any{"password": "password123"}), "password", "most commonly used"},
		{"common password in capitals", valid(map[string]any{"password": "QWERTY123"}), "password", "most commonly used"},
		{"73-byte password", valid(map[string]any{"password": strings.Repeat("Ab3$", 18) + "x"}), "password", "at most 72 bytes"},
		{"password equal to the email", valid(map[string]any{"password": "grace@example.com"}), "password", "must not be the email"},
		{"no first name", valid(map[string]any{"first_name": nil}), "first_name", "is required"},
		{"blank last name", valid(map[string]any{"last_name": "   "}), "last_name", "is required"},
		{"unknown field", valid(map[string]any{"is_admin": true}), "is_admin", "is not a known field"},
		{"roles may not be set", valid(map[string]any{"roles": []string{"admin"}}), "roles", "is not a known field"},
		{"password of the wrong type", valid(map[string]any{"password": 12345678}), "password", "must be of type string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", tt.give)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			e := decode[errBody](t, body)
			assert.Equal(t, "invalid_request", e.Error)
			assert.Contains(t, e.Fields[tt.wantField], tt.wantSubstr, "fields: %v", e.Fields)
		})
	}

	t.Run("several problems are named together", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]any{"email": "x", "password": "short"})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		e := decode[errBody](t, body)
		assert.Len(t, e.Fields, 4, "email, password, first_name, last_name: %v", e.Fields)
	})
	t.Run("not JSON", func(t *testing.T) {
		resp, _ := s.PostForm(t, "/api/auth/register", "", "", nil)
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	})
	t.Run("malformed JSON", func(t *testing.T) {
		resp, _ := s.Do(t, http.MethodPost, "/api/auth/register", "", `{"email":`)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

func TestRegisterNormalisesEmailAndRefusesDuplicates(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"email": "  Ada.Lovelace@Example.COM ", "password": userPassword, "first_name": "Ada", "last_name": "Lovelace",
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	u := decode[userBody](t, body)
	assert.NotEmpty(t, u.ID)
	assert.Equal(t, "ada.lovelace@example.com", u.Email)
	assert.Equal(t, "Ada", u.FirstName)
	assert.NotEmpty(t, u.CreatedAt)
	assert.NotContains(t, string(body), "password")
	assert.NotContains(t, string(body), "$2a$", "never the hash")

	for _, email := range []string{"ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", " Ada.Lovelace@example.com"} {
		t.Run(email, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
				"email": email, "password": userPassword, "first_name": "Ada", "last_name": "Again",
			})
			require.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
			e := decode[errBody](t, body)
			assert.Equal(t, "conflict", e.Error)
			assert.Equal(t, map[string]string{"email": "is already registered"}, e.Fields)
		})
	}
	// The email, in any case, logs in.
	login(t, s.Server, "ADA.lovelace@example.com", userPassword)
}

func TestLoginAnswersTheSameForUnknownEmailAndWrongPassword(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)

	unknownResp, unknown := tryLogin(t, s.Server, "nobody@example.com", userPassword)
	wrongResp, wrong := tryLogin(t, s.Server, "ada@example.com", "Not-The-Password-1")
	assert.Equal(t, http.StatusUnauthorized, unknownResp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, wrongResp.StatusCode)
	assert.JSONEq(t, string(unknown), string(wrong))
	assert.Equal(t, "invalid_credentials", decode[errBody](t, wrong).Error)
	assert.Equal(t, unknownResp.Header.Get("WWW-Authenticate"), wrongResp.Header.Get("WWW-Authenticate"))
	assert.NotEmpty(t, wrongResp.Header.Get("WWW-Authenticate"))
	assert.Len(t, s.auditEvents(t, core.AuditLoginFailed), 2)

	t.Run("missing fields", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, map[string]string{"email": "is required", "password": "is required"}, decode[errBody](t, body).Fields)
	})
	t.Run("unknown field", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/login", "", map[string]string{"email": "ada@example.com", "password": userPassword, "remember": "yes"})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "is not a known field", decode[errBody](t, body).Fields["remember"])
	})
	t.Run("success", func(t *testing.T) {
		resp, body := tryLogin(t, s.Server, "ada@example.com", userPassword)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		lb := decode[loginBody](t, body)
		assert.Equal(t, "Bearer", lb.TokenType)
		assert.Equal(t, int64(900), lb.ExpiresIn)
		assert.NotEmpty(t, lb.AccessToken)
		assert.GreaterOrEqual(t, len(lb.RefreshToken), 43, "256 bits")
		require.NotNil(t, lb.Scope, "scope is always present")
		assert.Equal(t, "", *lb.Scope, "a user without roles gets no scopes")
		assert.NotEmpty(t, s.auditEvents(t, core.AuditLoginSucceeded))
	})
}

func TestAdminLoginGetsManagementScopes(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	lb := login(t, s.Server, adminEmail, adminPassword)
	require.NotNil(t, lb.Scope)
	assert.ElementsMatch(t, core.ManagementScopes(), strings.Fields(*lb.Scope))
	resp, body := s.Do(t, http.MethodGet, "/api/clients", lb.AccessToken, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	me := decode[userBody](t, mustGet(t, s.Server, "/api/auth/me", lb.AccessToken))
	assert.Equal(t, []string{"admin"}, me.Roles)
	// The bootstrap client holds the people and audit scopes too.
	cc := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "users:read users:write audit:read")
	assert.Equal(t, http.StatusOK, cc.Status, cc.ErrorDescription)

	// An ordinary user's token is refused by the management API.
	register(t, s.Server, "ada@example.com", userPassword)
	user := login(t, s.Server, "ada@example.com", userPassword)
	resp, _ = s.Do(t, http.MethodGet, "/api/clients", user.AccessToken, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func mustGet(t *testing.T, s *apptest.Server, path, token string) []byte {
	t.Helper()
	resp, body := s.Do(t, http.MethodGet, path, token, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return body
}

func TestMe(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	id := register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	other := login(t, s.Server, "ada@example.com", userPassword)

	me := decode[userBody](t, mustGet(t, s.Server, "/api/auth/me", lb.AccessToken))
	assert.Equal(t, id, me.ID)
	assert.Equal(t, "ada@example.com", me.Email)

	t.Run("without a token", func(t *testing.T) {
		resp, _ := s.Do(t, http.MethodGet, "/api/auth/me", "", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	})
	t.Run("a client's own token has no account", func(t *testing.T) {
		resp, _ := s.Do(t, http.MethodGet, "/api/auth/me", s.AdminToken(t), nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	})

	patch := func(body any) (*http.Response, []byte) {
		return s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, body)
	}
	t.Run("names", func(t *testing.T) {
		resp, body := patch(map[string]string{"first_name": "Augusta Ada"})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		u := decode[userBody](t, body)
		assert.Equal(t, "Augusta Ada", u.FirstName)
		assert.Equal(t, "Lovelace", u.LastName)
	})
	tests := []struct {
		name      string
		give      map[string]any
		wantField string
		wantMsg   string
	}{
		{"empty first name", map[string]any{"first_name": ""}, "first_name", "is required"},
		{"password without the current one", map[string]any{"password": "New-Password-42!"}, "current_password", "is required to change the password"},
		{"wrong current password", map[string]any{"password": "New-Password-42!", "current_password": "wrong-password-1"}, "current_password", "is incorrect"},
		{"weak new password", map[string]any{"password": "letmein", "current_password": userPassword}, "password", "must be at least 8 characters"},
		{"common new password", map[string]any{"password": "iloveyou1", "current_password": userPassword}, "password", "is one of the most commonly used passwords; choose another"},
		{"unknown field", map[string]any{"nickname": "Ada"}, "nickname", "is not a known field"},
		{"a new e-mail without the current password", map[string]any{"email": "new@example.com"}, "current_password", "is required to change the e-mail address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := patch(tt.give)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			assert.Equal(t, tt.wantMsg, decode[errBody](t, body).Fields[tt.wantField])
		})
	}

	t.Run("new password revokes the refresh tokens", func(t *testing.T) {
		resp, body := patch(map[string]string{"password": "New-Password-42!", "current_password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "invalid_grant", refresh(t, s.Server, other.RefreshToken, "").Error)
		resp, _ = tryLogin(t, s.Server, "ada@example.com", userPassword)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		login(t, s.Server, "ada@example.com", "New-Password-42!")
	})
}

func TestDeleteMe(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	second := login(t, s.Server, "ada@example.com", userPassword)

	resp, body := s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "is required to delete the account", decode[errBody](t, body).Fields["current_password"])
	resp, body = s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": "Wrong-Password-1"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "is incorrect", decode[errBody](t, body).Fields["current_password"])

	resp, body = s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": userPassword})
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))

	for _, token := range []string{lb.AccessToken, second.AccessToken} {
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", token, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "every access token of the account is revoked")
	}
	for _, rt := range []string{lb.RefreshToken, second.RefreshToken} {
		assert.Equal(t, "invalid_grant", refresh(t, s.Server, rt, "").Error)
	}
	resp, _ = tryLogin(t, s.Server, "ada@example.com", userPassword)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	register(t, s.Server, "ada@example.com", userPassword)
}

func TestLogout(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	other := login(t, s.Server, "ada@example.com", userPassword)

	resp, _ := s.Do(t, http.MethodPost, "/api/auth/logout", "", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp, body := s.Do(t, http.MethodPost, "/api/auth/logout", lb.AccessToken, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", lb.AccessToken, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the access token stops working at once")
	assert.Equal(t, "invalid_grant", refresh(t, s.Server, lb.RefreshToken, "").Error, "and its refresh token")
	resp, _ = s.Do(t, http.MethodPost, "/api/auth/logout", lb.AccessToken, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	// Another session of the same person is untouched.
	mustGet(t, s.Server, "/api/auth/me", other.AccessToken)
	assert.Equal(t, http.StatusOK, refresh(t, s.Server, other.RefreshToken, "").Status)
	assert.NotEmpty(t, s.auditEvents(t, core.AuditTokenRevoked))
}

func TestPasswordReset(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)

	request := func(email string) {
		t.Helper()
		resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": email})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	}
	request("nobody@example.com")
	for _, m := range s.mail.Sent() {
		assert.NotEqual(t, "nobody@example.com", m.To, "no mail for an unknown address, and the same 202")
	}

	resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "not an email"})
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, decode[errBody](t, body).Fields, "email")

	request(" ADA@example.com")
	m, ok := s.mail.LastTo("ada@example.com")
	require.True(t, ok)
	assert.Equal(t, 60, m.TTLMinutes)
	assert.GreaterOrEqual(t, len(m.Token), 43)
	assert.NotContains(t, s.Logs(), m.Token, "the token never reaches the log")

	confirm := func(token, password string) (*http.Response, errBody) {
		t.Helper()
		resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset/confirm", "", map[string]string{"token": token, "password": password})
		var e errBody
		if len(body) > 0 {
			e = decode[errBody](t, body)
		}
		return resp, e
	}
	resp, e := confirm(m.Token, "qwerty123")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, e.Fields["password"], "most commonly used")
	resp, e = confirm("not-a-real-token", "New-Password-42!")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Equal(t, "is invalid, already used or expired", e.Fields["token"])

	resp, _ = confirm(m.Token, "New-Password-42!")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "a weak password did not use up the token")
	resp, e = confirm(m.Token, "Other-Password-42!")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "single-use")
	assert.Equal(t, "is invalid, already used or expired", e.Fields["token"])

	assert.Equal(t, "invalid_grant", refresh(t, s.Server, lb.RefreshToken, "").Error, "refresh tokens are revoked")
	resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", lb.AccessToken, nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "and access tokens too")
	resp, _ = tryLogin(t, s.Server, "ada@example.com", userPassword)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	login(t, s.Server, "ada@example.com", "New-Password-42!")
	assert.NotEmpty(t, s.auditEvents(t, core.AuditPasswordReset))

	t.Run("expired", func(t *testing.T) {
		request("ada@example.com")
		m, ok := s.mail.LastTo("ada@example.com")
		require.True(t, ok)
		s.Clock.Advance(61 * 60 * 1e9)
		resp, e := confirm(m.Token, "Third-Password-42!")
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "is invalid, already used or expired", e.Fields["token"])
	})
}
