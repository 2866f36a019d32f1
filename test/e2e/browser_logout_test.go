package e2e_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// Signing out brings the person back, in a real browser: after "Sign
// out" on /oauth/logout's confirmation page Chromium follows the 303 to
// the registered post_logout_redirect_uri (the page's CSP form-action
// allows exactly that origin), and a logout request the application sends
// by POST (RP-Initiated Logout 1.0 §2) signs out and returns the same way.
// Registering from the sign-in page of a first-party client's request
// lands at the application too (the register page's form-action allows
// the request's redirect_uri).
func TestBrowserLogoutReturnsToTheApplication(t *testing.T) {
	t.Parallel()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		t.Skip("the browser test runs once, on the memory backend")
	}
	path := chromium(t)
	p := e2e.Start(t, nil)
	ctx := newBrowser(t, path)
	const email, password = "lin@example.com", "Logout-Browser-Password-77"

	var mu sync.Mutex
	var hint string
	codes := make(chan string, 4)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/callback":
			codes <- r.URL.Query().Get("code")
			_, _ = w.Write([]byte(`<!doctype html><title>App</title><h1 id="page-title" data-app="in">Signed in at App</h1>`))
		case "/signed-out":
			fmt.Fprintf(w, `<!doctype html><title>App</title><h1 id="page-title" data-app="out">Signed out of App (%s)</h1>`, html.EscapeString(r.URL.Query().Get("state")))
		case "/post-logout":
			// The application's own logout form, posting to the
			// end_session_endpoint (ASP.NET's FormPost does this).
			mu.Lock()
			h := hint
			mu.Unlock()
			fmt.Fprintf(w, `<!doctype html><title>App</title><form method="post" action="%s/oauth/logout">`+
				`<input type="hidden" name="id_token_hint" value="%s">`+
				`<input type="hidden" name="post_logout_redirect_uri" value="%s">`+
				`<input type="hidden" name="state" value="by-post">`+
				`<button id="rp-logout" type="submit">Log out</button></form>`,
				html.EscapeString(p.URL), html.EscapeString(h), html.EscapeString("http://"+r.Host+"/signed-out"))
		}
	}))
	t.Cleanup(app.Close)

	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
	}).Client(context.Background())
	resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "App", "grant_types": []string{"authorization_code"}, "public": true, "scopes": []string{"openid"},
		"redirect_uris": []string{app.URL + "/callback"}, "post_logout_redirect_uris": []string{app.URL + "/signed-out"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
	resp, u := postJSON(t, http.DefaultClient, p.URL+"/api/auth/register", map[string]any{
		"email": email, "password": password, "first_name": "Lin", "last_name": "Out",
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", u)
	cfg := oauth2.Config{
		ClientID: c["client_id"].(string), Scopes: []string{"openid"},
		Endpoint:    oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: app.URL + "/callback",
	}
	signIn := func(t *testing.T, withPassword bool) string {
		t.Helper()
		verifier := oauth2.GenerateVerifier()
		// prompt=consent: the consent page each time, though the first
		// approval is remembered.
		actions := []chromedp.Action[chromedp.Void]{chromedp.Navigate(cfg.AuthCodeURL(fmt.Sprint(time.Now().UnixNano()), oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "consent")))}
		if withPassword {
			actions = append(actions, chromedp.WaitVisible("#password"), chromedp.SendKeys("#email", email), chromedp.SendKeys("#password", password+"\n"))
		}
		actions = append(actions, chromedp.WaitVisible(`button[value="approve"]`), chromedp.Click(`button[value="approve"]`), chromedp.WaitVisible(`h1[data-app="in"]`))
		require.NoError(t, chromedp.Do(ctx, actions...))
		var code string
		select {
		case code = <-codes:
		case <-time.After(10 * time.Second):
			t.Fatal("the browser never came back to the application")
		}
		tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
		require.NoError(t, err)
		id, _ := tok.Extra("id_token").(string)
		require.NotEmpty(t, id)
		return id
	}
	signedOut := func(t *testing.T) {
		t.Helper()
		require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(cfg.AuthCodeURL("check", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))), chromedp.WaitVisible("#password")))
	}

	// Without an id_token_hint (oauth2-proxy's sign_out?rd=): the
	// confirmation page, then back at the application.
	signIn(t, true)
	q := url.Values{"client_id": {cfg.ClientID}, "post_logout_redirect_uri": {app.URL + "/signed-out"}, "state": {"by-get"}}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/oauth/logout?"+q.Encode()),
		chromedp.WaitVisible(`button[value="yes"]`),
		chromedp.Click(`button[value="yes"]`),
		chromedp.WaitVisible(`h1[data-app="out"]`),
	))
	assert.Equal(t, "Signed out of App (by-get)", title(t, ctx))
	signedOut(t)

	// A logout request sent by POST from the application's page, with the
	// current session's hint: signed out and back without a question.
	idToken := signIn(t, true)
	mu.Lock()
	hint = idToken
	mu.Unlock()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/post-logout"),
		chromedp.WaitVisible("#rp-logout"),
		chromedp.Click("#rp-logout"),
		chromedp.WaitVisible(`h1[data-app="out"]`),
	))
	assert.Equal(t, "Signed out of App (by-post)", title(t, ctx))
	signedOut(t)

	resp, fp := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "Own App", "grant_types": []string{"authorization_code"}, "public": true, "first_party": true,
		"scopes": []string{"openid"}, "redirect_uris": []string{app.URL + "/callback"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", fp)
	own := cfg
	own.ClientID = fp["client_id"].(string)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(own.AuthCodeURL("reg", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))),
		chromedp.WaitVisible(`a[href^="/register"]`),
		chromedp.Click(`a[href^="/register"]`),
		chromedp.WaitVisible("#first_name"),
		chromedp.SendKeys("#first_name", "New"),
		chromedp.SendKeys("#last_name", "Person"),
		chromedp.SendKeys("#email", "new@example.com"),
		chromedp.SendKeys("#password", "Registered-In-Browser-55\n"),
		chromedp.WaitVisible(`h1[data-app="in"]`),
	))
	select {
	case <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("registering never came back to the application")
	}
}
