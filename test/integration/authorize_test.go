package integration_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

const (
	callback      = "https://app.example.com/callback"
	otherCallback = "https://app.example.com/other"
)

type webClient struct {
	ID, Secret string
}

// newWebClient registers a client of the authorization_code grant.
func newWebClient(t *testing.T, s *apptest.Server, public, firstParty bool, redirects []string, scopes ...string) webClient {
	t.Helper()
	admin := s.AdminToken(t)
	for _, sc := range scopes {
		if core.IsManagementScope(sc) {
			continue // they exist from the start, and cannot be made
		}
		resp, body := s.Do(t, http.MethodPost, "/api/scopes", admin, map[string]string{"name": sc, "description": "test scope"})
		require.Contains(t, []int{http.StatusCreated, http.StatusConflict}, resp.StatusCode, string(body))
	}
	if redirects == nil {
		redirects = []string{callback, otherCallback}
	}
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, map[string]any{
		"name": "Photo Printer", "grant_types": []string{"authorization_code", "refresh_token"}, "scopes": scopes,
		"redirect_uris": redirects, "public": public, "first_party": firstParty,
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	c := decode[map[string]any](t, body)
	secret, _ := c["client_secret"].(string)
	return webClient{ID: c["client_id"].(string), Secret: secret}
}

// pkce is a verifier with its S256 challenge.
type pkce struct{ verifier, challenge string }

func newPKCE() pkce {
	v := oauth2.GenerateVerifier()
	return pkce{verifier: v, challenge: oauth2.S256ChallengeFromVerifier(v)}
}

func authorizeURL(s *apptest.Server, params map[string]string) string {
	q := url.Values{}
	for k, v := range params {
		q.Set(k, v)
	}
	return s.URL + "/oauth/authorize?" + q.Encode()
}

func codeParams(c webClient, p pkce, scope string) map[string]string {
	m := map[string]string{"client_id": c.ID, "redirect_uri": callback, "response_type": "code", "state": "xyz-state", "scope": scope}
	if p.challenge != "" {
		m["code_challenge"], m["code_challenge_method"] = p.challenge, "S256"
	}
	return m
}

// signIn fills the login form of page.
func signIn(t *testing.T, b *apptest.Browser, page apptest.Page, email, password string) apptest.Page {
	t.Helper()
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Len(t, page.Forms, 1, "one form on the login page")
	f := page.Forms[0]
	require.Subset(t, f.Inputs, []string{"email", "password", "csrf_token"})
	require.NotEmpty(t, f.Fields.Get("csrf_token"))
	return b.Submit(page, f, map[string]string{"email": email, "password": password}, "")
}

// approve presses a button of the consent page.
func approve(t *testing.T, b *apptest.Browser, page apptest.Page, button string) apptest.Page {
	t.Helper()
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Contains(t, page.Body, "Allow access?")
	require.Len(t, page.Forms, 1)
	return b.Submit(page, page.Forms[0], nil, button)
}

// authorize runs the browser half of the flow and returns the code.
func authorize(t *testing.T, s *apptest.Server, b *apptest.Browser, params map[string]string, email, password string) string {
	t.Helper()
	page := b.Open(authorizeURL(s, params))
	if page.Left == nil && strings.Contains(page.Body, `name="password"`) {
		page = signIn(t, b, page, email, password)
	}
	if page.Left == nil {
		page = approve(t, b, page, "approve")
	}
	require.NotNil(t, page.Left, "redirected to the client: %d %s", page.Status, page.Body)
	q := page.Left.Query()
	require.Empty(t, q.Get("error"), q.Get("error_description"))
	assert.Equal(t, params["state"], q.Get("state"))
	require.NotEmpty(t, q.Get("code"))
	return q.Get("code")
}

// exchange redeems a code at the token endpoint.
func exchange(t *testing.T, s *apptest.Server, c webClient, code, redirectURI, verifier string) apptest.TokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if redirectURI != "" {
		form.Set("redirect_uri", redirectURI)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	id, secret := c.ID, c.Secret
	if secret == "" {
		form.Set("client_id", c.ID)
		id = ""
	}
	resp, body := s.PostForm(t, "/oauth/token", id, secret, form)
	tr := decode[apptest.TokenResponse](t, body)
	tr.Status = resp.StatusCode
	return tr
}

func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	userID := register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, false, nil, "photos:read", "photos:write")
	p := newPKCE()
	b := apptest.NewBrowser(t, s.URL)

	page := b.Open(authorizeURL(s.Server, codeParams(c, p, "photos:read")))
	require.Equal(t, http.StatusOK, page.Status)
	assert.Equal(t, "text/html; charset=utf-8", page.Header.Get("Content-Type"))
	assert.Equal(t, "no-store", page.Header.Get("Cache-Control"))
	assert.NotContains(t, page.Header.Get("Content-Security-Policy"), "unsafe-inline")
	assert.Contains(t, page.Body, `<label for="email">`)
	assert.Contains(t, page.Body, `<label for="password">`)
	assert.Contains(t, page.Body, "Photo Printer")
	assert.NotContains(t, page.Body, "<script")
	assert.NotContains(t, page.Body, "style=")

	t.Run("wrong password shows the form again", func(t *testing.T) {
		again := signIn(t, b, page, "ada@example.com", "Wrong-Password-1")
		assert.Equal(t, http.StatusUnauthorized, again.Status)
		assert.Contains(t, again.Body, "The email or password is incorrect.")
		assert.Contains(t, again.Body, `value="ada@example.com"`)
		require.Len(t, again.Forms, 1)
	})

	consent := signIn(t, b, page, "ada@example.com", userPassword)
	require.Nil(t, consent.Left, "a client that is not first-party asks for consent")
	assert.Contains(t, consent.Body, "photos:read")
	assert.Contains(t, consent.Body, "ada@example.com")
	done := approve(t, b, consent, "approve")
	require.NotNil(t, done.Left)
	assert.Equal(t, "https", done.Left.Scheme)
	assert.Equal(t, "app.example.com", done.Left.Host)
	assert.Equal(t, "/callback", done.Left.Path)
	assert.Equal(t, "xyz-state", done.Left.Query().Get("state"))
	code := done.Left.Query().Get("code")

	tr := exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	assert.Equal(t, "photos:read", tr.Scope)
	assert.NotEmpty(t, tr.RefreshToken)
	got := introspect(t, s.Server, c.ID, c.Secret, tr.AccessToken)
	assert.Equal(t, true, got["active"])
	assert.Equal(t, userID, got["sub"])
	assert.Equal(t, c.ID, got["client_id"])

	t.Run("the session skips the login page next time", func(t *testing.T) {
		page := b.Open(authorizeURL(s.Server, codeParams(c, newPKCE(), "")))
		require.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "Allow access?")
	})
	t.Run("deny", func(t *testing.T) {
		page := approve(t, b, b.Open(authorizeURL(s.Server, codeParams(c, newPKCE(), ""))), "deny")
		require.NotNil(t, page.Left)
		assert.Equal(t, "access_denied", page.Left.Query().Get("error"))
		assert.Equal(t, "xyz-state", page.Left.Query().Get("state"))
		assert.Empty(t, page.Left.Query().Get("code"))
	})
	t.Run("a password change ends the session", func(t *testing.T) {
		lb := login(t, s.Server, "ada@example.com", userPassword)
		resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"password": "New-Password-42!", "current_password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		page := b.Open(authorizeURL(s.Server, codeParams(c, newPKCE(), "")))
		assert.Contains(t, page.Body, `name="password"`, "the login page again")
	})
}

func TestAuthorizationCodeFirstPartyAndPublic(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, true, true, nil, "notes:read")
	p := newPKCE()
	b := apptest.NewBrowser(t, s.URL)

	page := signIn(t, b, b.Open(authorizeURL(s.Server, codeParams(c, p, ""))), "ada@example.com", userPassword)
	require.NotNil(t, page.Left, "a first-party client gets the code without a consent page")
	code := page.Left.Query().Get("code")
	tr := exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	assert.Equal(t, "notes:read", tr.Scope, "an absent scope grants the client's scopes")
}

// A user without the admin role never gets the management scopes, whatever
// the client may hold.
func TestAuthorizationCodeKeepsManagementScopesForAdmins(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, true, nil, "notes:read", core.ScopeClientsRead)

	p := newPKCE()
	code := authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, ""), "ada@example.com", userPassword)
	tr := exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status)
	assert.Equal(t, "notes:read", tr.Scope)

	p = newPKCE()
	code = authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, ""), adminEmail, adminPassword)
	tr = exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status)
	assert.Equal(t, "notes:read "+core.ScopeClientsRead, tr.Scope)
}

// RFC 6749 §4.1.2.1: an unknown client or a redirect URI that is missing,
// invalid or not registered is shown to the person and never redirected.
func TestAuthorizeErrorPage(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newWebClient(t, s.Server, false, false, nil)
	single := newWebClient(t, s.Server, false, false, []string{callback})
	base := map[string]string{"client_id": c.ID, "redirect_uri": callback, "response_type": "code", "state": "s"}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range base {
			m[a] = b
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		giveURL  string
		wantCode string
	}{
		{"no client_id", authorizeURL(s.Server, with("client_id", "")), "invalid_request"},
		{"unknown client_id", authorizeURL(s.Server, with("client_id", "nobody")), "not registered"},
		{"unregistered redirect_uri", authorizeURL(s.Server, with("redirect_uri", "https://evil.example.com/callback")), "invalid_request"},
		{"redirect_uri differing in path", authorizeURL(s.Server, with("redirect_uri", callback+"/x")), "invalid_request"},
		{"redirect_uri differing in case", authorizeURL(s.Server, with("redirect_uri", "https://APP.example.com/callback")), "invalid_request"},
		{"redirect_uri with extra query", authorizeURL(s.Server, with("redirect_uri", callback+"?a=1")), "invalid_request"},
		{"no redirect_uri with two registered", authorizeURL(s.Server, with("redirect_uri", "")), "invalid_request"},
		{"client_id twice", authorizeURL(s.Server, base) + "&client_id=" + c.ID, "invalid_request"},
		{"redirect_uri twice", authorizeURL(s.Server, base) + "&redirect_uri=" + url.QueryEscape(otherCallback), "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := apptest.NewBrowser(t, s.URL).Open(tt.giveURL)
			require.Nil(t, page.Left, "never a redirect")
			assert.Equal(t, http.StatusBadRequest, page.Status)
			assert.Equal(t, "text/html; charset=utf-8", page.Header.Get("Content-Type"))
			assert.Contains(t, page.Body, tt.wantCode)
			assert.Empty(t, page.Forms)
		})
	}

	t.Run("the one registered redirect_uri is used when it is omitted", func(t *testing.T) {
		page := apptest.NewBrowser(t, s.URL).Open(authorizeURL(s.Server, map[string]string{"client_id": single.ID, "response_type": "token", "state": "s"}))
		require.NotNil(t, page.Left)
		assert.Equal(t, callback, strings.Split(page.Left.String(), "?")[0])
	})
}

// RFC 6749 §4.1.2.1: once client and redirect URI are known good, errors go
// back to the client with error and state.
func TestAuthorizeErrorRedirect(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	confidential := newWebClient(t, s.Server, false, false, nil, "photos:read")
	public := newWebClient(t, s.Server, true, false, nil, "photos:read")
	resp, body := s.Do(t, http.MethodPost, "/api/clients", s.AdminToken(t), map[string]any{
		"name": "refresh only", "grant_types": []string{"refresh_token"}, "redirect_uris": []string{callback},
	})
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	noCode := decode[map[string]any](t, body)["client_id"].(string)
	p := newPKCE()

	params := func(clientID string, change map[string]string) map[string]string {
		m := map[string]string{"client_id": clientID, "redirect_uri": callback, "response_type": "code", "state": "st-1",
			"code_challenge": p.challenge, "code_challenge_method": "S256"}
		for k, v := range change {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	tests := []struct {
		name      string
		giveURL   string
		wantError string
	}{
		{"no response_type", authorizeURL(s.Server, params(confidential.ID, map[string]string{"response_type": ""})), "invalid_request"},
		{"response_type token", authorizeURL(s.Server, params(confidential.ID, map[string]string{"response_type": "token"})), "unsupported_response_type"},
		{"client without the grant", authorizeURL(s.Server, params(noCode, nil)), "unauthorized_client"},
		{"unknown scope", authorizeURL(s.Server, params(confidential.ID, map[string]string{"scope": "photos:delete"})), "invalid_scope"},
		{"malformed scope", authorizeURL(s.Server, params(confidential.ID, map[string]string{"scope": `a"b`})), "invalid_scope"},
		{"public client without PKCE", authorizeURL(s.Server, params(public.ID, map[string]string{"code_challenge": "", "code_challenge_method": ""})), "invalid_request"},
		{"plain PKCE refused", authorizeURL(s.Server, params(confidential.ID, map[string]string{"code_challenge": p.verifier, "code_challenge_method": "plain"})), "invalid_request"},
		{"challenge without method means plain", authorizeURL(s.Server, params(public.ID, map[string]string{"code_challenge_method": ""})), "invalid_request"},
		{"unknown PKCE method", authorizeURL(s.Server, params(confidential.ID, map[string]string{"code_challenge_method": "S512"})), "invalid_request"},
		{"malformed challenge", authorizeURL(s.Server, params(confidential.ID, map[string]string{"code_challenge": "short"})), "invalid_request"},
		{"method without challenge", authorizeURL(s.Server, params(confidential.ID, map[string]string{"code_challenge": ""})), "invalid_request"},
		{"repeated parameter", authorizeURL(s.Server, params(confidential.ID, nil)) + "&response_type=code", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := apptest.NewBrowser(t, s.URL).Open(tt.giveURL)
			require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
			assert.Equal(t, http.StatusFound, page.Status)
			q := page.Left.Query()
			assert.Equal(t, tt.wantError, q.Get("error"))
			assert.NotEmpty(t, q.Get("error_description"))
			assert.Equal(t, "st-1", q.Get("state"))
			assert.Empty(t, q.Get("code"))
			assert.Equal(t, callback, strings.Split(page.Left.String(), "?")[0])
		})
	}
}

// The login and consent forms carry a CSRF token bound to a cookie; a form
// posted without it, or from a browser without the cookie, is refused.
func TestAuthorizeCSRF(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, false, nil)
	u := authorizeURL(s.Server, codeParams(c, newPKCE(), ""))
	b := apptest.NewBrowser(t, s.URL)
	page := b.Open(u)
	require.Len(t, page.Forms, 1)

	tests := []struct {
		name string
		give map[string]string
	}{
		{"no token", map[string]string{"csrf_token": ""}},
		{"forged token", map[string]string{"csrf_token": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fill := map[string]string{"email": "ada@example.com", "password": userPassword}
			for k, v := range tt.give {
				fill[k] = v
			}
			got := b.Submit(page, page.Forms[0], fill, "")
			assert.Equal(t, http.StatusForbidden, got.Status)
			assert.Nil(t, got.Left)
		})
	}
	t.Run("a token from another browser", func(t *testing.T) {
		other := apptest.NewBrowser(t, s.URL)
		got := other.Submit(page, page.Forms[0], map[string]string{"email": "ada@example.com", "password": userPassword}, "")
		assert.Equal(t, http.StatusForbidden, got.Status)
	})
	t.Run("a consent post without a session asks to sign in", func(t *testing.T) {
		other := apptest.NewBrowser(t, s.URL)
		fresh := other.Open(u)
		require.Len(t, fresh.Forms, 1)
		got := other.Submit(fresh, fresh.Forms[0], map[string]string{"consent": "approve"}, "")
		assert.Nil(t, got.Left)
		assert.Contains(t, got.Body, `name="password"`)
	})
}

// RFC 6749 §5.2 and RFC 7636 §4.6 at the token endpoint.
func TestAuthorizationCodeTokenErrors(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, true, nil, "photos:read")
	other := newWebClient(t, s.Server, false, true, nil, "photos:read")
	public := newWebClient(t, s.Server, true, true, nil, "photos:read")
	b := apptest.NewBrowser(t, s.URL)

	newCode := func(client webClient, p pkce) string {
		return authorize(t, s.Server, b, codeParams(client, p, ""), "ada@example.com", userPassword)
	}
	p := newPKCE()
	code := newCode(c, p)
	tests := []struct {
		name      string
		client    webClient
		redirect  string
		verifier  string
		wantError string
	}{
		{"wrong verifier", c, callback, newPKCE().verifier, "invalid_grant"},
		{"no verifier", c, callback, "", "invalid_grant"},
		{"malformed verifier", c, callback, "short", "invalid_request"},
		{"redirect_uri mismatch", c, otherCallback, p.verifier, "invalid_grant"},
		{"redirect_uri missing", c, "", p.verifier, "invalid_grant"},
		{"code of another client", other, callback, p.verifier, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := exchange(t, s.Server, tt.client, code, tt.redirect, tt.verifier)
			assert.Equal(t, http.StatusBadRequest, tr.Status)
			assert.Equal(t, tt.wantError, tr.Error, tr.ErrorDescription)
		})
	}
	t.Run("unknown code", func(t *testing.T) {
		tr := exchange(t, s.Server, c, "not-a-code", callback, p.verifier)
		assert.Equal(t, "invalid_grant", tr.Error)
	})
	t.Run("no code", func(t *testing.T) {
		tr := exchange(t, s.Server, c, "", callback, p.verifier)
		assert.Equal(t, "invalid_request", tr.Error)
	})
	t.Run("wrong client secret", func(t *testing.T) {
		tr := exchange(t, s.Server, webClient{ID: c.ID, Secret: "wrong-secret"}, code, callback, p.verifier)
		assert.Equal(t, http.StatusUnauthorized, tr.Status)
		assert.Equal(t, "invalid_client", tr.Error)
	})

	// None of the failures spent the code; now it is redeemed, and a second
	// redemption fails and revokes what the first issued.
	first := exchange(t, s.Server, c, code, callback, p.verifier)
	require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
	next := refresh2(t, s.Server, c, first.RefreshToken)
	require.Equal(t, http.StatusOK, next.Status, next.ErrorDescription)
	t.Run("reused code", func(t *testing.T) {
		again := exchange(t, s.Server, c, code, callback, p.verifier)
		assert.Equal(t, http.StatusBadRequest, again.Status)
		assert.Equal(t, "invalid_grant", again.Error)
		for _, token := range []string{first.AccessToken, next.AccessToken} {
			assert.Equal(t, false, introspect(t, s.Server, c.ID, c.Secret, token)["active"], "tokens issued from the code are revoked")
		}
		assert.Equal(t, "invalid_grant", refresh2(t, s.Server, c, next.RefreshToken).Error)
	})

	t.Run("expired code", func(t *testing.T) {
		p := newPKCE()
		code := newCode(c, p)
		s.Clock.Advance(10*time.Minute + time.Second)
		tr := exchange(t, s.Server, c, code, callback, p.verifier)
		assert.Equal(t, "invalid_grant", tr.Error)
		assert.Contains(t, tr.ErrorDescription, "expired")
	})

	t.Run("verifier given for a code without a challenge", func(t *testing.T) {
		code := newCode(c, pkce{})
		tr := exchange(t, s.Server, c, code, callback, newPKCE().verifier)
		assert.Equal(t, "invalid_grant", tr.Error)
		ok := exchange(t, s.Server, c, code, callback, "")
		assert.Equal(t, http.StatusOK, ok.Status, "PKCE is optional for a confidential client")
	})

	t.Run("public client", func(t *testing.T) {
		p := newPKCE()
		code := newCode(public, p)
		tr := exchange(t, s.Server, public, code, callback, "")
		assert.Equal(t, "invalid_grant", tr.Error, "the verifier is required")
		tr = exchange(t, s.Server, public, code, callback, p.verifier)
		assert.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	})
}

// refresh2 refreshes with a confidential client.
func refresh2(t *testing.T, s *apptest.Server, c webClient, token string) apptest.TokenResponse {
	t.Helper()
	resp, body := s.PostForm(t, "/oauth/token", c.ID, c.Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	tr := decode[apptest.TokenResponse](t, body)
	tr.Status = resp.StatusCode
	return tr
}

func TestMetadataListsAuthorizationCode(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	m := decode[map[string]any](t, mustGet(t, s.Server, "/.well-known/oauth-authorization-server", ""))
	assert.Equal(t, s.Config.IssuerURL+"/oauth/authorize", m["authorization_endpoint"])
	assert.Equal(t, []any{"S256"}, m["code_challenge_methods_supported"])
	assert.Equal(t, installedGrantTypes, m["grant_types_supported"])

	resp, body := s.Do(t, http.MethodGet, "/assets/identityd.css", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/css")
	assert.NotEmpty(t, body)
}
