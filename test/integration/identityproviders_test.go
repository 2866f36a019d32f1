package integration_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

type providerBody struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Issuer      string   `json:"issuer"`
	ClientID    string   `json:"client_id"`
	Scopes      []string `json:"scopes"`
	LinkByEmail bool     `json:"link_by_email"`
	RedirectURI string   `json:"redirect_uri"`
}

const upstreamSecret = "upstream-client-secret-0123456789-abcdef"

// The management API of identity providers: who may call it, what it
// stores, and that bad input (ids, missing fields, an issuer that is not
// https, a discovery document naming another issuer, huge bodies) is a
// 4xx that stores nothing. The upstream provider is a second identityd.
func TestIdentityProviderManagement(t *testing.T) {
	t.Parallel()
	up := apptest.Start(t, nil)
	s := startPeople(t, nil)
	admin := s.AdminToken(t)
	valid := func() map[string]any {
		return map[string]any{"id": "corp", "name": "Corp", "issuer": up.Config.IssuerURL, "client_id": "rp", "client_secret": upstreamSecret,
			"scopes": []string{"email", "profile"}, "link_by_email": true}
	}
	count := func() int {
		resp, body := s.Do(t, http.MethodGet, "/api/identity-providers", admin, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return len(decode[struct{ Items []providerBody }](t, body).Items)
	}

	t.Run("bad input stores nothing", func(t *testing.T) {
		with := func(k string, v any) map[string]any { b := valid(); b[k] = v; return b }
		without := func(k string) map[string]any { b := valid(); delete(b, k); return b }
		tests := []struct {
			name       string
			give       any
			wantStatus int
			wantFields []string
		}{
			{"empty object names every required field", map[string]any{}, 400, []string{"id", "name", "issuer", "client_id", "client_secret"}},
			{"upper-case id", with("id", "Corp"), 400, []string{"id"}},
			{"one-letter id", with("id", "c"), 400, []string{"id"}},
			{"33-letter id", with("id", strings.Repeat("a", 33)), 400, []string{"id"}},
			{"id with a slash", with("id", "a/b"), 400, []string{"id"}},
			{"no secret", without("client_secret"), 400, []string{"client_secret"}},
			{"no client_id", without("client_id"), 400, []string{"client_id"}},
			{"http issuer outside loopback", with("issuer", "http://id.example.com"), 400, []string{"issuer"}},
			{"issuer with a query", with("issuer", up.Config.IssuerURL+"?x=1"), 400, []string{"issuer"}},
			{"issuer not a URL", with("issuer", "corp"), 400, []string{"issuer"}},
			{"discovery names another issuer", with("issuer", up.Config.IssuerURL+"/"), 400, []string{"issuer"}},
			{"no discovery document", with("issuer", up.Config.IssuerURL+"/nothing"), 400, []string{"issuer"}},
			{"issuer does not answer", with("issuer", fmt.Sprintf("http://127.0.0.1:%d", apptest.FreePort(t))), 400, []string{"issuer"}},
			{"bad scope", with("scopes", []string{"a b"}), 400, []string{"scopes"}},
			{"unknown field", with("client_secret_sealed", "x"), 400, nil},
			{"huge body", with("name", strings.Repeat("n", 2<<20)), 413, nil},
			{"not JSON", "id=corp", 400, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := s.Do(t, http.MethodPost, "/api/identity-providers", admin, tt.give)
				require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
				got := decode[errBody](t, body)
				for _, f := range tt.wantFields {
					assert.Contains(t, got.Fields, f)
				}
			})
		}
		assert.Equal(t, 0, count())
		assert.Empty(t, s.auditEvents(t, core.AuditIdPCreated))
	})

	t.Run("lifecycle", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/identity-providers", admin, valid())
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		assert.NotContains(t, string(body), upstreamSecret)
		assert.NotContains(t, string(body), "secret")
		assert.Equal(t, "/api/identity-providers/corp", resp.Header.Get("Location"))
		p := decode[providerBody](t, body)
		assert.Equal(t, providerBody{ID: "corp", Name: "Corp", Issuer: up.Config.IssuerURL, ClientID: "rp", Scopes: []string{"email", "profile"}, LinkByEmail: true,
			RedirectURI: s.Config.IssuerURL + "/login/corp/callback"}, p)

		resp, body = s.Do(t, http.MethodPost, "/api/identity-providers", admin, valid())
		assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))

		for _, path := range []string{"/api/identity-providers", "/api/identity-providers/corp"} {
			resp, body = s.Do(t, http.MethodGet, path, admin, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.NotContains(t, string(body), "secret", path)
		}

		update := valid()
		delete(update, "client_secret")
		update["name"], update["link_by_email"] = "Corp SSO", false
		resp, body = s.Do(t, http.MethodPut, "/api/identity-providers/corp", admin, update)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, "Corp SSO", decode[providerBody](t, body).Name)
		update["id"] = "other"
		resp, body = s.Do(t, http.MethodPut, "/api/identity-providers/corp", admin, update)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodPut, "/api/identity-providers/nope", admin, valid())
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
		update["id"], update["issuer"] = "corp", "http://id.example.com"
		resp, body = s.Do(t, http.MethodPut, "/api/identity-providers/corp", admin, update)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))

		resp, body = s.Do(t, http.MethodDelete, "/api/identity-providers/corp", admin, nil)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodGet, "/api/identity-providers/corp", admin, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodDelete, "/api/identity-providers/corp", admin, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))

		assert.Len(t, s.auditEvents(t, core.AuditIdPCreated), 1)
		assert.Len(t, s.auditEvents(t, core.AuditIdPUpdated), 1)
		assert.Len(t, s.auditEvents(t, core.AuditIdPDeleted), 1)
		assert.NotContains(t, s.Logs(), upstreamSecret, "the secret reaches no log line")
	})
}

// Only clients:admin may read or change identity providers: a provider
// decides who may sign in as whom.
func TestIdentityProviderManagementNeedsClientsAdmin(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	tests := []struct {
		scope      string
		wantStatus int
	}{
		{"clients:read", http.StatusForbidden},
		{"clients:write", http.StatusForbidden},
		{"clients:read clients:write scopes:read scopes:write", http.StatusForbidden},
		{"clients:admin", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			tok := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, tt.scope)
			require.Equal(t, http.StatusOK, tok.Status, tok.ErrorDescription)
			for _, req := range []struct{ method, path string }{
				{http.MethodGet, "/api/identity-providers"}, {http.MethodGet, "/api/identity-providers/corp"},
				{http.MethodPost, "/api/identity-providers"}, {http.MethodPut, "/api/identity-providers/corp"},
				{http.MethodDelete, "/api/identity-providers/corp"},
			} {
				resp, body := s.Do(t, req.method, req.path, tok.AccessToken, map[string]any{})
				if tt.wantStatus == http.StatusForbidden {
					assert.Equal(t, http.StatusForbidden, resp.StatusCode, "%s %s: %s", req.method, req.path, body)
				} else {
					assert.NotEqual(t, http.StatusForbidden, resp.StatusCode, "%s %s: %s", req.method, req.path, body)
					assert.NotEqual(t, http.StatusUnauthorized, resp.StatusCode)
				}
			}
			resp, _ := s.Do(t, http.MethodGet, "/api/identity-providers", "", nil)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		})
	}
}
