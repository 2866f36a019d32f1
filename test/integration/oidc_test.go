package integration_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

const logoutTarget = "https://app.example.com/signed-out"

// newOIDCClient registers a client for the code flow with the OpenID
// scopes, a post-logout redirect URI and, when alg is not empty, that ID
// token algorithm.
func newOIDCClient(t *testing.T, s *apptest.Server, firstParty bool, alg string) webClient {
	t.Helper()
	body := map[string]any{
		"name": "Relying Party", "grant_types": []string{"authorization_code", "refresh_token"},
		"scopes": []string{"openid", "profile", "email"}, "redirect_uris": []string{callback},
		"post_logout_redirect_uris": []string{logoutTarget}, "first_party": firstParty,
	}
	if alg != "" {
		body["id_token_signed_response_alg"] = alg
	}
	resp, raw := s.Do(t, http.MethodPost, "/api/clients", s.AdminToken(t), body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	c := decode[map[string]any](t, raw)
	return webClient{ID: c["client_id"].(string), Secret: c["client_secret"].(string)}
}

type oidcTokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Error        string `json:"error"`
}

func tokenRequest(t *testing.T, s *apptest.Server, c webClient, form url.Values) oidcTokens {
	t.Helper()
	resp, body := s.PostForm(t, "/oauth/token", c.ID, c.Secret, form)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return decode[oidcTokens](t, body)
}

// idClaims checks the signature of an ID token against the JWKS and
// returns its header and claims.
func idClaims(t *testing.T, s *apptest.Server, raw string) (map[string]string, map[string]any) {
	t.Helper()
	set, _ := fetchJWKS(t, s)
	require.True(t, verifyWithJWKS(t, set, raw), "the JWKS verifies the ID token")
	parts := strings.Split(raw, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return tokenHeader(t, raw), claims
}

func atHash(alg, token string) string {
	var sum []byte
	if alg == "EdDSA" {
		s := sha512.Sum512([]byte(token))
		sum = s[:32]
	} else {
		s := sha256.Sum256([]byte(token))
		sum = s[:16]
	}
	return base64.RawURLEncoding.EncodeToString(sum)
}

func TestOpenIDConnectCodeFlow(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	userID := register(t, s.Server, "grace@example.com", userPassword)
	c := newOIDCClient(t, s.Server, false, "")
	b := apptest.NewBrowser(t, s.URL)
	params := codeParams(c, pkce{}, "openid profile email")
	params["nonce"] = "n-0S6_WzA2Mj"
	before := time.Now().Add(-time.Second)
	code := authorize(t, s.Server, b, params, "grace@example.com", userPassword)
	tr := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}})
	require.NotEmpty(t, tr.IDToken, "scope openid gives an ID token")

	h, claims := idClaims(t, s.Server, tr.IDToken)
	assert.Equal(t, "RS256", h["alg"], "RS256 by default")
	assert.Equal(t, "JWT", h["typ"])
	assert.NotEmpty(t, h["kid"])
	assert.Equal(t, s.Config.IssuerURL, claims["iss"])
	assert.Equal(t, userID, claims["sub"])
	assert.Equal(t, c.ID, claims["aud"])
	assert.Equal(t, "n-0S6_WzA2Mj", claims["nonce"])
	assert.Equal(t, atHash("RS256", tr.AccessToken), claims["at_hash"])
	assert.Equal(t, []any{"pwd"}, claims["amr"])
	authTime := int64(claims["auth_time"].(float64))
	assert.GreaterOrEqual(t, authTime, before.Unix())
	assert.InDelta(t, s.Config.Tokens.AccessTTL.Seconds(), claims["exp"].(float64)-claims["iat"].(float64), 1, "lives as long as an access token")
	assert.Equal(t, "grace@example.com", claims["email"])
	assert.Equal(t, false, claims["email_verified"], "the address is not verified yet")
	assert.Equal(t, "Ada Lovelace", claims["name"])
	assert.NotContains(t, claims, "azp", "a single audience needs no azp")

	t.Run("userinfo agrees with the ID token", func(t *testing.T) {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			resp, body := s.Do(t, method, "/oauth/userinfo", tr.AccessToken, nil)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			info := decode[map[string]any](t, body)
			assert.Equal(t, claims["sub"], info["sub"])
			assert.Equal(t, claims["email"], info["email"])
			assert.Equal(t, claims["name"], info["name"])
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		}
		resp, _ := s.Do(t, http.MethodGet, "/oauth/userinfo", "", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
		resp, _ = s.Do(t, http.MethodGet, "/oauth/userinfo", tr.AccessToken+"x", nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`)
		resp, _ = s.Do(t, http.MethodGet, "/oauth/userinfo", tr.IDToken, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an ID token is not an access token")
		resp, _ = s.Do(t, http.MethodGet, "/oauth/userinfo", s.AdminToken(t), nil)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a token without openid")
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)
	})

	t.Run("userinfo takes the access token in a form body", func(t *testing.T) {
		form := func(t *testing.T, method, header string, body url.Values, query string) (*http.Response, map[string]any) {
			t.Helper()
			req, err := http.NewRequest(method, s.URL+"/oauth/userinfo"+query, strings.NewReader(body.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if header != "" {
				req.Header.Set("Authorization", "Bearer "+header)
			}
			resp, err := s.HTTP.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			var out map[string]any
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
			return resp, out
		}
		// RFC 6750 §2.2.
		resp, info := form(t, http.MethodPost, "", url.Values{"access_token": {tr.AccessToken}}, "")
		require.Equal(t, http.StatusOK, resp.StatusCode, info)
		assert.Equal(t, claims["sub"], info["sub"])
		// The header with an unrelated form body still works.
		resp, info = form(t, http.MethodPost, tr.AccessToken, url.Values{"other": {"x"}}, "")
		assert.Equal(t, http.StatusOK, resp.StatusCode, info)

		resp, info = form(t, http.MethodPost, tr.AccessToken, url.Values{"access_token": {tr.AccessToken}}, "")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "both ways at once (RFC 6750 §2)")
		assert.Equal(t, "invalid_request", info["error"])
		assert.Contains(t, resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`)
		resp, info = form(t, http.MethodPost, "", url.Values{"access_token": {tr.AccessToken, tr.AccessToken}}, "")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "invalid_request", info["error"])
		resp, info = form(t, http.MethodPost, "", url.Values{"access_token": {tr.AccessToken + "x"}}, "")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.Equal(t, "invalid_token", info["error"])

		// Never from a GET body or the query string (§2.3 is not offered).
		resp, _ = form(t, http.MethodGet, "", url.Values{"access_token": {tr.AccessToken}}, "")
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a GET body is not read")
		resp, _ = form(t, http.MethodPost, "", nil, "?access_token="+url.QueryEscape(tr.AccessToken))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the query string is not read")
		resp, _ = form(t, http.MethodGet, "", nil, "?access_token="+url.QueryEscape(tr.AccessToken))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the query string is not read")
	})

	t.Run("refresh returns a new ID token for the same sign-in", func(t *testing.T) {
		next := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
		require.NotEmpty(t, next.IDToken)
		_, again := idClaims(t, s.Server, next.IDToken)
		assert.Equal(t, claims["sub"], again["sub"])
		assert.Equal(t, claims["aud"], again["aud"])
		assert.Equal(t, claims["auth_time"], again["auth_time"], "auth_time is the original sign-in (Core §12.2)")
		assert.NotContains(t, again, "nonce")
		assert.Equal(t, atHash("RS256", next.AccessToken), again["at_hash"])
		narrowed := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next.RefreshToken}, "scope": {"profile"}})
		assert.Empty(t, narrowed.IDToken, "without openid no ID token")
	})

	t.Run("prompt=none with a session and the consent remembered", func(t *testing.T) {
		p := codeParams(c, pkce{}, "openid")
		p["prompt"] = "none"
		page := b.Open(authorizeURL(s.Server, p))
		require.NotNil(t, page.Left, "never a page")
		assert.Empty(t, page.Left.Query().Get("error"), page.Left.Query().Get("error_description"))
		assert.NotEmpty(t, page.Left.Query().Get("code"))
		assert.Equal(t, "xyz-state", page.Left.Query().Get("state"))
	})

	t.Run("max_age=0 asks to sign in again and moves auth_time", func(t *testing.T) {
		time.Sleep(1100 * time.Millisecond)
		p := codeParams(c, pkce{}, "openid")
		p["max_age"] = "0"
		page := b.Open(authorizeURL(s.Server, p))
		require.Nil(t, page.Left)
		require.Contains(t, page.Body, `name="password"`, "the sign-in page although a session exists")
		assert.Contains(t, page.Body, "Not you? Sign out")
		page = signIn(t, b, page, "grace@example.com", userPassword)
		require.NotNil(t, page.Left, "the consent is remembered: no page")
		fresh := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {page.Left.Query().Get("code")}, "redirect_uri": {callback}})
		_, fc := idClaims(t, s.Server, fresh.IDToken)
		assert.Greater(t, fc["auth_time"].(float64), claims["auth_time"].(float64))
	})

	t.Run("id_token_hint names the person", func(t *testing.T) {
		p := codeParams(c, pkce{}, "openid")
		p["id_token_hint"] = tr.IDToken
		page := b.Open(authorizeURL(s.Server, p))
		require.NotNil(t, page.Left, "the hinted person is signed in, and consented before: %s", page.Body)
		assert.NotEmpty(t, page.Left.Query().Get("code"))
		p["id_token_hint"] = tr.IDToken + "x"
		page = b.Open(authorizeURL(s.Server, p))
		require.NotNil(t, page.Left)
		assert.Equal(t, "invalid_request", page.Left.Query().Get("error"))
	})

	t.Run("logout ends the session and returns to a registered URI", func(t *testing.T) {
		// The ID token of the browser's current session (max_age=0 above
		// started a new one).
		p := codeParams(c, pkce{}, "openid")
		p["state"] = "current"
		current := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {authorize(t, s.Server, b, p, "", "")}, "redirect_uri": {callback}})
		q := url.Values{"id_token_hint": {current.IDToken}, "post_logout_redirect_uri": {logoutTarget}, "state": {"bye"}}
		page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		assert.Equal(t, logoutTarget+"?state=bye", page.Left.String())
		page = b.Open(authorizeURL(s.Server, codeParams(c, pkce{}, "openid")))
		assert.Contains(t, page.Body, `name="password"`, "signed out")
	})
}

func TestOpenIDPromptAndRequestRules(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newOIDCClient(t, s.Server, true, "")
	b := apptest.NewBrowser(t, s.URL)
	tests := []struct {
		name      string
		params    map[string]string
		wantError string
	}{
		{"prompt=none without a session", map[string]string{"prompt": "none"}, "login_required"},
		{"request objects", map[string]string{"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"},
		{"request_uri", map[string]string{"request_uri": "https://rp.example.com/r"}, "request_uri_not_supported"},
		{"unknown prompt", map[string]string{"prompt": "maybe"}, "invalid_request"},
		{"prompt=none with login", map[string]string{"prompt": "none login"}, "invalid_request"},
		{"negative max_age", map[string]string{"max_age": "-1"}, "invalid_request"},
		{"response_mode fragment", map[string]string{"response_mode": "fragment"}, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := codeParams(c, pkce{}, "openid")
			for k, v := range tt.params {
				p[k] = v
			}
			page := b.Open(authorizeURL(s.Server, p))
			require.NotNil(t, page.Left, "a redirect, never a page: %s", page.Body)
			assert.Equal(t, tt.wantError, page.Left.Query().Get("error"))
			assert.Empty(t, page.Left.Query().Get("code"))
		})
	}
	t.Run("ui_locales, claims_locales and login_hint are accepted", func(t *testing.T) {
		p := codeParams(c, pkce{}, "openid")
		p["ui_locales"], p["claims_locales"], p["login_hint"] = "fr-CA fr", "de", "someone@example.com"
		page := b.Open(authorizeURL(s.Server, p))
		require.Nil(t, page.Left)
		assert.Contains(t, page.Body, `value="someone@example.com"`, "login_hint prefills the form")
	})
}

func TestOpenIDDiscovery(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	resp, oidcBody := s.Do(t, http.MethodGet, "/.well-known/openid-configuration", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, oauthBody := s.Do(t, http.MethodGet, "/.well-known/oauth-authorization-server", "", nil)
	assert.JSONEq(t, string(oauthBody), string(oidcBody), "the two documents agree member for member")
	d := decode[map[string]any](t, oidcBody)
	iss := s.Config.IssuerURL
	assert.Equal(t, iss, d["issuer"])
	assert.Equal(t, iss+"/oauth/userinfo", d["userinfo_endpoint"])
	assert.Equal(t, iss+"/oauth/logout", d["end_session_endpoint"])
	assert.Equal(t, iss+"/.well-known/jwks.json", d["jwks_uri"])
	assert.Equal(t, []any{"public"}, d["subject_types_supported"])
	assert.Contains(t, d["id_token_signing_alg_values_supported"], "RS256")
	assert.Equal(t, false, d["request_uri_parameter_supported"])
	assert.Equal(t, false, d["request_parameter_supported"])
	assert.Equal(t, []any{"code"}, d["response_types_supported"])
	for _, claim := range []string{"sub", "auth_time", "email_verified", "name"} {
		assert.Contains(t, d["claims_supported"], claim)
	}
	for _, path := range []string{"/oauth/userinfo", "/oauth/logout"} {
		resp, _ := s.Do(t, http.MethodGet, path, "", nil)
		assert.NotEqual(t, http.StatusNotFound, resp.StatusCode, "%s exists", path)
	}
}

func TestOpenIDClientRegistration(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	admin := s.AdminToken(t)
	base := func() map[string]any {
		return map[string]any{"name": "RP", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{callback}, "scopes": []string{"openid"}}
	}
	for name, tt := range map[string]struct {
		field string
		value any
	}{
		"unknown alg":              {"id_token_signed_response_alg", "HS256"},
		"alg none":                 {"id_token_signed_response_alg", "none"},
		"relative logout URI":      {"post_logout_redirect_uris", []string{"/signed-out"}},
		"logout URI with fragment": {"post_logout_redirect_uris", []string{"https://rp.example.com/out#x"}},
	} {
		t.Run(name, func(t *testing.T) {
			in := base()
			in[tt.field] = tt.value
			resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, in)
			assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
			assert.Contains(t, decode[map[string]any](t, body)["fields"], tt.field)
		})
	}
	in := base()
	in["id_token_signed_response_alg"], in["post_logout_redirect_uris"] = "EdDSA", []string{logoutTarget}
	resp, body := s.Do(t, http.MethodPost, "/api/clients", admin, in)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	got := decode[map[string]any](t, body)
	assert.Equal(t, "EdDSA", got["id_token_signed_response_alg"])
	assert.Equal(t, []any{logoutTarget}, got["post_logout_redirect_uris"])
	in = base()
	resp, body = s.Do(t, http.MethodPost, "/api/clients", admin, in)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	assert.Equal(t, "RS256", decode[map[string]any](t, body)["id_token_signed_response_alg"], "RS256 by default")
}

func TestOpenIDLogout(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "hopper@example.com", userPassword)
	c := newOIDCClient(t, s.Server, true, "ES256")
	b := apptest.NewBrowser(t, s.URL)
	code := authorize(t, s.Server, b, codeParams(c, pkce{}, "openid"), "hopper@example.com", userPassword)
	tr := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}})
	h, _ := idClaims(t, s.Server, tr.IDToken)
	assert.Equal(t, "ES256", h["alg"], "the client's registered algorithm")
	signedIn := func() bool {
		page := b.Open(authorizeURL(s.Server, codeParams(c, pkce{}, "openid")))
		return page.Left != nil && page.Left.Query().Get("code") != ""
	}
	require.True(t, signedIn())

	t.Run("an unregistered redirect is refused, never followed", func(t *testing.T) {
		for _, target := range []string{"https://evil.example.com/", logoutTarget + "/x", logoutTarget + "?a=b", callback} {
			q := url.Values{"id_token_hint": {tr.IDToken}, "post_logout_redirect_uri": {target}}
			page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
			assert.Nil(t, page.Left, target)
			assert.Equal(t, http.StatusBadRequest, page.Status, target)
		}
		q := url.Values{"post_logout_redirect_uri": {logoutTarget}}
		page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
		assert.Equal(t, http.StatusBadRequest, page.Status, "a redirect needs the client")
		q = url.Values{"id_token_hint": {tr.IDToken}, "client_id": {"someone-else"}}
		page = b.Open(s.URL + "/oauth/logout?" + q.Encode())
		assert.Equal(t, http.StatusBadRequest, page.Status, "client_id must be the hint's audience")
		assert.True(t, signedIn(), "nothing ended")
	})

	t.Run("without a hint it asks first", func(t *testing.T) {
		q := url.Values{"client_id": {c.ID}, "post_logout_redirect_uri": {logoutTarget}, "state": {"s1"}}
		page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
		require.Nil(t, page.Left)
		assert.Contains(t, page.Body, "Sign out?")
		assert.True(t, signedIn(), "a GET alone ends nothing")
		require.Len(t, page.Forms, 1)
		done := b.Submit(page, page.Forms[0], nil, "")
		require.NotNil(t, done.Left)
		assert.Equal(t, logoutTarget+"?state=s1", done.Left.String())
		assert.False(t, signedIn())
	})

	// currentIDToken signs in again and returns the ID token of that
	// session: only it signs out without asking.
	currentIDToken := func(t *testing.T) string {
		code := authorize(t, s.Server, b, codeParams(c, pkce{}, "openid"), "hopper@example.com", userPassword)
		return tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}).IDToken
	}

	t.Run("without a redirect a page says so", func(t *testing.T) {
		idToken := currentIDToken(t)
		page := b.Open(s.URL + "/oauth/logout?" + url.Values{"id_token_hint": {idToken}}.Encode())
		require.Nil(t, page.Left)
		assert.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "You are signed out")
		assert.False(t, signedIn())
	})

	t.Run("a copied session cookie dies with the sign-out", func(t *testing.T) {
		idToken := currentIDToken(t)
		copyB := apptest.NewBrowser(t, s.URL)
		u, _ := url.Parse(s.URL)
		copyB.Client.Jar.SetCookies(u, b.Client.Jar.Cookies(u))
		b.Open(s.URL + "/oauth/logout?" + url.Values{"id_token_hint": {idToken}}.Encode())
		page := copyB.Open(authorizeURL(s.Server, codeParams(c, pkce{}, "openid")))
		assert.Nil(t, page.Left)
		assert.Contains(t, page.Body, `name="password"`)
	})

	t.Run("Not you? signs out and returns to the request", func(t *testing.T) {
		authorize(t, s.Server, b, codeParams(c, pkce{}, "openid"), "hopper@example.com", userPassword)
		p := codeParams(c, pkce{}, "openid")
		p["prompt"] = "login"
		page := b.Open(authorizeURL(s.Server, p))
		require.Contains(t, page.Body, "Not you? Sign out")
		confirm := b.Open(s.URL + "/oauth/logout?" + url.Values{"return_to": {strings.TrimPrefix(authorizeURL(s.Server, p), s.URL)}}.Encode())
		require.Len(t, confirm.Forms, 1)
		back := b.Submit(confirm, confirm.Forms[0], nil, "")
		assert.Contains(t, back.Body, `name="password"`)
		assert.NotContains(t, back.Body, "Not you?", "nobody is signed in any more")
		assert.False(t, signedIn())
		bad := b.Open(s.URL + "/oauth/logout?" + url.Values{"return_to": {"https://evil.example.com/"}}.Encode())
		assert.Equal(t, http.StatusBadRequest, bad.Status)
	})

	t.Run("POST /api/auth/logout ends the browser session too", func(t *testing.T) {
		authorize(t, s.Server, b, codeParams(c, pkce{}, "openid"), "hopper@example.com", userPassword)
		require.True(t, signedIn())
		lb := login(t, s.Server, "hopper@example.com", userPassword)
		resp, _ := s.Do(t, http.MethodPost, "/api/auth/logout", lb.AccessToken, nil)
		require.Equal(t, http.StatusNoContent, resp.StatusCode)
		assert.False(t, signedIn())
	})
}
