package integration_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/core"
)

// TestEmailChange: PATCH /api/auth/me {email, current_password} is 202; a
// link goes to the new address and a notice to the old one; sign-in uses
// the old address until the link is followed, then the new one only; the
// link works once; a taken address is 409 when the link is followed; one
// email.changed event.
func TestEmailChange(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "old@example.com", userPassword)
	token := login(t, s.Server, "old@example.com", userPassword).AccessToken
	change := func(t *testing.T, body any) (*http.Response, []byte) {
		t.Helper()
		return s.Do(t, http.MethodPatch, "/api/auth/me", token, body)
	}

	t.Run("refused", func(t *testing.T) {
		tests := []struct {
			name string
			give any
		}{
			{"no current password", map[string]string{"email": "new@example.com"}},
			{"wrong current password", map[string]string{"email": "new@example.com", "current_password": "Wrong-Password-123!"}},
			{"not an address", map[string]string{"email": "not-an-address", "current_password": userPassword}},
			{"10 KB address", map[string]string{"email": strings.Repeat("a", 10*1024) + "@example.com", "current_password": userPassword}},
			{"NUL byte", `{"email":"new\u0000@example.com","current_password":"` + userPassword + `"}`},
			{"the same address", map[string]string{"email": "OLD@example.com", "current_password": userPassword}},
			{"with another field", map[string]string{"email": "new@example.com", "current_password": userPassword, "first_name": "X"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := change(t, tt.give)
				assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			})
		}
		_, ok := s.mail.Last(memory.MailVerifyEmail, "new@example.com")
		assert.False(t, ok, "no mail for a refused change")
	})

	resp, body := change(t, map[string]string{"email": "New@Example.com", "current_password": userPassword})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	assert.Equal(t, "old@example.com", decode[userBody](t, body).Email, "unchanged until the link is followed")
	link, ok := s.mail.Last(memory.MailVerifyEmail, "new@example.com")
	require.True(t, ok, "a verification mail to the new address: %+v", s.mail.Sent())
	notice, ok := s.mail.Last(memory.MailNotice, "old@example.com")
	require.True(t, ok, "a notice to the old address")
	assert.NotContains(t, notice.Text, link.Token, "the notice carries no link that acts")
	assert.NotContains(t, notice.Text, "new@example.com", "the notice does not tell the new address")

	t.Run("until the link is followed, the old address signs in", func(t *testing.T) {
		login(t, s.Server, "old@example.com", userPassword)
		resp, _ := tryLogin(t, s.Server, "new@example.com", userPassword)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})

	before := s.auditCounts(t)
	resp, body = s.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]string{"token": link.Token})
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	after := s.auditCounts(t)
	assert.Equal(t, 1, after[core.AuditEmailChanged]-before[core.AuditEmailChanged])
	assert.Equal(t, 0, after[core.AuditEmailVerified]-before[core.AuditEmailVerified])

	t.Run("then the new address signs in, verified, and the old one does not", func(t *testing.T) {
		tok := login(t, s.Server, "new@example.com", userPassword).AccessToken
		resp, body := s.Do(t, http.MethodGet, "/api/auth/me", tok, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		me := decode[map[string]any](t, body)
		assert.Equal(t, "new@example.com", me["email"])
		assert.Equal(t, true, me["email_verified"])
		resp, _ = tryLogin(t, s.Server, "old@example.com", userPassword)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
	t.Run("the link works once", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]string{"token": link.Token})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	})
	t.Run("a forged link", func(t *testing.T) {
		parts := strings.Split(link.Token, ".")
		require.Len(t, parts, 4)
		parts[2] = "ZXZpbEBleGFtcGxlLmNvbQ" // evil@example.com
		resp, body := s.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]string{"token": strings.Join(parts, ".")})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	})
	t.Run("an address taken meanwhile is 409 when the link is followed", func(t *testing.T) {
		tok := login(t, s.Server, "new@example.com", userPassword).AccessToken
		resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", tok, map[string]string{"email": "third@example.com", "current_password": userPassword})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
		third, ok := s.mail.Last(memory.MailVerifyEmail, "third@example.com")
		require.True(t, ok)
		register(t, s.Server, "third@example.com", userPassword)
		resp, body = s.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]string{"token": third.Token})
		assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
		login(t, s.Server, "new@example.com", userPassword)
	})
}
