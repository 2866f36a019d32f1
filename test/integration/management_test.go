package integration_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// Every management route answers 401 without a token, 403 with a token
// lacking its scope, 404 for an unknown id, and succeeds with the scope.
func TestManagementRoutesAuthorization(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	id, secret := newServiceClient(t, s, "a")
	weak := s.ClientCredentials(t, id, secret, "").AccessToken
	readOnly := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "scopes:read clients:read").AccessToken

	resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": "routes:test"})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	scopeID := decode[map[string]any](t, body)["id"].(string)

	tests := []struct {
		method, path string
		body         any
		writes       bool
		wantOK       int
		missing      string
	}{
		{http.MethodGet, "/api/scopes", nil, false, 200, ""},
		{http.MethodGet, "/api/scopes/" + scopeID, nil, false, 200, "/api/scopes/00000000-0000-4000-8000-000000000000"},
		{http.MethodPost, "/api/scopes", map[string]string{"name": "new:scope"}, true, 201, ""},
		{http.MethodPut, "/api/scopes/" + scopeID, map[string]string{"name": "routes:test", "description": "d"}, true, 200, "/api/scopes/00000000-0000-4000-8000-000000000000"},
		{http.MethodGet, "/api/clients", nil, false, 200, ""},
		{http.MethodGet, "/api/clients/" + id, nil, false, 200, "/api/clients/nope"},
		{http.MethodPost, "/api/clients", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}}, true, 201, ""},
		{http.MethodPut, "/api/clients/" + id, map[string]any{"name": "renamed", "grant_types": []string{"client_credentials"}, "scopes": []string{"a"}}, true, 200, "/api/clients/nope"},
		{http.MethodPost, "/api/clients/" + id + "/regenerate-secret", nil, true, 200, "/api/clients/nope/regenerate-secret"},
		{http.MethodDelete, "/api/scopes/" + scopeID, nil, true, 204, "/api/scopes/00000000-0000-4000-8000-000000000000"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := s.Do(t, tt.method, tt.path, "", tt.body)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")

			resp, body = s.Do(t, tt.method, tt.path, "not-a-token", tt.body)
			assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)

			resp, body = s.Do(t, tt.method, tt.path, weak, tt.body)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
			assert.Equal(t, "insufficient_scope", decode[errBody](t, body).Error)

			if tt.writes {
				resp, _ = s.Do(t, tt.method, tt.path, readOnly, tt.body)
				assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a read scope does not allow writes")
			}
			if tt.missing != "" {
				resp, body = s.Do(t, tt.method, tt.missing, admin, tt.body)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
				assert.Equal(t, "not_found", decode[errBody](t, body).Error)
			}
			resp, body = s.Do(t, tt.method, tt.path, admin, tt.body)
			assert.Equal(t, tt.wantOK, resp.StatusCode, string(body))
		})
	}
}

func TestScopeValidationAndConflicts(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantField  string
	}{
		{"missing name", map[string]string{"description": "x"}, 400, "name"},
		{"space in name", map[string]string{"name": "a b"}, 400, "name"},
		{"unknown field", map[string]any{"name": "ok", "colour": "red"}, 400, "colour"},
		{"wrong type", map[string]any{"name": 7}, 400, "name"},
		{"malformed JSON", `{"name":`, 400, ""},
		{"two JSON values", `{"name":"a"}{"name":"b"}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, tt.body)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			e := decode[errBody](t, body)
			assert.Equal(t, "invalid_request", e.Error)
			if tt.wantField != "" {
				assert.Contains(t, e.Fields, tt.wantField)
			}
		})
	}
	t.Run("wrong content type", func(t *testing.T) {
		resp, body := s.PostForm(t, "/api/scopes", "", "", url.Values{"name": {"x"}})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/scopes", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "text/plain")
		r, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, http.StatusUnsupportedMediaType, r.StatusCode)
	})
	t.Run("body over 1 MiB", func(t *testing.T) {
		big := `{"name":"x","description":"` + string(bytesOf('a', 1<<20+10)) + `"}`
		resp, _ := s.Do(t, http.MethodPost, "/api/scopes", admin, big)
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	})
	t.Run("duplicate name and scope in use", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": "held"})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		scopeID := decode[map[string]any](t, body)["id"].(string)
		resp, _ = s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": "held"})
		assert.Equal(t, http.StatusConflict, resp.StatusCode)
		resp, body = s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{"name": "holder", "grant_types": []string{"client_credentials"}, "scopes": []string{"held"}})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodDelete, "/api/scopes/"+scopeID, admin, nil)
		assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
		assert.Equal(t, "conflict", decode[errBody](t, body).Error)
		resp, _ = s.Do(t, http.MethodPut, "/api/scopes/"+scopeID, admin, map[string]string{"name": "renamed"})
		assert.Equal(t, http.StatusConflict, resp.StatusCode, "a held scope cannot be renamed")
	})
}

func bytesOf(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}

func TestClientValidation(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	tests := []struct {
		name      string
		body      map[string]any
		wantField string
	}{
		{"missing name", map[string]any{"grant_types": []string{"client_credentials"}}, "name"},
		{"no grant types", map[string]any{"name": "x"}, "grant_types"},
		{"unregistered grant", map[string]any{"name": "x", "grant_types": []string{"password"}}, "grant_types"},
		{"unknown scope", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "scopes": []string{"nope"}}, "scopes"},
		{"http redirect", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "redirect_uris": []string{"http://app.example/cb"}}, "redirect_uris"},
		{"redirect with fragment", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "redirect_uris": []string{"https://app.example/cb#x"}}, "redirect_uris"},
		{"relative redirect", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "redirect_uris": []string{"/cb"}}, "redirect_uris"},
		{"public client_credentials", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "public": true}, "grant_types"},
		{"unknown field", map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "client_secret": "mine"}, "client_secret"},
		{"wrong type", map[string]any{"name": "x", "grant_types": "client_credentials"}, "grant_types"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, tt.body)
			require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			e := decode[errBody](t, body)
			assert.Equal(t, "invalid_request", e.Error)
			assert.Contains(t, e.Fields, tt.wantField)
		})
	}
	t.Run("loopback http redirect is fine", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{"name": "x", "grant_types": []string{"client_credentials"}, "redirect_uris": []string{"http://127.0.0.1:8123/cb"}})
		assert.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	})
}

func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	id, secret := newServiceClient(t, s, "a")

	resp, body := s.Do(t, http.MethodGet, "/api/clients/"+id, admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotContains(t, string(body), "secret", "a client is never shown with its secret")

	tok := s.ClientCredentials(t, id, secret, "")
	require.Equal(t, http.StatusOK, tok.Status)

	resp, body = s.Do(t, http.MethodPost, "/api/clients/"+id+"/regenerate-secret", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	newSecret := decode[map[string]any](t, body)["client_secret"].(string)
	assert.NotEqual(t, secret, newSecret)
	assert.Equal(t, http.StatusUnauthorized, s.ClientCredentials(t, id, secret, "").Status, "the old secret stops working at once")
	assert.Equal(t, http.StatusOK, s.ClientCredentials(t, id, newSecret, "").Status)

	resp, _ = s.Do(t, http.MethodDelete, "/api/clients/"+id, admin, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, http.StatusUnauthorized, s.ClientCredentials(t, id, newSecret, "").Status)
	other, otherSecret := newServiceClient(t, s, "a")
	assert.Equal(t, map[string]any{"active": false}, introspect(t, s, other, otherSecret, tok.AccessToken), "a deleted client's tokens are revoked")
	resp, _ = s.Do(t, http.MethodGet, "/api/clients/"+id, admin, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	resp, body = s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{"name": "spa", "grant_types": []string{"client_credentials"}, "public": false})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	for i := 0; i < 5; i++ {
		resp, _ := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": fmt.Sprintf("page:%d", i)})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
	}
	seen := map[string]bool{}
	cursor := ""
	pages := 0
	for {
		path := "/api/scopes?limit=3"
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		resp, body := s.Do(t, http.MethodGet, path, admin, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		page := decode[struct {
			Items      []map[string]any `json:"items"`
			NextCursor *string          `json:"next_cursor"`
		}](t, body)
		assert.LessOrEqual(t, len(page.Items), 3)
		for _, it := range page.Items {
			assert.False(t, seen[it["id"].(string)], "no item twice")
			seen[it["id"].(string)] = true
		}
		pages++
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	assert.Len(t, seen, 18, "5 scopes, the 8 management scopes and openid, profile, email, roles, account")
	assert.Equal(t, 6, pages, "18 items, 3 a page")
	for _, bad := range []string{"?limit=0", "?limit=201", "?limit=x", "?cursor=%21%21"} {
		resp, body := s.Do(t, http.MethodGet, "/api/scopes"+bad, admin, nil)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, bad+": "+string(body))
	}
}
