package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// A person signs in to an application of one identityd binary with
// "Sign in with Corp", Corp being a second identityd binary, in a real
// chromium: the first sign-in makes their account, and the id_token the
// application gets says amr fed.
func TestBrowserSignInWithAnotherIdentityd(t *testing.T) {
	t.Parallel()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("the browser test runs once, on the memory backend; the integration suites cover both")
	}
	path := chromium(t)
	// The provider answers on localhost, identityd on 127.0.0.1: a browser
	// keeps their cookies apart (cookies ignore ports).
	upPort, port := apptest.FreePort(t), apptest.FreePort(t)
	upIssuer, rpIssuer := fmt.Sprintf("http://localhost:%d", upPort), fmt.Sprintf("http://127.0.0.1:%d", port)
	up := e2e.Start(t, map[string]string{"PORT": fmt.Sprint(upPort), "ISSUER_URL": upIssuer})
	rp := e2e.Start(t, map[string]string{"PORT": fmt.Sprint(port), "ISSUER_URL": rpIssuer})

	admin := func(base string) *http.Client {
		return (&clientcredentials.Config{ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: base + "/oauth/token"}).Client(context.Background())
	}
	resp, body := postJSON(t, http.DefaultClient, up.URL+"/api/auth/register", map[string]any{
		"email": "grace@example.com", "password": "Cobol-Compiler-1959", "first_name": "Grace", "last_name": "Hopper"})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", body)
	resp, rpClient := postJSON(t, admin(up.URL), up.URL+"/api/clients", map[string]any{
		"name": "identityd", "grant_types": []string{"authorization_code"}, "scopes": []string{"openid", "email", "profile"},
		"redirect_uris": []string{rpIssuer + "/login/corp/callback"}, "first_party": true})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", rpClient)
	resp, body = postJSON(t, admin(rp.URL), rp.URL+"/api/identity-providers", map[string]any{
		"id": "corp", "name": "Corp", "issuer": upIssuer, "client_id": rpClient["client_id"], "client_secret": rpClient["client_secret"],
		"scopes": []string{"email", "profile"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", body)

	codes := make(chan string, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query().Get("code"):
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>Notebook</title><h1 id="page-title" data-app="notebook">Back at Notebook</h1>`))
	}))
	t.Cleanup(app.Close)
	resp, c := postJSON(t, admin(rp.URL), rp.URL+"/api/clients", map[string]any{
		"name": "Notebook", "grant_types": []string{"authorization_code"}, "public": true, "first_party": true,
		"scopes": []string{"openid", "email"}, "redirect_uris": []string{app.URL + "/callback"}})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
	cfg := oauth2.Config{
		ClientID: c["client_id"].(string), Scopes: []string{"openid", "email"},
		Endpoint:    oauth2.Endpoint{AuthURL: rpIssuer + "/oauth/authorize", TokenURL: rpIssuer + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: app.URL + "/callback",
	}
	verifier := oauth2.GenerateVerifier()
	ctx := newBrowser(t, path)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-0S6"))),
		chromedp.WaitVisible(`a.provider`),
		chromedp.Click(`a.provider`),
		// Corp's own sign-in page.
		chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#email", "grace@example.com"),
		chromedp.SendKeys("#password", "Cobol-Compiler-1959\n"),
		chromedp.WaitVisible(`h1[data-app="notebook"]`),
	))
	var code string
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never came back to the application")
	}
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	provider, err := oidc.NewProvider(context.Background(), rpIssuer)
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(context.Background(), raw)
	require.NoError(t, err)
	var claims struct {
		AMR   []string `json:"amr"`
		Email string   `json:"email"`
	}
	require.NoError(t, idt.Claims(&claims))
	assert.Equal(t, []string{"fed"}, claims.AMR)
	assert.Equal(t, "grace@example.com", claims.Email)
	assert.Equal(t, "n-0S6", idt.Nonce)
}
