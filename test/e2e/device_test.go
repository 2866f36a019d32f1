package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/test/e2e"
)

// The device flow of RFC 8628 through the binary: golang.org/x/oauth2's
// DeviceAuth and DeviceAccessToken on the device, a person approving in a
// browser at /device.
func TestDeviceFlowWithOAuth2Library(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	hc := p.Client(t)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)

	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
		Scopes: []string{"scopes:write", "clients:write"},
	}).Client(ctx)
	resp, _ := postJSON(t, admin, p.URL+"/api/scopes", map[string]string{"name": "tv:watch", "description": "Watch"})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	resp, created := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "TV", "public": true, "grant_types": []string{core.GrantDeviceCode, core.GrantRefreshToken}, "scopes": []string{"tv:watch"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	clientID := created["client_id"].(string)
	const email, password = "viewer@example.com", "Correct-Horse-Battery-9"
	resp, _ = postJSON(t, hc, p.URL+"/api/auth/register", map[string]string{"email": email, "password": password, "first_name": "V", "last_name": "W"})
	require.Equal(t, http.StatusCreated, resp.StatusCode)

	cfg := oauth2.Config{ClientID: clientID, Scopes: []string{"tv:watch"}, Endpoint: oauth2.Endpoint{
		DeviceAuthURL: p.URL + "/oauth/device_authorization", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
	}}
	da, err := cfg.DeviceAuth(ctx)
	require.NoError(t, err)

	b := apptest.NewBrowser(t, p.URL)
	u, err := url.Parse(da.VerificationURIComplete)
	require.NoError(t, err)
	page := b.Open(p.URL + u.RequestURI())
	require.Len(t, page.Forms, 1, page.Body)
	page = b.Submit(page, page.Forms[0], map[string]string{"email": email, "password": password}, "")
	require.Len(t, page.Forms, 1, page.Body)
	page = b.Submit(page, page.Forms[0], nil, "")
	require.Contains(t, page.Body, "Allow access?")
	page = b.Submit(page, page.Forms[0], nil, "approve")
	require.Contains(t, page.Body, "Device connected")

	pollCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tok, err := cfg.DeviceAccessToken(pollCtx, da)
	require.NoError(t, err)
	assert.Equal(t, "tv:watch", tok.Extra("scope"))
	require.NotEmpty(t, tok.RefreshToken)

	_, err = cfg.DeviceAccessToken(pollCtx, da)
	var re *oauth2.RetrieveError
	require.ErrorAs(t, err, &re, "the device code is single-use")
	assert.Equal(t, core.CodeInvalidGrant, re.ErrorCode)
}
