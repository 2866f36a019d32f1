package integration_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants/tokenexchange"
)

type exchangeResponse struct {
	apptest.TokenResponse
	IssuedTokenType string `json:"issued_token_type"`
}

func tokenExchange(t *testing.T, s *apptest.Server, c webClient, form url.Values) exchangeResponse {
	t.Helper()
	form.Set("grant_type", tokenexchange.GrantType)
	resp, body := s.PostForm(t, "/oauth/token", c.ID, c.Secret, form)
	out := decode[exchangeResponse](t, body)
	out.Status = resp.StatusCode
	return out
}

// jwtClaims reads the claims of a JWT without verifying it.
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	require.Len(t, parts, 3)
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

const accessType = tokenexchange.TokenTypeAccessToken

func TestTokenExchange(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	userID := register(t, s.Server, "sub@example.com", userPassword)
	// The user's token comes from a code flow client with two scopes.
	web := newWebClient(t, s.Server, false, true, nil, "orders:read", "orders:write")
	p := newPKCE()
	code := authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(web, p, "orders:read orders:write"), "sub@example.com", userPassword)
	userTok := exchange(t, s.Server, web, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, userTok.Status, userTok.ErrorDescription)

	api := newClient(t, s.Server, false, false, []string{tokenexchange.GrantType, core.GrantClientCredentials}, "orders:read", "orders:write")
	backend := newClient(t, s.Server, false, false, []string{tokenexchange.GrantType, core.GrantClientCredentials}, "orders:read")
	actorTok := s.ClientCredentials(t, backend.ID, backend.Secret, "")
	require.Equal(t, http.StatusOK, actorTok.Status)

	t.Run("impersonation keeps the subject, narrows the scope", func(t *testing.T) {
		got := tokenExchange(t, s.Server, api, url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "scope": {"orders:read"}})
		require.Equal(t, http.StatusOK, got.Status, got.ErrorDescription)
		assert.Equal(t, accessType, got.IssuedTokenType)
		assert.Equal(t, "orders:read", got.Scope)
		assert.Empty(t, got.RefreshToken)
		c := jwtClaims(t, got.AccessToken)
		assert.Equal(t, userID, c["sub"])
		assert.Equal(t, api.ID, c["client_id"])
		assert.Nil(t, c["act"])
		m := introspect(t, s.Server, api.ID, api.Secret, got.AccessToken)
		assert.Equal(t, true, m["active"])
	})
	t.Run("without scope: what subject and client both hold", func(t *testing.T) {
		got := tokenExchange(t, s.Server, backend, url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}})
		require.Equal(t, http.StatusOK, got.Status, got.ErrorDescription)
		assert.Equal(t, "orders:read", got.Scope)
	})
	t.Run("delegation: act, nested along a chain", func(t *testing.T) {
		first := tokenExchange(t, s.Server, api, url.Values{
			"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType},
			"actor_token": {actorTok.AccessToken}, "actor_token_type": {accessType}, "requested_token_type": {accessType},
		})
		require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
		c := jwtClaims(t, first.AccessToken)
		assert.Equal(t, userID, c["sub"])
		assert.Equal(t, map[string]any{"sub": backend.ID}, c["act"])

		apiTok := s.ClientCredentials(t, api.ID, api.Secret, "")
		require.Equal(t, http.StatusOK, apiTok.Status, apiTok.ErrorDescription)
		second := tokenExchange(t, s.Server, backend, url.Values{
			"subject_token": {first.AccessToken}, "subject_token_type": {accessType},
			"actor_token": {apiTok.AccessToken}, "actor_token_type": {accessType},
		})
		require.Equal(t, http.StatusOK, second.Status, second.ErrorDescription)
		assert.Equal(t, map[string]any{"sub": api.ID, "act": map[string]any{"sub": backend.ID}}, jwtClaims(t, second.AccessToken)["act"])
	})
	t.Run("audience can only narrow", func(t *testing.T) {
		got := tokenExchange(t, s.Server, api, url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "audience": {s.Config.IssuerURL}})
		assert.Equal(t, http.StatusOK, got.Status, got.ErrorDescription)
		for _, give := range []url.Values{{"audience": {"https://elsewhere.example"}}, {"resource": {"https://elsewhere.example/api"}}} {
			give.Set("subject_token", userTok.AccessToken)
			give.Set("subject_token_type", accessType)
			got := tokenExchange(t, s.Server, api, give)
			assert.Equal(t, http.StatusBadRequest, got.Status)
			assert.Equal(t, "invalid_target", got.Error)
		}
	})
	t.Run("scope cannot widen", func(t *testing.T) {
		got := tokenExchange(t, s.Server, api, url.Values{"subject_token": {actorTok.AccessToken}, "subject_token_type": {accessType}, "scope": {"orders:write"}})
		assert.Equal(t, core.CodeInvalidScope, got.Error, "the subject token lacks orders:write")
		got = tokenExchange(t, s.Server, backend, url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "scope": {"orders:write"}})
		assert.Equal(t, core.CodeInvalidScope, got.Error, "the client lacks orders:write")
	})
	t.Run("invalid requests", func(t *testing.T) {
		tests := []struct {
			name string
			give url.Values
			want string
		}{
			{"no subject token", url.Values{"subject_token_type": {accessType}}, core.CodeInvalidRequest},
			{"no subject token type", url.Values{"subject_token": {userTok.AccessToken}}, core.CodeInvalidRequest},
			{"refresh token type", url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {"urn:ietf:params:oauth:token-type:refresh_token"}}, core.CodeInvalidRequest},
			{"forged subject token", url.Values{"subject_token": {userTok.AccessToken + "x"}, "subject_token_type": {accessType}}, core.CodeInvalidRequest},
			{"actor token without type", url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "actor_token": {actorTok.AccessToken}}, core.CodeInvalidRequest},
			{"bad actor token", url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "actor_token": {"nope"}, "actor_token_type": {accessType}}, core.CodeInvalidRequest},
			{"id_token requested", url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}, "requested_token_type": {"urn:ietf:params:oauth:token-type:id_token"}}, core.CodeInvalidRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got := tokenExchange(t, s.Server, api, tt.give)
				assert.Equal(t, http.StatusBadRequest, got.Status)
				assert.Equal(t, tt.want, got.Error, got.ErrorDescription)
			})
		}
	})
	t.Run("a revoked subject token", func(t *testing.T) {
		own := s.ClientCredentials(t, backend.ID, backend.Secret, "")
		resp, body := s.PostForm(t, "/oauth/revoke", backend.ID, backend.Secret, url.Values{"token": {own.AccessToken}})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		got := tokenExchange(t, s.Server, api, url.Values{"subject_token": {own.AccessToken}, "subject_token_type": {accessType}})
		assert.Equal(t, core.CodeInvalidRequest, got.Error)
	})
	t.Run("a client not registered for the grant", func(t *testing.T) {
		got := tokenExchange(t, s.Server, web, url.Values{"subject_token": {userTok.AccessToken}, "subject_token_type": {accessType}})
		assert.Equal(t, core.CodeUnauthorizedClient, got.Error)
	})
}
