package integration_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// RFC 6749 §3.1 at the authorization endpoint: a parameter sent without a
// value is treated as omitted, a repeated one is invalid_request; required,
// optional and conditionally required parameters (redirect_uri: required
// unless the client has exactly one registered; code_challenge: required of
// public clients). Every response that goes back to the client carries iss
// (RFC 9207 §2), success or error.
func TestAuthorizeParameterRules(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, true, nil, "photos:read", "photos:write")
	single := newWebClient(t, s.Server, false, true, []string{callback}, "photos:read")
	public := newWebClient(t, s.Server, true, true, nil, "photos:read")
	p := newPKCE()
	b := apptest.NewBrowser(t, s.URL)
	page := b.Open(authorizeURL(s.Server, codeParams(c, p, "")))
	signIn(t, b, page, "ada@example.com", userPassword)

	// raw builds a query by hand, so empty and repeated parameters survive.
	raw := func(pairs ...string) string {
		var q []string
		for i := 0; i+1 < len(pairs); i += 2 {
			q = append(q, url.QueryEscape(pairs[i])+"="+url.QueryEscape(pairs[i+1]))
		}
		return s.URL + "/oauth/authorize?" + strings.Join(q, "&")
	}
	good := []string{"response_type", "code", "client_id", c.ID, "redirect_uri", callback, "state", "st",
		"code_challenge", p.challenge, "code_challenge_method", "S256"}
	with := func(extra ...string) []string { return append(append([]string(nil), good...), extra...) }
	without := func(name string, extra ...string) []string {
		var out []string
		for i := 0; i < len(good); i += 2 {
			if good[i] != name {
				out = append(out, good[i], good[i+1])
			}
		}
		return append(out, extra...)
	}

	tests := []struct {
		name string
		give []string
		// wantShown: the error is shown to the person, never redirected.
		wantShown bool
		wantError string // "" for a code
		wantState string
		wantScope string // for a code: the scope it grants
	}{
		{name: "all parameters", give: good, wantState: "st", wantScope: "photos:read photos:write"},
		{name: "empty scope is absent", give: with("scope", ""), wantState: "st", wantScope: "photos:read photos:write"},
		{name: "empty state is absent", give: append(without("state"), "state", ""), wantState: ""},
		{name: "empty client_id next to the real one", give: append([]string{"client_id", ""}, good...), wantState: "st"},
		{name: "unknown parameter sent empty", give: with("prompt", ""), wantState: "st"},
		{name: "empty code_challenge and method for a confidential client", give: []string{"response_type", "code", "client_id", c.ID, "redirect_uri", callback, "state", "st",
			"code_challenge", "", "code_challenge_method", ""}, wantState: "st"},
		{name: "empty redirect_uri with one registered", give: []string{"response_type", "code", "client_id", single.ID, "redirect_uri", "", "state", "st"}, wantState: "st"},

		{name: "client_id missing", give: without("client_id"), wantShown: true, wantError: "invalid_request"},
		{name: "client_id empty", give: append(without("client_id"), "client_id", ""), wantShown: true, wantError: "invalid_request"},
		{name: "client_id repeated", give: with("client_id", c.ID), wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri empty with two registered", give: append(without("redirect_uri"), "redirect_uri", ""), wantShown: true, wantError: "invalid_request"},
		{name: "redirect_uri repeated", give: with("redirect_uri", callback), wantShown: true, wantError: "invalid_request"},

		{name: "response_type missing", give: without("response_type"), wantError: "invalid_request", wantState: "st"},
		{name: "response_type empty", give: append(without("response_type"), "response_type", ""), wantError: "invalid_request", wantState: "st"},
		{name: "response_type repeated", give: with("response_type", "code"), wantError: "invalid_request", wantState: "st"},
		{name: "scope repeated", give: with("scope", "photos:read", "scope", "photos:write"), wantError: "invalid_request", wantState: "st"},
		{name: "state repeated: no state echoed", give: with("state", "other"), wantError: "invalid_request", wantState: ""},
		{name: "code_challenge repeated", give: with("code_challenge", p.challenge), wantError: "invalid_request", wantState: "st"},
		{name: "public client without code_challenge", give: []string{"response_type", "code", "client_id", public.ID, "redirect_uri", callback, "state", "st", "code_challenge", ""},
			wantError: "invalid_request", wantState: "st"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := b.Open(raw(tt.give...))
			if tt.wantShown {
				require.Nil(t, page.Left, "never redirected")
				assert.Equal(t, http.StatusBadRequest, page.Status)
				assert.Contains(t, page.Body, tt.wantError)
				return
			}
			require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
			q := page.Left.Query()
			assert.Equal(t, s.Config.IssuerURL, q.Get("iss"), "RFC 9207 iss")
			assert.Equal(t, tt.wantState, q.Get("state"))
			_, hasState := q["state"]
			assert.Equal(t, tt.wantState != "", hasState, "no empty state parameter")
			assert.Equal(t, tt.wantError, q.Get("error"), q.Get("error_description"))
			if tt.wantError != "" {
				assert.Empty(t, q.Get("code"))
				return
			}
			require.NotEmpty(t, q.Get("code"))
			if tt.wantScope != "" {
				client := c
				tr := exchange(t, s.Server, client, q.Get("code"), callback, p.verifier)
				require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
				assert.Equal(t, tt.wantScope, tr.Scope)
			}
		})
	}

	t.Run("a denied consent carries iss", func(t *testing.T) {
		third := newWebClient(t, s.Server, false, false, nil, "photos:read")
		page := approve(t, b, b.Open(authorizeURL(s.Server, codeParams(third, newPKCE(), ""))), "deny")
		require.NotNil(t, page.Left)
		assert.Equal(t, "access_denied", page.Left.Query().Get("error"))
		assert.Equal(t, s.Config.IssuerURL, page.Left.Query().Get("iss"))
	})
}

// RFC 6749 §2.3, §3.2 and RFC 7009 §2.1 / RFC 7662 §2.1 at the revocation and
// introspection endpoints: token is required, token_type_hint optional;
// empty is absent (zitadel/oidc sends client_secret= next to Basic);
// repeated is invalid_request. Revocation answers 200 with the JSON {}.
func TestRevokeIntrospectParameterRules(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "orders:read")

	type call struct {
		basic bool
		body  string
	}
	post := func(t *testing.T, path string, c call) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(c.body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c.basic {
			req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		}
		resp, err := s.HTTP.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, body
	}
	for _, path := range []string{"/oauth/introspect", "/oauth/revoke"} {
		t.Run(path, func(t *testing.T) {
			tests := []struct {
				name       string
				give       func(token string) call
				wantStatus int
				wantError  string
			}{
				{"basic", func(tok string) call { return call{true, "token=" + tok} }, 200, ""},
				{"basic with empty client_secret and client_id", func(tok string) call {
					return call{true, "token=" + tok + "&client_secret=&client_id="}
				}, 200, ""},
				{"basic with the same client_id", func(tok string) call { return call{true, "token=" + tok + "&client_id=" + id} }, 200, ""},
				{"post", func(tok string) call {
					return call{false, "token=" + tok + "&client_id=" + id + "&client_secret=" + url.QueryEscape(secret)}
				}, 200, ""},
				{"empty token_type_hint", func(tok string) call { return call{true, "token=" + tok + "&token_type_hint="} }, 200, ""},
				{"a wrong token_type_hint is only a hint", func(tok string) call { return call{true, "token=" + tok + "&token_type_hint=refresh_token"} }, 200, ""},
				{"empty token next to the token", func(tok string) call { return call{true, "token=&token=" + tok} }, 200, ""},
				{"token missing", func(string) call { return call{true, ""} }, 400, "invalid_request"},
				{"token empty", func(string) call { return call{true, "token="} }, 400, "invalid_request"},
				{"token repeated", func(tok string) call { return call{true, "token=" + tok + "&token=" + tok} }, 400, "invalid_request"},
				{"token_type_hint repeated", func(tok string) call {
					return call{true, "token=" + tok + "&token_type_hint=access_token&token_type_hint=access_token"}
				}, 400, "invalid_request"},
				{"basic and a client_secret", func(tok string) call { return call{true, "token=" + tok + "&client_secret=x"} }, 400, "invalid_request"},
				{"basic and another client_id", func(tok string) call { return call{true, "token=" + tok + "&client_id=other"} }, 400, "invalid_request"},
				{"client_secret repeated", func(tok string) call {
					return call{false, "token=" + tok + "&client_id=" + id + "&client_secret=" + url.QueryEscape(secret) + "&client_secret=" + url.QueryEscape(secret)}
				}, 400, "invalid_request"},
				{"no client", func(tok string) call { return call{false, "token=" + tok} }, 401, "invalid_client"},
				{"empty client_id only", func(tok string) call { return call{false, "token=" + tok + "&client_id=&client_secret="} }, 401, "invalid_client"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tr := s.ClientCredentials(t, id, secret, "orders:read")
					require.Equal(t, http.StatusOK, tr.Status)
					resp, body := post(t, path, tt.give(tr.AccessToken))
					require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
					assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
					if tt.wantError != "" {
						assert.Equal(t, tt.wantError, decode[errBody](t, body).Error)
						assert.Equal(t, true, introspect(t, s, id, secret, tr.AccessToken)["active"], "a refused request changes nothing")
						return
					}
					if path == "/oauth/revoke" {
						assert.JSONEq(t, `{}`, string(body), "RFC 7009 leaves the body open; client libraries want JSON")
						assert.Equal(t, false, introspect(t, s, id, secret, tr.AccessToken)["active"])
					} else {
						assert.Equal(t, true, decode[map[string]any](t, body)["active"])
					}
				})
			}
		})
	}
	t.Run("revoking an unknown token is 200 {}", func(t *testing.T) {
		resp, body := s.PostForm(t, "/oauth/revoke", id, secret, url.Values{"token": {"not-a-token"}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
		assert.JSONEq(t, `{}`, string(body))
	})
}
