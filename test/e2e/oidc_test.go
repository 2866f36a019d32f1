package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

const signedOut = "https://photos.example.com/signed-out"

// oidcClient registers a confidential code-flow client with the OpenID
// scopes, a post-logout redirect URI and the ID token algorithm alg.
// Consent is not remembered, so only a first-party client gets a code from
// prompt=none.
func oidcClient(t *testing.T, p *e2e.Process, alg string, firstParty bool) (id, secret string) {
	t.Helper()
	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
	}).Client(context.Background())
	resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "Photo Printer", "grant_types": []string{"authorization_code", "refresh_token"},
		"scopes": []string{"openid", "profile", "email"}, "redirect_uris": []string{callback},
		"post_logout_redirect_uris": []string{signedOut}, "id_token_signed_response_alg": alg, "first_party": firstParty,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
	return c["client_id"].(string), c["client_secret"].(string)
}

// signIn answers the sign-in form on page and, when asked, approves the
// consent page; it returns the page that left for the client.
func signIn(t *testing.T, b *apptest.Browser, page apptest.Page) apptest.Page {
	t.Helper()
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Len(t, page.Forms, 1)
	require.Contains(t, page.Forms[0].Inputs, "password", "the sign-in page: %s", page.Body)
	page = b.Submit(page, page.Forms[0], map[string]string{"email": userEmail, "password": userPassword}, "")
	if page.Left == nil {
		require.Contains(t, page.Body, "Allow access?")
		require.Len(t, page.Forms, 1)
		page = b.Submit(page, page.Forms[0], nil, "approve")
	}
	require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
	return page
}

// The reference Go relying party (coreos/go-oidc over golang.org/x/oauth2)
// signs a person in through the real binary: discovery, the code flow with
// PKCE and a nonce through the sign-in and consent pages, the ID token
// verified through the JWKS for each signing algorithm, userinfo, prompt,
// max_age and RP-initiated logout (OpenID Connect Core 1.0 §3.1, Discovery
// 1.0, RP-Initiated Logout 1.0).
func TestOIDCRelyingParty(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, nil)
	userID := registerUser(t, p, userEmail, userPassword)
	ctx := oidc.ClientContext(context.Background(), checked(t))
	// The issuer is ISSUER_URL's default, http://localhost:<port>; the
	// relying party and the browser use the URLs discovery gives.
	issuer := strings.Replace(p.URL, "127.0.0.1", "localhost", 1)
	provider, err := oidc.NewProvider(ctx, issuer)
	require.NoError(t, err, "discovery")
	var disc struct {
		EndSession string `json:"end_session_endpoint"`
	}
	require.NoError(t, provider.Claims(&disc))
	require.NotEmpty(t, disc.EndSession)

	type run struct {
		cfg      *oauth2.Config
		verifier *oidc.IDTokenVerifier
		browser  *apptest.Browser
	}
	newRun := func(t *testing.T, alg string, firstParty bool) run {
		id, secret := oidcClient(t, p, alg, firstParty)
		return run{
			cfg: &oauth2.Config{
				ClientID: id, ClientSecret: secret, RedirectURL: callback, Endpoint: provider.Endpoint(),
				Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
			},
			verifier: provider.Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{alg}}),
			browser:  apptest.NewBrowser(t, issuer),
		}
	}
	// authorize opens the authorization endpoint with PKCE, a nonce and
	// extra; it returns the first page, the verifier and the nonce.
	authorize := func(r run, state string, extra ...oauth2.AuthCodeOption) (apptest.Page, string, string) {
		verifier, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
		opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce)}, extra...)
		return r.browser.Open(r.cfg.AuthCodeURL(state, opts...)), verifier, nonce
	}
	// exchange redeems the code the page left with and verifies the ID token.
	exchange := func(t *testing.T, r run, left *url.URL, state, verifier, nonce string) (*oauth2.Token, *oidc.IDToken, string) {
		t.Helper()
		require.Equal(t, state, left.Query().Get("state"))
		require.NotEmpty(t, left.Query().Get("code"), left.String())
		tok, err := r.cfg.Exchange(ctx, left.Query().Get("code"), oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		raw, ok := tok.Extra("id_token").(string)
		require.True(t, ok, "an id_token in the token response")
		idt, err := r.verifier.Verify(ctx, raw)
		require.NoError(t, err)
		assert.Equal(t, nonce, idt.Nonce)
		require.NoError(t, idt.VerifyAccessToken(tok.AccessToken), "at_hash")
		return tok, idt, raw
	}
	type idClaims struct {
		AuthTime int64    `json:"auth_time"`
		AMR      []string `json:"amr"`
		Email    string   `json:"email"`
	}

	for _, alg := range []string{oidc.RS256, oidc.ES256, oidc.EdDSA} {
		t.Run(alg, func(t *testing.T) {
			r := newRun(t, alg, false)
			page, verifier, nonce := authorize(r, "s-"+alg)
			before := time.Now().Unix()
			page = signIn(t, r.browser, page)
			after := time.Now().Unix()
			tok, idt, _ := exchange(t, r, page.Left, "s-"+alg, verifier, nonce)
			assert.Equal(t, userID, idt.Subject)
			assert.NotEmpty(t, idt.AccessTokenHash)
			var claims idClaims
			require.NoError(t, idt.Claims(&claims))
			assert.GreaterOrEqual(t, claims.AuthTime, before, "auth_time is the sign-in's")
			assert.LessOrEqual(t, claims.AuthTime, after, "auth_time is the sign-in's")
			assert.Equal(t, []string{"pwd"}, claims.AMR)
			assert.Equal(t, userEmail, claims.Email)

			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			require.NoError(t, err)
			assert.Equal(t, idt.Subject, info.Subject)
			assert.Equal(t, userEmail, info.Email)

			// A forged signature fails verification.
			raw := tok.Extra("id_token").(string)
			forged := raw[:len(raw)-4] + map[bool]string{true: "AAAA", false: "BBBB"}[raw[len(raw)-4:] != "AAAA"]
			_, err = r.verifier.Verify(ctx, forged)
			assert.Error(t, err)
		})
	}

	t.Run("prompt=none without a session", func(t *testing.T) {
		r := newRun(t, oidc.RS256, false)
		page, _, _ := authorize(r, "quiet", oauth2.SetAuthURLParam("prompt", "none"))
		require.NotNil(t, page.Left, "a redirect, never a page: %s", page.Body)
		q := page.Left.Query()
		assert.Equal(t, callback, page.Left.Scheme+"://"+page.Left.Host+page.Left.Path)
		assert.Equal(t, "login_required", q.Get("error"))
		assert.Equal(t, "quiet", q.Get("state"))
		assert.Equal(t, issuer, q.Get("iss"), "RFC 9207")
		assert.Empty(t, q.Get("code"))
	})

	t.Run("max_age=0 signs in again", func(t *testing.T) {
		r := newRun(t, oidc.ES256, true)
		page, verifier, nonce := authorize(r, "first")
		page = signIn(t, r.browser, page)
		_, idt, _ := exchange(t, r, page.Left, "first", verifier, nonce)
		var claims idClaims
		require.NoError(t, idt.Claims(&claims))
		first := claims.AuthTime

		// With the session, prompt=none answers a code at once.
		page, verifier, nonce = authorize(r, "quiet", oauth2.SetAuthURLParam("prompt", "none"))
		require.NotNil(t, page.Left, page.Body)
		_, idt, _ = exchange(t, r, page.Left, "quiet", verifier, nonce)
		require.NoError(t, idt.Claims(&claims))
		assert.Equal(t, first, claims.AuthTime, "the same sign-in")

		time.Sleep(1100 * time.Millisecond) // auth_time counts seconds
		page, verifier, nonce = authorize(r, "again", oauth2.SetAuthURLParam("max_age", "0"))
		require.Nil(t, page.Left, "the sign-in page is shown again")
		page = signIn(t, r.browser, page)
		_, idt, _ = exchange(t, r, page.Left, "again", verifier, nonce)
		require.NoError(t, idt.Claims(&claims))
		assert.Greater(t, claims.AuthTime, first)
	})

	t.Run("logout", func(t *testing.T) {
		r := newRun(t, oidc.EdDSA, true)
		page, verifier, nonce := authorize(r, "in")
		page = signIn(t, r.browser, page)
		_, _, hint := exchange(t, r, page.Left, "in", verifier, nonce)
		signedIn := func() bool {
			page, _, _ := authorize(r, "quiet", oauth2.SetAuthURLParam("prompt", "none"))
			require.NotNil(t, page.Left, page.Body)
			if page.Left.Query().Get("code") != "" {
				return true
			}
			assert.Equal(t, "login_required", page.Left.Query().Get("error"))
			return false
		}
		require.True(t, signedIn())

		for _, target := range []string{"https://evil.example.com/", signedOut + "/x", callback} {
			q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {target}, "state": {"bye"}}
			page := r.browser.Open(disc.EndSession + "?" + q.Encode())
			assert.Nil(t, page.Left, "never redirected to the unregistered %s", target)
			assert.Equal(t, http.StatusBadRequest, page.Status, target)
		}
		require.True(t, signedIn(), "a refused logout ends nothing")

		q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {signedOut}, "state": {"bye"}}
		page = r.browser.Open(disc.EndSession + "?" + q.Encode())
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		assert.Equal(t, signedOut+"?state=bye", page.Left.String())
		assert.False(t, signedIn(), "the session ended")
	})
}

// Under JWT_SIGNING_ALG=ES256 the access tokens are ES256 while the
// client's id_token stays RS256; go-oidc verifies the id_token through the
// JWKS, which publishes both keys, and userinfo accepts the ES256 access
// token. The stores hold keys the same way on either backend (the
// integration suites run both), so this second binary runs once.
func TestOIDCWithAsymmetricAccessTokens(t *testing.T) {
	t.Parallel()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("runs once, on the memory backend")
	}
	p := e2e.Start(t, map[string]string{"JWT_SIGNING_ALG": "ES256"})
	userID := registerUser(t, p, userEmail, userPassword)
	ctx := oidc.ClientContext(context.Background(), checked(t))
	issuer := strings.Replace(p.URL, "127.0.0.1", "localhost", 1)
	provider, err := oidc.NewProvider(ctx, issuer)
	require.NoError(t, err, "discovery")
	id, secret := oidcClient(t, p, oidc.RS256, false)
	cfg := &oauth2.Config{
		ClientID: id, ClientSecret: secret, RedirectURL: callback, Endpoint: provider.Endpoint(),
		Scopes: []string{oidc.ScopeOpenID, "email"},
	}
	b := apptest.NewBrowser(t, issuer)
	verifier, nonce := oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	page := signIn(t, b, b.Open(cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", nonce))))
	require.Equal(t, "s", page.Left.Query().Get("state"))
	tok, err := cfg.Exchange(ctx, page.Left.Query().Get("code"), oauth2.VerifierOption(verifier))
	require.NoError(t, err)
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: id, SupportedSigningAlgs: []string{oidc.RS256}}).Verify(ctx, raw)
	require.NoError(t, err)
	assert.Equal(t, nonce, idt.Nonce)
	assert.Equal(t, userID, idt.Subject)
	require.NoError(t, idt.VerifyAccessToken(tok.AccessToken), "at_hash")

	// The access token is ES256 and verifies with the same JWKS.
	keys := oidc.NewRemoteKeySet(ctx, issuer+"/.well-known/jwks.json")
	_, err = oidc.NewVerifier(issuer, keys, &oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{oidc.ES256}}).Verify(ctx, tok.AccessToken)
	require.NoError(t, err, "the access token is ES256 and its key is published")

	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	require.NoError(t, err)
	assert.Equal(t, idt.Subject, info.Subject)
	assert.Equal(t, userEmail, info.Email)
}
