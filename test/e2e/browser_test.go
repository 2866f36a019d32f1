package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/identityd/identityd/adapters/mail/smtptest"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/test/e2e"
)

// chromium returns Debian's chromium, skipping the test when it is not
// installed (failing it under REQUIRE_SERVICES=1). `make browser` and
// .ci/run install it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("REQUIRE_SERVICES") == "1" {
		t.Fatal("chromium is not installed and REQUIRE_SERVICES=1: run make browser")
	}
	t.Skip("chromium is not installed: skipping the browser test (make browser installs it)")
	return ""
}

// newBrowser starts a headless chromium with a fresh profile.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(375, 812),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("about:blank")), "start chromium")
	return ctx
}

// title is the heading of the page the browser shows.
func title(t *testing.T, ctx context.Context) string {
	t.Helper()
	h, err := chromedp.Run(ctx, chromedp.Text("#page-title"))
	require.NoError(t, err)
	return h
}

var linkIn = regexp.MustCompile(`https?://\S+\?token=\S+`)

// A person registers, confirms their address, forgets their password,
// receives the mail from a real SMTP server, resets it in a real browser
// (375 px wide) and signs in with the new one.
func TestBrowserRegisterVerifyForgetResetSignIn(t *testing.T) {
	t.Parallel()
	if os.Getenv(apptest.EnvBackend) == "postgres" {
		// The pages and mail run the same code on either store, and the
		// integration suites cover both; a browser costs tens of seconds.
		t.Skip("the browser test runs once, on the memory backend")
	}
	path := chromium(t)
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	p := e2e.Start(t, map[string]string{"SMTP_URL": srv.URL.String()})
	ctx := newBrowser(t, path)
	const email, first, second = "ada@example.com", "Analytical-Engine-1843", "Difference-Engine-1822"

	var heading string
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/register"),
		chromedp.WaitVisible("#first_name"),
		chromedp.SendKeys("#first_name", "Ada"),
		chromedp.SendKeys("#last_name", "Lovelace"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#password", first+"\n"),
		chromedp.WaitVisible(`p[role="status"]`),
	))
	heading = title(t, ctx)
	assert.Equal(t, "Account created", heading)

	verify := linkIn.FindString(srv.WaitFor(t, email, 1, 20*time.Second)[0].Text)
	require.NotEmpty(t, verify)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(verify), chromedp.WaitVisible(`button[value="yes"]`)))
	assert.Equal(t, "Confirm your address", title(t, ctx), "opening the link changes nothing")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(`button[value="yes"]`), chromedp.WaitVisible(`p[role="status"]`)))
	heading = title(t, ctx)
	assert.Equal(t, "Address confirmed", heading)

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/password-reset"),
		chromedp.WaitVisible("#email"),
		chromedp.SendKeys("#email", email+"\n"),
		chromedp.WaitVisible(`p[role="status"]`),
	))
	heading = title(t, ctx)
	assert.Equal(t, "Check your mail", heading)
	reset := linkIn.FindString(srv.WaitFor(t, email, 2, 20*time.Second)[1].Text)
	require.Contains(t, reset, "/password-reset/confirm?token=")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(reset),
		chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#password", second+"\n"),
		chromedp.WaitVisible(`p[role="status"]`),
	))
	heading = title(t, ctx)
	assert.Equal(t, "Password changed", heading)

	// Sign in with the new password on the sign-in page of a code flow
	// (RFC 6749 §4.1, PKCE), approve, and land back at the application.
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
	admin := (&clientcredentials.Config{
		ClientID: apptest.AdminClientID, ClientSecret: apptest.AdminClientSecret, TokenURL: p.URL + "/oauth/token",
	}).Client(context.Background())
	resp, c := postJSON(t, admin, p.URL+"/api/clients", map[string]any{
		"name": "Notebook", "grant_types": []string{"authorization_code"}, "public": true,
		"redirect_uris": []string{app.URL + "/callback"}, "scopes": []string{"openid", "email"},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, "%v", c)
	cfg := oauth2.Config{
		ClientID:    c["client_id"].(string),
		Endpoint:    oauth2.Endpoint{AuthURL: p.URL + "/oauth/authorize", TokenURL: p.URL + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: app.URL + "/callback",
		Scopes:      []string{"openid", "email"},
	}
	verifier := oauth2.GenerateVerifier()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier))),
		chromedp.WaitVisible("#password"),
		chromedp.SendKeys("#email", email),
		chromedp.SendKeys("#password", second+"\n"),
		chromedp.WaitVisible(`button[value="approve"]`),
		chromedp.Click(`button[value="approve"]`),
		// The consent page has a #page-title too: wait for the application's.
		chromedp.WaitVisible(`h1[data-app="notebook"]`),
	))
	assert.Equal(t, "Back at Notebook", title(t, ctx))
	var code string
	select {
	case code = <-codes:
	case <-time.After(10 * time.Second):
		t.Fatal("the browser never came back to the application")
	}
	tok, err := cfg.Exchange(context.Background(), code, oauth2.VerifierOption(verifier))
	require.NoError(t, err)

	// The application reads that the address is verified (OpenID Connect
	// Core §5.3; the account API itself is not for a third-party
	// application's token).
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/oauth/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var me struct {
		EmailVerified bool `json:"email_verified"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, me.EmailVerified)
}
