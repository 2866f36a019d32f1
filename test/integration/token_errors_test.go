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

// Every error the token endpoint can answer for client_credentials, with the
// RFC 6749 §5.2 code and status.
func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "a")

	type req struct {
		method      string
		contentType string
		body        string
		basicID     string
		basicSecret string
	}
	form := func(v url.Values) string { return v.Encode() }
	tests := []struct {
		name        string
		give        req
		wantStatus  int
		wantError   string
		wantBasicWA bool
	}{
		{"wrong secret (Basic)", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}}), id, "wrong"}, 401, "invalid_client", true},
		{"unknown client (Basic)", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}}), "nobody", secret}, 401, "invalid_client", true},
		{"wrong secret (post)", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"wrong"}}), "", ""}, 401, "invalid_client", false},
		{"no client authentication", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}}), "", ""}, 401, "invalid_client", false},
		{"confidential client without secret", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}}), "", ""}, 401, "invalid_client", false},
		{"missing grant_type", req{http.MethodPost, "application/x-www-form-urlencoded", "", id, secret}, 400, "invalid_request", false},
		{"unsupported grant type", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"urn:example:magic"}}), id, secret}, 400, "unsupported_grant_type", false},
		{"grant the client may not use", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}), id, secret}, 400, "", false},
		{"scope the client may not have", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}, "scope": {"a clients:write"}}), id, secret}, 400, "invalid_scope", false},
		{"malformed scope", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}, "scope": {`a"b`}}), id, secret}, 400, "invalid_scope", false},
		{"GET instead of POST", req{http.MethodGet, "", "", id, secret}, 400, "invalid_request", false},
		{"JSON body instead of a form", req{http.MethodPost, "application/json", `{"grant_type":"client_credentials"}`, id, secret}, 400, "invalid_request", false},
		{"repeated parameter", req{http.MethodPost, "application/x-www-form-urlencoded", "grant_type=client_credentials&grant_type=client_credentials", id, secret}, 400, "invalid_request", false},
		{"two authentication methods", req{http.MethodPost, "application/x-www-form-urlencoded", form(url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret}}), id, secret}, 400, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(tt.give.method, s.URL+"/oauth/token", strings.NewReader(tt.give.body))
			require.NoError(t, err)
			if tt.give.contentType != "" {
				r.Header.Set("Content-Type", tt.give.contentType)
			}
			if tt.give.basicID != "" {
				r.SetBasicAuth(tt.give.basicID, tt.give.basicSecret)
			}
			resp, err := http.DefaultClient.Do(r)
			require.NoError(t, err)
			defer resp.Body.Close()
			var body errBody
			require.NoError(t, jsonDecode(resp, &body))
			assert.Equal(t, tt.wantStatus, resp.StatusCode)
			if tt.wantError != "" {
				assert.Equal(t, tt.wantError, body.Error)
			} else {
				assert.Contains(t, []string{"unauthorized_client", "unsupported_grant_type"}, body.Error)
			}
			assert.NotEmpty(t, body.Description)
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			if tt.wantBasicWA {
				assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
			} else {
				assert.Empty(t, resp.Header.Get("WWW-Authenticate"))
			}
			assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
		})
	}
}

func TestClientSecretPostAndEncodedBasic(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "a")
	resp, body := s.PostForm(t, "/oauth/token", "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Equal(t, "no-cache", resp.Header.Get("Pragma"))
	assert.Contains(t, resp.Header.Get("Content-Type"), "application/json")
}

func TestIntrospectAndRevokeErrors(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "a")
	other, otherSecret := newServiceClient(t, s, "a")
	tok := s.ClientCredentials(t, id, secret, "")

	resp, _ := s.PostForm(t, "/oauth/introspect", "", "", url.Values{"token": {tok.AccessToken}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "introspection needs client authentication")
	resp, _ = s.PostForm(t, "/oauth/introspect", id, "wrong", url.Values{"token": {tok.AccessToken}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body := s.PostForm(t, "/oauth/introspect", id, secret, url.Values{})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))

	// Any authenticated confidential client may introspect any token.
	got := introspect(t, s, other, otherSecret, tok.AccessToken)
	assert.Equal(t, true, got["active"])

	resp, body = s.PostForm(t, "/oauth/revoke", id, secret, url.Values{"token": {"unknown-token"}})
	assert.Equal(t, http.StatusOK, resp.StatusCode, "unknown tokens are not an error (RFC 7009 §2.2): %s", body)
	resp, body = s.PostForm(t, "/oauth/revoke", other, otherSecret, url.Values{"token": {tok.AccessToken}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	assert.Equal(t, "unauthorized_client", decode[errBody](t, body).Error)
	assert.Equal(t, true, introspect(t, s, id, secret, tok.AccessToken)["active"], "another client cannot revoke it")
	resp, _ = s.PostForm(t, "/oauth/revoke", id, "wrong", url.Values{"token": {tok.AccessToken}})
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestMetadataAndJWKS(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	resp, body := s.Do(t, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := decode[map[string]any](t, body)
	assert.Equal(t, s.Config.IssuerURL, m["issuer"])
	assert.Equal(t, s.Config.IssuerURL+"/oauth/token", m["token_endpoint"])
	assert.Equal(t, s.Config.IssuerURL+"/oauth/introspect", m["introspection_endpoint"])
	assert.Equal(t, s.Config.IssuerURL+"/oauth/revoke", m["revocation_endpoint"])
	assert.Contains(t, m["grant_types_supported"], "client_credentials")
	resp, body = s.Do(t, http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	set := decode[struct{ Keys []map[string]any }](t, body)
	assert.Len(t, set.Keys, 3, "the ID-token keys; never the HS256 secret")
	for _, k := range set.Keys {
		assert.NotEqual(t, "oct", k["kty"])
		assert.NotContains(t, k, "d")
	}
	resp, _ = s.Do(t, http.MethodGet, "/healthz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = s.Do(t, http.MethodGet, "/readyz", "", nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body = s.Do(t, http.MethodGet, "/nope", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, "not_found", decode[errBody](t, body).Error)
}
