package integration_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

type errBody struct {
	Error       string            `json:"error"`
	Description string            `json:"error_description"`
	Fields      map[string]string `json:"fields"`
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(data, &v), string(data))
	return v
}

// newServiceClient creates a scope and a confidential client holding it.
func newServiceClient(t *testing.T, s *apptest.Server, scopes ...string) (id, secret string) {
	t.Helper()
	admin := s.AdminToken(t)
	for _, sc := range scopes {
		if core.IsManagementScope(sc) {
			continue // they exist from the start, and cannot be made
		}
		resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": sc, "description": "test scope"})
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, resp.StatusCode, string(body))
	}
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "service", "grant_types": []string{"client_credentials"}, "scopes": scopes,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	c := decode[map[string]any](t, body)
	return c["client_id"].(string), c["client_secret"].(string)
}

func introspect(t *testing.T, s *apptest.Server, id, secret, token string) map[string]any {
	t.Helper()
	resp, body := s.PostForm(t, "/oauth/introspect", id, secret, url.Values{"token": {token}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	return decode[map[string]any](t, body)
}

func TestClientCredentialsIntrospectRevoke(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "orders:read", "orders:write")

	tr := s.ClientCredentials(t, id, secret, "orders:read")
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	assert.Equal(t, "Bearer", tr.TokenType)
	assert.Equal(t, int64(900), tr.ExpiresIn)
	assert.Equal(t, "orders:read", tr.Scope)
	assert.Empty(t, tr.RefreshToken, "client_credentials issues no refresh token (RFC 6749 §4.4.3)")

	got := introspect(t, s, id, secret, tr.AccessToken)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, "orders:read", got["scope"])
	assert.Equal(t, id, got["client_id"])
	assert.Equal(t, id, got["sub"])
	assert.Equal(t, s.URL, strings.Replace(got["iss"].(string), "localhost", "127.0.0.1", 1))
	exp := int64(got["exp"].(float64))
	assert.InDelta(t, s.Clock.Now().Add(15*time.Minute).Unix(), exp, 5)

	resp, body := s.PostForm(t, "/oauth/revoke", id, secret, url.Values{"token": {tr.AccessToken}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, map[string]any{"active": false}, introspect(t, s, id, secret, tr.AccessToken))
}

func TestIntrospectionInactive(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "a")
	tr := s.ClientCredentials(t, id, secret, "")
	require.Equal(t, http.StatusOK, tr.Status)
	assert.Equal(t, "a", tr.Scope, "an absent scope grants the client's scopes")

	forged, err := jwt.NewHS256([]byte("Another-Key-0123456789-abcdefghijklm!")).Sign(t.Context(), core.AccessToken{
		JTI: "x", Issuer: s.Config.IssuerURL, Subject: id, Audience: []string{s.Config.IssuerURL}, ClientID: id,
		Scopes: []string{"a"}, IssuedAt: s.Clock.Now(), ExpiresAt: s.Clock.Now().Add(10 * time.Minute),
	})
	require.NoError(t, err)
	tests := []struct {
		name  string
		token string
	}{
		{"signed with another key", forged},
		{"garbage", "not-a-token"},
		{"truncated", tr.AccessToken[:len(tr.AccessToken)-3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, map[string]any{"active": false}, introspect(t, s, id, secret, tt.token))
		})
	}
	t.Run("after expiry", func(t *testing.T) {
		assert.Equal(t, true, introspect(t, s, id, secret, tr.AccessToken)["active"])
		s.Clock.Advance(16 * time.Minute)
		assert.Equal(t, map[string]any{"active": false}, introspect(t, s, id, secret, tr.AccessToken))
	})
}
