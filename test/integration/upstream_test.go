package integration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// upstreamWorld is an identityd (s, the relying party) with a second
// identityd (up) registered as its identity provider "corp", and a
// browser for each (cookies of both would share a host otherwise).
type upstreamWorld struct {
	s, up   *peopleServer
	sB, upB *apptest.Browser
	app     webClient
}

const upstreamPassword = "Upstream-Password-77!"

func newUpstreamWorld(t *testing.T, linkByEmail bool) *upstreamWorld {
	t.Helper()
	w := &upstreamWorld{up: startPeople(t, nil), s: startPeople(t, nil)}
	upAdmin := w.up.AdminToken(t)
	resp, body := w.up.Do(t, http.MethodPost, "/api/clients", upAdmin, map[string]any{
		"name": "Our identityd", "grant_types": []string{"authorization_code"}, "scopes": []string{"openid", "email", "profile"},
		"redirect_uris": []string{w.s.Config.IssuerURL + "/login/corp/callback"}, "first_party": true,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	rp := decode[map[string]any](t, body)
	resp, body = w.s.Do(t, http.MethodPost, "/api/identity-providers", w.s.AdminToken(t), map[string]any{
		"id": "corp", "name": "Corp", "issuer": w.up.Config.IssuerURL, "client_id": rp["client_id"], "client_secret": rp["client_secret"],
		"scopes": []string{"email", "profile"}, "link_by_email": linkByEmail,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	w.app = newWebClient(t, w.s.Server, false, true, nil, "openid", "email")
	w.sB = apptest.NewBrowser(t, w.s.Config.IssuerURL)
	w.upB = apptest.NewBrowser(t, w.up.Config.IssuerURL)
	return w
}

// upstreamUser makes a person at the upstream provider, with a verified
// address when verified.
func (w *upstreamWorld) upstreamUser(t *testing.T, email string, verified bool) {
	t.Helper()
	register(t, w.up.Server, email, upstreamPassword)
	if verified {
		m, ok := w.up.mail.Last(memory.MailVerifyEmail, email)
		require.True(t, ok)
		resp, body := w.up.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]any{"token": m.Token})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	}
}

func (w *upstreamWorld) authorizeURL(p pkce) string {
	q := url.Values{}
	for k, v := range codeParams(w.app, p, "openid email") {
		q.Set(k, v)
	}
	return w.s.Config.IssuerURL + "/oauth/authorize?" + q.Encode()
}

// button returns the href of the "Sign in with Corp" button of a page.
func button(t *testing.T, page apptest.Page) string {
	t.Helper()
	i := strings.Index(page.Body, ">Sign in with Corp<")
	require.Positive(t, i, "the page has the button: %s", page.Body)
	j := strings.LastIndex(page.Body[:i], `href="`)
	require.Positive(t, j)
	href := page.Body[j+len(`href="`) : i-1]
	return strings.ReplaceAll(href, "&amp;", "&")
}

// toProvider starts an upstream sign-in from the sign-in page of the
// authorization request and returns the provider's sign-in page.
func (w *upstreamWorld) toProvider(t *testing.T, p pkce) apptest.Page {
	t.Helper()
	login := w.sB.Open(w.authorizeURL(p))
	require.Equal(t, http.StatusOK, login.Status, login.Body)
	out := w.sB.Open(w.s.Config.IssuerURL + button(t, login))
	require.NotNil(t, out.Left, "to the provider: %s", out.Body)
	require.True(t, strings.HasPrefix(out.Left.String(), w.up.Config.IssuerURL+"/oauth/authorize?"), out.Left.String())
	q := out.Left.Query()
	assert.Equal(t, "S256", q.Get("code_challenge_method"))
	assert.NotEmpty(t, q.Get("code_challenge"))
	assert.NotEmpty(t, q.Get("nonce"))
	assert.NotEmpty(t, q.Get("state"))
	assert.Equal(t, w.s.Config.IssuerURL+"/login/corp/callback", q.Get("redirect_uri"))
	return w.upB.Open(out.Left.String())
}

// atProvider signs in at the provider and returns the redirect back to s
// (not followed).
func (w *upstreamWorld) atProvider(t *testing.T, page apptest.Page, email string) *url.URL {
	t.Helper()
	back := page
	if page.Left == nil {
		back = signIn(t, w.upB, page, email, upstreamPassword)
	}
	require.NotNil(t, back.Left, back.Body)
	require.True(t, strings.HasPrefix(back.Left.String(), w.s.Config.IssuerURL+"/login/corp/callback?"), back.Left.String())
	return back.Left
}

// A first sign-in through the provider makes the person from the
// provider's claims, linked by (iss, sub); the person continues the
// authorization request that sent them and the client gets its code;
// the next sign-in finds the same person.
func TestUpstreamSignInCreatesAndFindsThePerson(t *testing.T) {
	t.Parallel()
	w := newUpstreamWorld(t, false)
	w.upstreamUser(t, "ada@example.com", true)
	p := newPKCE()
	cb := w.atProvider(t, w.toProvider(t, p), "ada@example.com")
	assert.Equal(t, w.up.Config.IssuerURL, cb.Query().Get("iss"), "RFC 9207 iss from the provider")
	done := w.sB.Open(cb.String())
	require.NotNil(t, done.Left, done.Body)
	require.Equal(t, "app.example.com", done.Left.Host, done.Left.String())
	code := done.Left.Query().Get("code")
	require.NotEmpty(t, code)
	assert.Equal(t, "xyz-state", done.Left.Query().Get("state"))
	toks := tokenRequest(t, w.s.Server, w.app, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {p.verifier}})
	_, claims := idClaims(t, w.s.Server, toks.IDToken)
	assert.Equal(t, []any{"fed"}, claims["amr"], "an upstream sign-in's amr is fed (RFC 8176)")
	assert.Equal(t, "ada@example.com", claims["email"])
	got := introspect(t, w.s.Server, w.app.ID, w.app.Secret, toks.AccessToken)
	sub, _ := got["sub"].(string)
	require.NotEmpty(t, sub)
	assert.Equal(t, sub, claims["sub"])

	lb := login(t, w.s.Server, adminEmail, adminPassword)
	_ = lb
	assert.Len(t, w.s.auditEvents(t, "user.created"), 1)
	assert.Len(t, w.s.auditEvents(t, core.AuditUserLinked), 1)

	// A second sign-in, in a new browser, finds the same person.
	w.sB, w.upB = apptest.NewBrowser(t, w.s.Config.IssuerURL), apptest.NewBrowser(t, w.up.Config.IssuerURL)
	p2 := newPKCE()
	done = w.sB.Open(w.atProvider(t, w.toProvider(t, p2), "ada@example.com").String())
	require.NotNil(t, done.Left, done.Body)
	tr := exchange(t, w.s.Server, w.app, done.Left.Query().Get("code"), callback, p2.verifier)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	assert.Equal(t, sub, introspect(t, w.s.Server, w.app.ID, w.app.Secret, tr.AccessToken)["sub"])
	assert.Len(t, w.s.auditEvents(t, "user.created"), 1, "no second account")

	// The person has no password here: password sign-in with the
	// address fails like any wrong password.
	resp, _ := tryLogin(t, w.s.Server, "ada@example.com", "")
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	resp, _ = tryLogin(t, w.s.Server, "ada@example.com", "!")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// A tampered state or code at the callback is refused with a page and no
// session, never a 500; a cancel at the provider goes back to the client
// as access_denied.
func TestUpstreamCallbackTampering(t *testing.T) {
	t.Parallel()
	w := newUpstreamWorld(t, false)
	w.upstreamUser(t, "eve@example.com", true)
	noSession := func(t *testing.T) {
		t.Helper()
		page := w.sB.Open(w.authorizeURL(newPKCE()))
		require.Nil(t, page.Left, "no code without a session")
		assert.Contains(t, page.Body, `name="password"`)
	}
	tests := []struct {
		name   string
		tamper func(q url.Values)
	}{
		{"state changed", func(q url.Values) { q.Set("state", q.Get("state")+"x") }},
		{"state missing", func(q url.Values) { q.Del("state") }},
		{"code changed", func(q url.Values) { q.Set("code", q.Get("code")+"x") }},
		{"code missing", func(q url.Values) { q.Del("code") }},
		{"iss of another provider", func(q url.Values) { q.Set("iss", "https://evil.example") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := w.atProvider(t, w.toProvider(t, newPKCE()), "eve@example.com")
			q := cb.Query()
			tt.tamper(q)
			cb.RawQuery = q.Encode()
			page := w.sB.Open(cb.String())
			assert.Equal(t, http.StatusBadRequest, page.Status, page.Body)
			assert.Nil(t, page.Left)
			assert.Contains(t, page.Body, "cannot be completed")
			noSession(t)
		})
	}
	t.Run("replayed callback", func(t *testing.T) {
		cb := w.atProvider(t, w.toProvider(t, newPKCE()), "eve@example.com")
		other := apptest.NewBrowser(t, w.s.Config.IssuerURL)
		page := other.Open(cb.String())
		assert.Equal(t, http.StatusBadRequest, page.Status, "another browser's callback")
		done := w.sB.Open(cb.String())
		require.NotNil(t, done.Left, done.Body)
		page = w.sB.Open(cb.String())
		assert.Equal(t, http.StatusBadRequest, page.Status, "the flow is used once")
	})
	t.Run("cancel at the provider", func(t *testing.T) {
		b := apptest.NewBrowser(t, w.s.Config.IssuerURL)
		w.sB = b
		login := b.Open(w.authorizeURL(newPKCE()))
		out := b.Open(w.s.Config.IssuerURL + button(t, login))
		require.NotNil(t, out.Left)
		q := out.Left.Query()
		back := w.s.Config.IssuerURL + "/login/corp/callback?" + url.Values{"error": {"access_denied"}, "state": {q.Get("state")}, "iss": {w.up.Config.IssuerURL}}.Encode()
		page := b.Open(back)
		require.NotNil(t, page.Left, page.Body)
		assert.Equal(t, "app.example.com", page.Left.Host)
		assert.Equal(t, "access_denied", page.Left.Query().Get("error"))
		assert.Equal(t, "xyz-state", page.Left.Query().Get("state"))
		assert.Empty(t, page.Left.Query().Get("code"))
		noSession(t)
	})
	assert.NotContains(t, w.s.Logs(), upstreamPassword)
}

// Linking by e-mail: only with link_by_email on, a verified upstream
// address, and a sign-in to the existing account; otherwise a page says
// why and nobody is signed in.
func TestUpstreamLinkingRules(t *testing.T) {
	t.Parallel()
	t.Run("link_by_email off", func(t *testing.T) {
		t.Parallel()
		w := newUpstreamWorld(t, false)
		register(t, w.s.Server, "bob@example.com", userPassword)
		w.upstreamUser(t, "bob@example.com", true)
		page := w.sB.Open(w.atProvider(t, w.toProvider(t, newPKCE()), "bob@example.com").String())
		assert.Equal(t, http.StatusForbidden, page.Status)
		assert.Contains(t, page.Body, "not allowed to sign in to existing accounts")
		assert.Empty(t, w.s.auditEvents(t, core.AuditUserLinked))
	})
	t.Run("unverified upstream address", func(t *testing.T) {
		t.Parallel()
		w := newUpstreamWorld(t, true)
		register(t, w.s.Server, "bob@example.com", userPassword)
		w.upstreamUser(t, "bob@example.com", false)
		page := w.sB.Open(w.atProvider(t, w.toProvider(t, newPKCE()), "bob@example.com").String())
		assert.Equal(t, http.StatusForbidden, page.Status)
		assert.Contains(t, page.Body, "did not confirm that the address is verified")
		assert.Empty(t, w.s.auditEvents(t, core.AuditUserLinked))
	})
	t.Run("verified and proved by password", func(t *testing.T) {
		t.Parallel()
		w := newUpstreamWorld(t, true)
		bobID := register(t, w.s.Server, "bob@example.com", userPassword)
		w.upstreamUser(t, "bob@example.com", true)
		p := newPKCE()
		page := w.sB.Open(w.atProvider(t, w.toProvider(t, p), "bob@example.com").String())
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		assert.Contains(t, page.Body, "already exists")
		assert.Empty(t, w.s.auditEvents(t, core.AuditUserLinked), "nothing linked before the proof")

		wrong := signIn(t, w.sB, page, "bob@example.com", "Wrong-Password-1")
		assert.Equal(t, http.StatusUnauthorized, wrong.Status)
		assert.Empty(t, w.s.auditEvents(t, core.AuditUserLinked))

		done := signIn(t, w.sB, page, "bob@example.com", userPassword)
		require.NotNil(t, done.Left, done.Body)
		assert.NotEmpty(t, done.Left.Query().Get("code"))
		assert.Len(t, w.s.auditEvents(t, core.AuditUserLinked), 1)
		toks := tokenRequest(t, w.s.Server, w.app, url.Values{"grant_type": {"authorization_code"}, "code": {done.Left.Query().Get("code")}, "redirect_uri": {callback}, "code_verifier": {p.verifier}})
		_, claims := idClaims(t, w.s.Server, toks.IDToken)
		assert.Equal(t, []any{"pwd"}, claims["amr"], "the proof was a password sign-in")

		// From now on the provider alone signs Bob in.
		w.sB, w.upB = apptest.NewBrowser(t, w.s.Config.IssuerURL), apptest.NewBrowser(t, w.up.Config.IssuerURL)
		p2 := newPKCE()
		done = w.sB.Open(w.atProvider(t, w.toProvider(t, p2), "bob@example.com").String())
		require.NotNil(t, done.Left, done.Body)
		tr := exchange(t, w.s.Server, w.app, done.Left.Query().Get("code"), callback, p2.verifier)
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		assert.Equal(t, bobID, introspect(t, w.s.Server, w.app.ID, w.app.Secret, tr.AccessToken)["sub"])

		// Administrators see the link in the person's shape.
		resp, body := w.s.Do(t, http.MethodGet, "/api/users/"+bobID, w.s.AdminToken(t), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		links := decode[struct {
			IdentityProviders []struct{ ID, Name, Email string } `json:"identity_providers"`
		}](t, body).IdentityProviders
		require.Len(t, links, 1)
		assert.Equal(t, "corp", links[0].ID)
		assert.Equal(t, "Corp", links[0].Name)
		assert.Equal(t, "bob@example.com", links[0].Email)

		// Bob sees the link and may remove it: he has a password.
		lb := login(t, w.s.Server, "bob@example.com", userPassword)
		resp, body = w.s.Do(t, http.MethodGet, "/api/auth/me/identity-providers", lb.AccessToken, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Contains(t, string(body), `"id":"corp"`)
		resp, body = w.s.Do(t, http.MethodDelete, "/api/auth/me/identity-providers/corp", lb.AccessToken, nil)
		assert.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		resp, _ = w.s.Do(t, http.MethodDelete, "/api/auth/me/identity-providers/corp", lb.AccessToken, nil)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
	t.Run("another person's sign-in does not complete the link", func(t *testing.T) {
		t.Parallel()
		w := newUpstreamWorld(t, true)
		register(t, w.s.Server, "bob@example.com", userPassword)
		register(t, w.s.Server, "mallory@example.com", userPassword)
		w.upstreamUser(t, "bob@example.com", true)
		page := w.sB.Open(w.atProvider(t, w.toProvider(t, newPKCE()), "bob@example.com").String())
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		done := signIn(t, w.sB, page, "mallory@example.com", userPassword)
		require.NotNil(t, done.Left, done.Body)
		assert.Empty(t, w.s.auditEvents(t, core.AuditUserLinked))
	})
}

// A person made by an upstream sign-in cannot remove their only way to
// sign in.
func TestUpstreamUnlinkKeepsAWayToSignIn(t *testing.T) {
	t.Parallel()
	w := newUpstreamWorld(t, false)
	w.upstreamUser(t, "cy@example.com", true)
	p := newPKCE()
	done := w.sB.Open(w.atProvider(t, w.toProvider(t, p), "cy@example.com").String())
	require.NotNil(t, done.Left, done.Body)
	tr := exchange(t, w.s.Server, w.app, done.Left.Query().Get("code"), callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	resp, body := w.s.Do(t, http.MethodDelete, "/api/auth/me/identity-providers/corp", tr.AccessToken, nil)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
	assert.Contains(t, string(body), "only way to sign in")
	resp, body = w.s.Do(t, http.MethodGet, "/api/auth/me/identity-providers", tr.AccessToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), `"id":"corp"`)

	// The device flow's page offers the same buttons.
	device := apptest.NewBrowser(t, w.s.Config.IssuerURL).Open(w.s.Config.IssuerURL + "/device")
	require.Equal(t, http.StatusOK, device.Status)
	assert.Equal(t, "/login/corp?return_to=%2Fdevice", button(t, device))
}
