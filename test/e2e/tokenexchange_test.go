package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// Token exchange (RFC 8693) through the binary with raw HTTP: a service's
// client_credentials token is exchanged by another service for a token
// with the same subject and a narrower scope.
func TestTokenExchangeRawHTTP(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	hc := p.Client(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
		Scopes: []string{"scopes:write", "clients:write"},
	}).Client(ctx)
	for _, sc := range []string{"ledger:read", "ledger:write"} {
		resp, _ := postJSON(t, admin, p.URL+"/api/scopes", map[string]string{"name": sc, "description": sc})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
	}
	newClient := func(name string) (string, string) {
		resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
			"name": name, "grant_types": []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"},
			"scopes": []string{"ledger:read", "ledger:write"},
		})
		require.Equal(t, http.StatusCreated, resp.StatusCode)
		return c["client_id"].(string), c["client_secret"].(string)
	}
	subjID, subjSecret := newClient("frontend")
	apiID, apiSecret := newClient("ledger-api")
	subject, err := (&clientcredentials.Config{ClientID: subjID, ClientSecret: subjSecret, TokenURL: p.URL + "/oauth/token"}).Token(ctx)
	require.NoError(t, err)

	post := func(form url.Values) (int, map[string]any) {
		req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/token", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(apiID, apiSecret)
		resp, err := hc.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	status, out := post(url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {subject.AccessToken},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}, "scope": {"ledger:read"},
	})
	require.Equal(t, http.StatusOK, status, out)
	assert.Equal(t, "urn:ietf:params:oauth:token-type:access_token", out["issued_token_type"])
	assert.Equal(t, "ledger:read", out["scope"])

	status, out = post(url.Values{
		"grant_type": {"urn:ietf:params:oauth:grant-type:token-exchange"}, "subject_token": {"not-a-token"},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"},
	})
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "invalid_request", out["error"])
}
