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

// TestChosenClientID: a caller holding clients:admin may give a new client
// its id (the same in every environment); anyone else may not, and a taken
// or malformed id changes nothing.
func TestChosenClientID(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	id, secret := newServiceClient(t, s, "clients:read", "clients:write")
	writer := s.ClientCredentials(t, id, secret, "clients:read clients:write").AccessToken
	body := func(clientID string) map[string]any {
		return map[string]any{"client_id": clientID, "name": "Billing", "grant_types": []string{"client_credentials"}}
	}

	resp, b := s.Do(t, http.MethodPost, "/api/clients", admin, body("billing-service.prod_1"))
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	assert.Equal(t, "billing-service.prod_1", decode[map[string]any](t, b)["client_id"])
	resp, b = s.Do(t, http.MethodGet, "/api/clients/billing-service.prod_1", admin, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(b))

	tests := []struct {
		name       string
		giveToken  string
		giveID     string
		wantStatus int
	}{
		{"taken", admin, "billing-service.prod_1", http.StatusConflict},
		{"a built-in client's id", admin, "identity-web", http.StatusConflict},
		{"without clients:admin", writer, "writer-chose-this", http.StatusForbidden},
		{"without clients:admin, taken", writer, "billing-service.prod_1", http.StatusForbidden},
		{"too short", admin, "ab", http.StatusBadRequest},
		{"too long", admin, strings.Repeat("a", 65), http.StatusBadRequest},
		{"10 KB", admin, strings.Repeat("a", 10*1024), http.StatusBadRequest},
		{"a space", admin, "has space", http.StatusBadRequest},
		{"a slash", admin, "a/b/c", http.StatusBadRequest},
		{"a tilde", admin, "a~b", http.StatusBadRequest},
		{"a NUL byte", admin, "abc\x00def", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, b := s.Do(t, http.MethodPost, "/api/clients", tt.giveToken, body(tt.giveID))
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(b))
			if tt.wantStatus != http.StatusConflict && tt.giveID != "billing-service.prod_1" && !strings.ContainsAny(tt.giveID, "/\x00 ") && len(tt.giveID) < 200 {
				resp, _ := s.Do(t, http.MethodGet, "/api/clients/"+url.PathEscape(tt.giveID), admin, nil)
				assert.Equal(t, http.StatusNotFound, resp.StatusCode, "nothing was created")
			}
		})
	}
	t.Run("an id cannot change", func(t *testing.T) {
		resp, b := s.Do(t, http.MethodPut, "/api/clients/billing-service.prod_1", admin, body("another-id"))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(b))
		resp, b = s.Do(t, http.MethodPut, "/api/clients/billing-service.prod_1", admin, body("billing-service.prod_1"))
		assert.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	})
}

// TestListClientsByName: ?name= keeps the clients with exactly that name.
func TestListClientsByName(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	admin := s.AdminToken(t)
	for _, name := range []string{"Reporting", "Reporting", "reporting", "Reporting tool"} {
		resp, b := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{"name": name, "grant_types": []string{"client_credentials"}})
		require.Equal(t, http.StatusCreated, resp.StatusCode, string(b))
	}
	type page struct {
		Items []struct {
			ClientID string `json:"client_id"`
			Name     string `json:"name"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	resp, b := s.Do(t, http.MethodGet, "/api/clients?name=Reporting", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	p := decode[page](t, b)
	require.Len(t, p.Items, 2)
	for _, c := range p.Items {
		assert.Equal(t, "Reporting", c.Name)
	}
	resp, b = s.Do(t, http.MethodGet, "/api/clients?name=Reporting&limit=1", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	first := decode[page](t, b)
	require.Len(t, first.Items, 1)
	require.NotNil(t, first.NextCursor)
	resp, b = s.Do(t, http.MethodGet, "/api/clients?name=Reporting&limit=1&cursor="+url.QueryEscape(*first.NextCursor), admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	second := decode[page](t, b)
	require.Len(t, second.Items, 1)
	assert.NotEqual(t, first.Items[0].ClientID, second.Items[0].ClientID)

	resp, b = s.Do(t, http.MethodGet, "/api/clients?name=Nobody", admin, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	assert.Empty(t, decode[page](t, b).Items)
	resp, b = s.Do(t, http.MethodGet, "/api/clients?name="+strings.Repeat("x", 10*1024), admin, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(b))
	resp, b = s.Do(t, http.MethodGet, "/api/clients?name=a%00b", admin, nil)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(b))
}
