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

func postJSON(t *testing.T, client *http.Client, u string, body any) (*http.Response, map[string]any) {
	t.Helper()
	data, err := json.Marshal(body)
	require.NoError(t, err)
	resp, err := client.Post(u, "application/json", strings.NewReader(string(data)))
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return resp, out
}

// A client created through the management API with the bootstrap admin
// client's token gets a token through golang.org/x/oauth2/clientcredentials,
// and the token introspects as active with its scope.
func TestClientCredentialsWithOAuth2Library(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	hc := p.Client(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)

	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
		Scopes: []string{"scopes:write", "clients:write"},
	}).Client(ctx)
	resp, _ := postJSON(t, admin, p.URL+"/api/scopes", map[string]string{"name": "reports:read", "description": "Read reports"})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, created := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "reporting", "grant_types": []string{"client_credentials"}, "scopes": []string{"reports:read"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	id, secret := created["client_id"].(string), created["client_secret"].(string)
	require.NotEmpty(t, secret)

	for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
		cfg := &clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: p.URL + "/oauth/token", Scopes: []string{"reports:read"}, AuthStyle: style}
		tok, err := cfg.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, "Bearer", tok.TokenType)
		assert.Equal(t, "reports:read", tok.Extra("scope"))

		form := url.Values{"token": {tok.AccessToken}}
		req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/introspect", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		r, err := hc.Do(req)
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		r.Body.Close()
		assert.Equal(t, true, got["active"])
		assert.Equal(t, "reports:read", got["scope"])
		assert.Equal(t, id, got["client_id"])
	}

	// A scope the client does not hold is invalid_scope.
	_, err := (&clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: p.URL + "/oauth/token", Scopes: []string{"clients:write"}}).Token(ctx)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "invalid_scope", re.ErrorCode)
	assert.NotContains(t, p.Stdout(), secret, "the secret never reaches the log")
}
