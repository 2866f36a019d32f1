package e2e_test

import (
	"sync"

	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"github.com/identityd/identityd/test/openapitest"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

const (
	callback     = "https://photos.example.com/callback"
	userEmail    = "ada@example.com"
	userPassword = "Correct-Horse-Battery-9"
)

// call sends a JSON request with an optional Bearer token and returns the
// status and the decoded body (nil when empty).
func call(t *testing.T, method, u, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, u, r)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := checked(t).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(data) > 0 {
		require.NoError(t, json.Unmarshal(data, &out), string(data))
	}
	return resp.StatusCode, out
}

func registerUser(t *testing.T, p *e2e.Process, email, password string) string {
	t.Helper()
	status, u := call(t, http.MethodPost, p.URL+"/api/auth/register", "", map[string]string{
		"email": email, "password": password, "first_name": "Ada", "last_name": "Lovelace",
	})
	require.Equal(t, http.StatusCreated, status, "%v", u)
	return u["id"].(string)
}

// createClient registers an authorization_code client through the
// management API with the bootstrap admin client.
func createClient(t *testing.T, p *e2e.Process, public bool, scopes ...string) (id, secret string) {
	t.Helper()
	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
	}).Client(context.Background())
	for _, sc := range scopes {
		resp, _ := postJSON(t, admin, p.URL+"/api/scopes", map[string]string{"name": sc, "description": "test"})
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, resp.StatusCode)
	}
	resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "Photo Printer", "grant_types": []string{"authorization_code", "refresh_token"}, "scopes": scopes,
		"redirect_uris": []string{callback}, "public": public, "first_party": false,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
	secret, _ = c["client_secret"].(string)
	return c["client_id"].(string), secret
}

// browse runs the browser half: the login page, then the consent page
// unless the consent is remembered, each form parsed from the HTML and
// submitted with a cookie jar.
func browse(t *testing.T, p *e2e.Process, authURL, email, password string) apptestPage {
	t.Helper()
	b := apptest.NewBrowser(t, p.URL)
	page := b.Open(authURL)
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Len(t, page.Forms, 1)
	require.Subset(t, page.Forms[0].Inputs, []string{"email", "password", "csrf_token"})
	page = b.Submit(page, page.Forms[0], map[string]string{"email": email, "password": password}, "")
	if page.Left == nil {
		// The consent page, unless the person consented before.
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		require.Contains(t, page.Body, "Allow access?")
		require.Len(t, page.Forms, 1)
		page = b.Submit(page, page.Forms[0], nil, "approve")
	}
	require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
	return page
}

type apptestPage = apptest.Page

// golang.org/x/oauth2 completes the authorization_code flow with PKCE
// through the login and consent pages of the real binary, for a
// confidential and a public client, and its TokenSource refreshes.
func TestAuthorizationCodeWithOAuth2Library(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	userID := registerUser(t, p, userEmail, userPassword)
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, checked(t))

	for _, public := range []bool{false, true} {
		name := map[bool]string{false: "confidential", true: "public"}[public]
		t.Run(name, func(t *testing.T) {
			id, secret := createClient(t, p, public, "photos:read", "photos:write")
			style := oauth2.AuthStyleInHeader
			if public {
				style = oauth2.AuthStyleInParams
			}
			cfg := &oauth2.Config{
				ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"photos:read"},
				Endpoint: oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: p.URL + "/oauth/token", AuthStyle: style},
			}
			verifier := oauth2.GenerateVerifier()
			state := "state-" + name
			page := browse(t, p, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), userEmail, userPassword)
			q := page.Left.Query()
			require.Equal(t, state, q.Get("state"))
			require.NotEmpty(t, q.Get("code"))

			tok, err := cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			assert.Equal(t, "Bearer", tok.TokenType)
			assert.Equal(t, "photos:read", tok.Extra("scope"))
			require.NotEmpty(t, tok.RefreshToken)

			// The code is single-use.
			_, err = cfg.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			var re *oauth2.RetrieveError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "invalid_grant", re.ErrorCode)

			// A fresh flow, then the TokenSource refreshes an expired token.
			verifier = oauth2.GenerateVerifier()
			page = browse(t, p, cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), userEmail, userPassword)
			tok, err = cfg.Exchange(ctx, page.Left.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			stale := *tok
			stale.Expiry = time.Now().Add(-time.Minute)
			fresh, err := cfg.TokenSource(ctx, &stale).Token()
			require.NoError(t, err)
			assert.NotEqual(t, tok.AccessToken, fresh.AccessToken)
			assert.NotEqual(t, tok.RefreshToken, fresh.RefreshToken, "rotated")

			// The refreshed access token is the user's.
			req, err := http.NewRequest(http.MethodPost, p.URL+"/oauth/introspect", strings.NewReader("token="+fresh.AccessToken))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(apptest.AdminClientID, apptest.AdminClientSecret)
			resp, err := checked(t).Do(req)
			require.NoError(t, err)
			var got map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
			resp.Body.Close()
			assert.Equal(t, true, got["active"])
			assert.Equal(t, userID, got["sub"])

			// Reusing the rotated refresh token revokes the family.
			_, err = cfg.TokenSource(ctx, &stale).Token()
			require.ErrorAs(t, err, &re)
			assert.Equal(t, "invalid_grant", re.ErrorCode)
			_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: stale.Expiry}).Token()
			require.ErrorAs(t, err, &re, "the successor is revoked with the family")
		})
	}
}

// Register, login, me, refresh under identity-web, logout.
func TestAccountLifecycle(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	registerUser(t, p, userEmail, userPassword)

	status, dup := call(t, http.MethodPost, p.URL+"/api/auth/register", "", map[string]string{
		"email": "ADA@example.com", "password": userPassword, "first_name": "A", "last_name": "L",
	})
	assert.Equal(t, http.StatusConflict, status)
	assert.Equal(t, map[string]any{"email": "is already registered"}, dup["fields"])

	status, lb := call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{"email": userEmail, "password": userPassword})
	require.Equal(t, http.StatusOK, status, "%v", lb)
	access := lb["access_token"].(string)
	status, me := call(t, http.MethodGet, p.URL+"/api/auth/me", access, nil)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, userEmail, me["email"])

	web := &oauth2.Config{ClientID: "identity-web", Endpoint: oauth2.Endpoint{TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	tok, err := web.TokenSource(context.Background(), &oauth2.Token{RefreshToken: lb["refresh_token"].(string), Expiry: time.Now().Add(-time.Minute)}).Token()
	require.NoError(t, err)

	status, _ = call(t, http.MethodPost, p.URL+"/api/auth/logout", tok.AccessToken, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = call(t, http.MethodGet, p.URL+"/api/auth/me", tok.AccessToken, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	_, err = web.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
	assert.Error(t, err, "the refresh token of the logged-out session is revoked")
	// The first access token belongs to the same family and is revoked too.
	status, _ = call(t, http.MethodGet, p.URL+"/api/auth/me", access, nil)
	assert.Equal(t, http.StatusUnauthorized, status)
}

// In development at LOG_LEVEL=debug the log mailer shows the reset token,
// which completes the reset; elsewhere the log never holds it.
func TestPasswordResetThroughTheDevelopmentMailer(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"APP_ENV": "development", "LOG_LEVEL": "debug"})
	registerUser(t, p, userEmail, userPassword)
	status, _ := call(t, http.MethodPost, p.URL+"/api/auth/password-reset", "", map[string]string{"email": userEmail})
	require.Equal(t, http.StatusAccepted, status)
	waitForLog(t, p, "reset_token")
	token := ""
	sc := bufio.NewScanner(strings.NewReader(p.Stdout()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil {
			if v, ok := line["reset_token"].(string); ok {
				token = v
			}
		}
	}
	require.NotEmpty(t, token, "the development mailer logs the token at debug")
	status, _ = call(t, http.MethodPost, p.URL+"/api/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "New-Password-42!"})
	require.Equal(t, http.StatusNoContent, status)
	status, _ = call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{"email": userEmail, "password": "New-Password-42!"})
	assert.Equal(t, http.StatusOK, status)
	status, _ = call(t, http.MethodPost, p.URL+"/api/auth/password-reset/confirm", "", map[string]string{"token": token, "password": "Other-Password-42!"})
	assert.Equal(t, http.StatusBadRequest, status, "single-use")

	t.Run("outside development the token is not logged", func(t *testing.T) {
		q := e2e.Start(t, nil)
		registerUser(t, q, userEmail, userPassword)
		status, _ := call(t, http.MethodPost, q.URL+"/api/auth/password-reset", "", map[string]string{"email": userEmail})
		require.Equal(t, http.StatusAccepted, status)
		waitForLog(t, q, "password reset requested")
		assert.False(t, strings.Contains(q.Stdout(), "reset_token"), "no reset token in the log")
	})
}

// BOOTSTRAP_ADMIN_EMAIL/PASSWORD create an admin whose login carries the
// management scopes.
func TestBootstrapAdminUser(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"BOOTSTRAP_ADMIN_EMAIL": "Root@Example.com", "BOOTSTRAP_ADMIN_PASSWORD": "Root-Password-0123!"})
	status, lb := call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{"email": "root@example.com", "password": "Root-Password-0123!"})
	require.Equal(t, http.StatusOK, status, "%v", lb)
	assert.ElementsMatch(t, []string{"scopes:read", "scopes:write", "clients:read", "clients:write", "clients:admin", "users:read", "users:write", "audit:read"}, strings.Fields(lb["scope"].(string)))
	status, _ = call(t, http.MethodGet, p.URL+"/api/clients", lb["access_token"].(string), nil)
	assert.Equal(t, http.StatusOK, status)
	assert.False(t, strings.Contains(p.Stdout(), "Root-Password-0123!"), "the password never reaches the log")
}

// waitForLog waits until the process has logged substr: its output reaches
// the test through a pipe, a moment after the response.
func waitForLog(t *testing.T, p *e2e.Process, substr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Stdout(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("the log never showed %q", substr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checked returns a client for t whose responses are validated against the
// OpenAPI document.
func checked(t *testing.T) *http.Client {
	t.Helper()
	if c, ok := checkedClients.Load(t); ok {
		return c.(*http.Client)
	}
	c := &http.Client{Transport: openapitest.New(t).RoundTripper(nil)}
	checkedClients.Store(t, c)
	t.Cleanup(func() { checkedClients.Delete(t) })
	return c
}

var checkedClients sync.Map
