package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/redis/redistest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// The README's procedure for changing JWT_REFRESH_SECRET, through the
// binary on PostgreSQL (an in-memory server keeps nothing across a
// restart): tokens, clients, ID tokens and a browser session made under
// secret A keep working after a restart with B and A as the previous
// secret; `identityd keys reseal` moves the signing keys; after a restart
// without the previous secret everything still works except what the
// procedure says ends: what was never used while both secrets were set.
func TestChangingTheRefreshSecret(t *testing.T) {
	t.Parallel()
	const (
		secretA = apptest.JWTRefreshSecret
		secretB = "Second-Refresh-Secret-0123456789-xyzw!"
	)
	dsn := pgtest.NewSchema(t)
	redisURL, prefix := redistest.New(t)
	port := apptest.FreePort(t)
	issuer := fmt.Sprintf("http://localhost:%d", port)
	env := func(secret, previous string) map[string]string {
		return map[string]string{
			"DATABASE_URL": dsn, "REDIS_URL": redisURL, "REDIS_KEY_PREFIX": prefix, "PORT": fmt.Sprint(port),
			"JWT_REFRESH_SECRET": secret, "JWT_REFRESH_SECRET_PREVIOUS": previous,
		}
	}
	ctx := oidc.ClientContext(context.Background(), checked(t))

	// Under A: a person signs in with a browser; two OpenID clients (RS256
	// and ES256 ID tokens) get tokens; two service clients get secrets.
	p := e2e.Start(t, env(secretA, ""))
	registerUser(t, p, userEmail, userPassword)
	provider, err := oidc.NewProvider(ctx, issuer)
	require.NoError(t, err)
	type rp struct {
		cfg *oauth2.Config
		alg string
	}
	newRP := func(alg string) rp {
		id, secret := oidcClient(t, p, alg, true)
		return rp{alg: alg, cfg: &oauth2.Config{ClientID: id, ClientSecret: secret, RedirectURL: callback, Endpoint: provider.Endpoint(),
			Scopes: []string{oidc.ScopeOpenID, "email"}}}
	}
	rsRP, esRP := newRP(oidc.RS256), newRP(oidc.ES256)
	browser := apptest.NewBrowser(t, issuer)
	// codeFlow runs the code flow in browser (signing in when asked) and
	// returns the tokens; prompt=none answers at once or fails.
	codeFlow := func(t *testing.T, b *apptest.Browser, r rp, prompt string) (*oauth2.Token, error) {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-"+r.alg)}
		if prompt != "" {
			opts = append(opts, oauth2.SetAuthURLParam("prompt", prompt))
		}
		page := b.Open(r.cfg.AuthCodeURL("st", opts...))
		if page.Left == nil {
			page = signIn(t, b, page)
		}
		if e := page.Left.Query().Get("error"); e != "" {
			return nil, fmt.Errorf("authorization: %s", e)
		}
		return r.cfg.Exchange(ctx, page.Left.Query().Get("code"), oauth2.VerifierOption(verifier))
	}
	rsTok, err := codeFlow(t, browser, rsRP, "")
	require.NoError(t, err)
	unusedTok, err := codeFlow(t, browser, rsRP, "none")
	require.NoError(t, err, "the session gives a second sign-in without the form")
	esTok, err := codeFlow(t, browser, esRP, "none")
	require.NoError(t, err)
	idTokens := map[string]string{oidc.RS256: rsTok.Extra("id_token").(string), oidc.ES256: esTok.Extra("id_token").(string)}
	kidsA := jwksKids(t, p.URL)
	require.Len(t, kidsA, 3)

	service := func(name string) *clientcredentials.Config {
		admin := (&clientcredentials.Config{ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token"}).Client(ctx)
		resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{"name": name, "grant_types": []string{"client_credentials"}})
		require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
		return &clientcredentials.Config{ClientID: c["client_id"].(string), ClientSecret: c["client_secret"].(string), TokenURL: p.URL + "/oauth/token"}
	}
	usedService, forgottenService := service("used"), service("forgotten")
	_, err = forgottenService.Token(ctx)
	require.NoError(t, err)

	// verifyIDTokens verifies the ID tokens issued under A through a
	// fresh fetch of discovery and the JWKS.
	verifyIDTokens := func(t *testing.T) {
		t.Helper()
		provider, err := oidc.NewProvider(ctx, issuer)
		require.NoError(t, err)
		for alg, raw := range idTokens {
			_, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true, SupportedSigningAlgs: []string{alg}}).Verify(ctx, raw)
			assert.NoError(t, err, "the %s ID token issued under A verifies", alg)
		}
		assert.Equal(t, kidsA, jwksKids(t, p.URL), "the same keys are published")
	}
	keys := func(t *testing.T, env map[string]string, sub string) string {
		t.Helper()
		env["APP_ENV"] = "production"
		code, stdout, stderr := e2e.Run(t, env, "keys", sub)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, stdout+stderr, secretA)
		assert.NotContains(t, stdout+stderr, secretB)
		return stdout
	}

	// Step 1 of the procedure: B, with A as the previous secret, on every
	// instance.
	p.Stop(t)
	p = e2e.Start(t, env(secretB, secretA))
	assert.Contains(t, p.Stdout(), "identityd keys reseal", "the start says what is left to do")
	assert.Contains(t, keys(t, env(secretB, ""), "status"), "signing keys sealed under another secret (not read): 3")
	assert.Contains(t, keys(t, env(secretB, secretA), "status"), "signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: 3")

	t.Run("while the previous secret is set", func(t *testing.T) {
		verifyIDTokens(t)
		next, err := rsRP.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rsTok.RefreshToken}).Token()
		require.NoError(t, err, "a refresh token stored under A refreshes, and the client secret hashed under A authenticates")
		rsTok = next
		next, err = esRP.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: esTok.RefreshToken}).Token()
		require.NoError(t, err)
		esTok = next
		_, err = usedService.Token(ctx)
		require.NoError(t, err, "a client secret hashed under A authenticates")
		_, err = codeFlow(t, browser, rsRP, "none")
		require.NoError(t, err, "the browser session signed under A still works")
	})
	// A second browser signs in now, under B.
	browserB := apptest.NewBrowser(t, issuer)
	_, err = codeFlow(t, browserB, esRP, "")
	require.NoError(t, err)

	// Step 2: reseal the signing keys; keys status then shows what still
	// needs A: the client that has not authenticated since.
	assert.Contains(t, keys(t, env(secretB, secretA), "reseal"), "resealed 3 signing key(s)")
	status := keys(t, env(secretB, secretA), "status")
	assert.Contains(t, status, "signing keys sealed under JWT_REFRESH_SECRET: 3")
	assert.Contains(t, status, "signing keys sealed under JWT_REFRESH_SECRET_PREVIOUS: 0")
	assert.Contains(t, status, "client secrets not hashed under JWT_REFRESH_SECRET: 1", "the forgotten service client")
	verifyIDTokens(t)

	// Step 3 (after REFRESH_TOKEN_EXPIRY and the session lifetime, which
	// a test does not wait for): the previous secret removed.
	p.Stop(t)
	p = e2e.Start(t, env(secretB, ""))
	t.Run("after the previous secret is removed", func(t *testing.T) {
		verifyIDTokens(t)
		_, err := rsRP.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: rsTok.RefreshToken}).Token()
		assert.NoError(t, err, "the refresh token issued under B")
		_, err = esRP.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: esTok.RefreshToken}).Token()
		assert.NoError(t, err)
		_, err = usedService.Token(ctx)
		assert.NoError(t, err, "the client secret was hashed again under B")
		_, err = codeFlow(t, browserB, esRP, "none")
		assert.NoError(t, err, "the session signed under B")
		tok, err := codeFlow(t, browserB, rsRP, "none")
		require.NoError(t, err)
		_, err = provider.Verifier(&oidc.Config{ClientID: rsRP.cfg.ClientID}).Verify(ctx, tok.Extra("id_token").(string))
		assert.NoError(t, err, "new ID tokens are signed with the same keys")

		// What the procedure says ends: what was not used while both
		// secrets were set.
		_, err = rsRP.cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: unusedTok.RefreshToken}).Token()
		assert.ErrorContains(t, err, "invalid_grant", "a refresh token not used since the change (expired by then)")
		_, err = forgottenService.Token(ctx)
		assert.ErrorContains(t, err, "invalid_client", "a client that did not authenticate while keys status listed it")
		_, err = codeFlow(t, browser, rsRP, "none")
		assert.ErrorContains(t, err, "login_required", "a session signed under A (expired by then)")
	})
	assert.Contains(t, keys(t, env(secretB, ""), "status"), "signing keys sealed under another secret (not read): 0")
	assert.NotContains(t, p.Stdout(), "does not have")

	// An instance started with the old secret alone (a missed
	// configuration) reads none of the keys, and says so.
	p.Stop(t)
	p = e2e.Start(t, env(secretA, ""))
	assert.Contains(t, p.Stdout(), "sealed under a JWT_REFRESH_SECRET this instance does not have")

	// The command needs both secrets and checks them.
	code, _, stderr := e2e.Run(t, env(secretB, ""), "keys", "reseal")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "JWT_REFRESH_SECRET_PREVIOUS: is required")
	code, _, stderr = e2e.Run(t, env(secretB, secretB), "keys", "reseal")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "JWT_REFRESH_SECRET_PREVIOUS: must differ from JWT_REFRESH_SECRET")
	assert.NotContains(t, stderr, secretB)
}
