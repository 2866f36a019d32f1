package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// form posts a raw form body (empty and repeated parameters kept) with
// optional Basic credentials and returns status, headers and the decoded
// JSON body.
func form(t *testing.T, u, id, secret, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := checked(t).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(data, &out), "a JSON body: %q", data)
	return resp.StatusCode, resp.Header, out
}

// The examples of issue 11 through the real binary (on PostgreSQL and
// Redis under TEST_BACKEND=postgres): RFC 6749's parameter rules, refresh
// and scope, Unicode passwords, bcrypt's 72 bytes, revoke's {}, RFC 9207
// iss, scopes_supported, and the refresh-token reuse interval.
func TestProtocolExamplesThroughTheBinary(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"REFRESH_TOKEN_REUSE_INTERVAL": "10s"})
	tokenURL := p.URL + "/oauth/token"

	t.Run("client_secret= next to Basic is no second method; revoke answers {}", func(t *testing.T) {
		status, _, tr := form(t, tokenURL, apptest.AdminClientID, apptest.AdminClientSecret, "grant_type=client_credentials&client_secret=")
		require.Equal(t, http.StatusOK, status, "%v", tr)
		status, hdr, body := form(t, p.URL+"/oauth/revoke", apptest.AdminClientID, apptest.AdminClientSecret, "client_secret=&token="+tr["access_token"].(string))
		assert.Equal(t, http.StatusOK, status)
		assert.Equal(t, "application/json", hdr.Get("Content-Type"))
		assert.Empty(t, body)
	})

	id, secret := createClient(t, p, false, "photos:read", "photos:write")
	registerUser(t, p, userEmail, userPassword)
	_, meta := call(t, http.MethodGet, p.URL+"/.well-known/oauth-authorization-server", "", nil)
	issuer := meta["issuer"].(string)

	t.Run("metadata: iss and scopes_supported", func(t *testing.T) {
		status, m := call(t, http.MethodGet, p.URL+"/.well-known/oauth-authorization-server", "", nil)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, true, m["authorization_response_iss_parameter_supported"])
		assert.Subset(t, m["scopes_supported"], []any{"photos:read", "photos:write"})
		assert.NotContains(t, m["scopes_supported"], "clients:write")
	})

	t.Run("refresh narrows the access token only", func(t *testing.T) {
		cfg := &oauth2.Config{
			ClientID: id, ClientSecret: secret, RedirectURL: callback, Scopes: []string{"photos:read", "photos:write"},
			Endpoint: oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInHeader},
		}
		verifier := oauth2.GenerateVerifier()
		page := browse(t, p, cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier)), userEmail, userPassword)
		assert.Equal(t, issuer, page.Left.Query().Get("iss"), "RFC 9207")
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, checked(t))
		tok, err := cfg.Exchange(ctx, page.Left.Query().Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		require.Equal(t, "photos:read photos:write", tok.Extra("scope"))

		refresh := func(rt, scope string) map[string]any {
			body := "grant_type=refresh_token&refresh_token=" + url.QueryEscape(rt)
			if scope != "" {
				body += "&scope=" + url.QueryEscape(scope)
			}
			status, _, out := form(t, tokenURL, id, secret, body)
			require.Equal(t, http.StatusOK, status, "%v", out)
			return out
		}
		a := refresh(tok.RefreshToken, "photos:read")
		assert.Equal(t, "photos:read", a["scope"])
		_, _, in := form(t, p.URL+"/oauth/introspect", id, secret, "token="+url.QueryEscape(a["refresh_token"].(string)))
		assert.Equal(t, "photos:read photos:write", in["scope"], "the new refresh token keeps the original scope")
		full := refresh(a["refresh_token"].(string), "")
		assert.Equal(t, "photos:read photos:write", full["scope"])
		b := refresh(full["refresh_token"].(string), "photos:write")
		assert.Equal(t, "photos:write", b["scope"])

		// Two tabs refresh with the same token at once: within the reuse
		// interval both keep a session.
		var wg sync.WaitGroup
		results := make([]map[string]any, 2)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = refresh(b["refresh_token"].(string), "")
			}()
		}
		wg.Wait()
		for _, r := range results {
			refresh(r["refresh_token"].(string), "")
		}
	})

	t.Run("Unicode passwords", func(t *testing.T) {
		registerUser(t, p, "jörg@example.com", "Pässwörter-für-Ärzte-2026")
		status, out := call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{
			"email": "JO\u0308RG@example.com", "password": "Pa\u0308sswo\u0308rter-fu\u0308r-A\u0308rzte-2026",
		})
		assert.Equal(t, http.StatusOK, status, "%v", out)
	})

	t.Run("a password longer than bcrypt reads never matches", func(t *testing.T) {
		exact := strings.Repeat("Zq7!", 18)
		registerUser(t, p, "long@example.com", exact)
		status, _ := call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{"email": "long@example.com", "password": exact + "anything-else"})
		assert.Equal(t, http.StatusUnauthorized, status)
		status, lb := call(t, http.MethodPost, p.URL+"/api/auth/login", "", map[string]string{"email": "long@example.com", "password": exact})
		require.Equal(t, http.StatusOK, status)
		access := lb["access_token"].(string)
		status, _ = call(t, http.MethodDelete, p.URL+"/api/auth/me", access, map[string]string{"current_password": exact + "anything-else"})
		assert.Equal(t, http.StatusBadRequest, status)
		status, _ = call(t, http.MethodGet, p.URL+"/api/auth/me", access, nil)
		assert.Equal(t, http.StatusOK, status, "the account is still there")
	})
}
