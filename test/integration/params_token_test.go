package integration_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// postRaw posts body, form-encoded as given (so empty and repeated
// parameters survive), with Basic credentials when id is not empty.
func postRaw(t *testing.T, s *apptest.Server, path, id, secret, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := s.HTTP.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// tokenCase is one row of a token-endpoint table: the body (with the
// client's credentials in it when basic is false), and the answer.
type tokenCase struct {
	name       string
	basic      bool
	body       string
	wantStatus int
	wantError  string
	wantScope  string
}

func runTokenCase(t *testing.T, s *apptest.Server, id, secret string, tt tokenCase) apptest.TokenResponse {
	t.Helper()
	var resp *http.Response
	var body []byte
	if tt.basic {
		resp, body = postRaw(t, s, "/oauth/token", id, secret, tt.body)
	} else {
		resp, body = postRaw(t, s, "/oauth/token", "", "", tt.body)
	}
	tr := decode[apptest.TokenResponse](t, body)
	tr.Status = resp.StatusCode
	assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
	assert.Equal(t, tt.wantError, tr.Error, tr.ErrorDescription)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	if tt.wantStatus == http.StatusOK {
		assert.NotEmpty(t, tr.AccessToken)
		assert.Equal(t, tt.wantScope, tr.Scope)
	}
	return tr
}

// RFC 6749 §3.2 and §4.4.2 at the token endpoint, client_credentials:
// grant_type required, scope optional, client authentication by Basic or
// the body; empty is absent, repeated is invalid_request.
func TestTokenParameterRulesClientCredentials(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	id, secret := newServiceClient(t, s, "orders:read", "orders:write")
	post := "client_id=" + url.QueryEscape(id) + "&client_secret=" + url.QueryEscape(secret)
	all := "orders:read orders:write"
	tests := []tokenCase{
		{"basic", true, "grant_type=client_credentials", 200, "", all},
		// The example: zitadel/oidc sends client_secret= next to Basic.
		{"basic with an empty client_secret", true, "grant_type=client_credentials&client_secret=", 200, "", all},
		{"basic with an empty client_id", true, "grant_type=client_credentials&client_id=", 200, "", all},
		{"basic with empty client_id and client_secret", true, "client_id=&grant_type=client_credentials&client_secret=", 200, "", all},
		{"basic with its own client_id", true, "grant_type=client_credentials&client_id=" + url.QueryEscape(id), 200, "", all},
		{"post", false, "grant_type=client_credentials&" + post, 200, "", all},
		{"empty scope is absent", true, "grant_type=client_credentials&scope=", 200, "", all},
		{"scope", true, "grant_type=client_credentials&scope=orders:read", 200, "", "orders:read"},
		{"empty scope next to a scope", true, "grant_type=client_credentials&scope=&scope=orders:read", 200, "", "orders:read"},
		{"unknown parameter, empty", true, "grant_type=client_credentials&resource=", 200, "", all},

		{"grant_type missing", true, "scope=orders:read", 400, "invalid_request", ""},
		{"grant_type empty", true, "grant_type=", 400, "invalid_request", ""},
		{"grant_type repeated", true, "grant_type=client_credentials&grant_type=client_credentials", 400, "invalid_request", ""},
		{"scope repeated", true, "grant_type=client_credentials&scope=orders:read&scope=orders:write", 400, "invalid_request", ""},
		{"client_secret repeated", false, "grant_type=client_credentials&" + post + "&client_secret=" + url.QueryEscape(secret), 400, "invalid_request", ""},
		{"client_id repeated", false, "grant_type=client_credentials&" + post + "&client_id=" + url.QueryEscape(id), 400, "invalid_request", ""},
		{"basic and a client_secret: two methods", true, "grant_type=client_credentials&client_secret=x", 400, "invalid_request", ""},
		{"basic and another client_id", true, "grant_type=client_credentials&client_id=someone-else", 400, "invalid_request", ""},
		{"no client", false, "grant_type=client_credentials", 401, "invalid_client", ""},
		{"empty client_id and client_secret only", false, "grant_type=client_credentials&client_id=&client_secret=", 401, "invalid_client", ""},
		{"post with an empty client_secret", false, "grant_type=client_credentials&client_id=" + url.QueryEscape(id) + "&client_secret=", 401, "invalid_client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runTokenCase(t, s, id, secret, tt) })
	}
}

// RFC 6749 §4.1.3 and RFC 7636 §4.5 at the token endpoint,
// authorization_code: code required; redirect_uri required exactly when
// the authorization request included it, and then identical; code_verifier
// required exactly when the request had a code_challenge; client_id
// required of a client that does not authenticate.
func TestTokenParameterRulesAuthorizationCode(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	two := newWebClient(t, s.Server, false, true, nil, "photos:read")
	one := newWebClient(t, s.Server, false, true, []string{callback}, "photos:read")
	public := newWebClient(t, s.Server, true, true, nil, "photos:read")
	b := apptest.NewBrowser(t, s.URL)
	signIn(t, b, b.Open(authorizeURL(s.Server, codeParams(two, newPKCE(), ""))), "ada@example.com", userPassword)

	// code returns a fresh code of c; withRedirect false leaves redirect_uri
	// out of the authorization request.
	code := func(c webClient, p pkce, withRedirect bool) string {
		params := codeParams(c, p, "")
		if !withRedirect {
			delete(params, "redirect_uri")
		}
		return authorize(t, s.Server, b, params, "ada@example.com", userPassword)
	}
	enc := url.QueryEscape
	tests := []struct {
		name string
		// client, and whether the authorization request names redirect_uri.
		client       webClient
		withRedirect bool
		// body gets the code and the verifier.
		body       func(code, verifier string) string
		wantStatus int
		wantError  string
	}{
		{"redirect_uri as in the request", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 200, ""},
		{"redirect_uri in the request, missing here", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&code_verifier=" + v
		}, 400, "invalid_grant"},
		{"redirect_uri in the request, empty here (= missing)", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=&code_verifier=" + v
		}, 400, "invalid_grant"},
		{"redirect_uri in the request, another here", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(otherCallback) + "&code_verifier=" + v
		}, 400, "invalid_grant"},
		{"redirect_uri repeated", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 400, "invalid_request"},
		{"no redirect_uri in the request, none here", one, false, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&code_verifier=" + v
		}, 200, ""},
		{"no redirect_uri in the request, empty here", one, false, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=&code_verifier=" + v
		}, 200, ""},
		{"no redirect_uri in the request, the one it went to here", one, false, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 200, ""},
		{"no redirect_uri in the request, another here", one, false, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(otherCallback) + "&code_verifier=" + v
		}, 400, "invalid_grant"},
		{"code missing", two, true, func(_, v string) string {
			return "grant_type=authorization_code&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 400, "invalid_request"},
		{"code empty", two, true, func(_, v string) string {
			return "grant_type=authorization_code&code=&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 400, "invalid_request"},
		{"code repeated", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 400, "invalid_request"},
		{"code_verifier empty with a challenge (= missing)", two, true, func(c, _ string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier="
		}, 400, "invalid_grant"},
		{"code_verifier repeated", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v + "&code_verifier=" + v
		}, 400, "invalid_request"},
		{"empty client_secret next to Basic", two, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v + "&client_secret="
		}, 200, ""},
		{"public client by client_id", public, true, func(c, v string) string {
			return "grant_type=authorization_code&client_id=" + public.ID + "&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 200, ""},
		{"public client with an empty client_secret", public, true, func(c, v string) string {
			return "grant_type=authorization_code&client_id=" + public.ID + "&client_secret=&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 200, ""},
		{"public client without client_id", public, true, func(c, v string) string {
			return "grant_type=authorization_code&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 401, "invalid_client"},
		{"public client with an empty client_id", public, true, func(c, v string) string {
			return "grant_type=authorization_code&client_id=&code=" + c + "&redirect_uri=" + enc(callback) + "&code_verifier=" + v
		}, 401, "invalid_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPKCE()
			c := code(tt.client, p, tt.withRedirect)
			body := tt.body(url.QueryEscape(c), p.verifier)
			wantScope := ""
			if tt.wantStatus == http.StatusOK {
				wantScope = "photos:read"
			}
			id, secret, basic := tt.client.ID, tt.client.Secret, tt.client.Secret != ""
			runTokenCase(t, s.Server, id, secret, tokenCase{tt.name, basic, body, tt.wantStatus, tt.wantError, wantScope})
			if tt.wantStatus != http.StatusOK && tt.wantError != "invalid_grant" {
				// A request refused before the code was looked at leaves it
				// redeemable.
				again := exchange(t, s.Server, tt.client, c, redirectFor(tt.withRedirect), p.verifier)
				assert.Equal(t, http.StatusOK, again.Status, "the code survives a malformed request: %s", again.ErrorDescription)
			}
		})
	}
}

func redirectFor(withRedirect bool) string {
	if withRedirect {
		return callback
	}
	return ""
}

// RFC 6749 §6 at the token endpoint, refresh_token: refresh_token
// required, scope optional (absent: the refresh token's whole scope).
func TestTokenParameterRulesRefreshToken(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, false, true, nil, "a", "b")
	p := newPKCE()
	first := exchange(t, s.Server, c, authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, "a b"), "ada@example.com", userPassword), callback, p.verifier)
	require.Equal(t, http.StatusOK, first.Status, first.ErrorDescription)
	current := first.RefreshToken

	tests := []struct {
		name       string
		body       func(rt string) string
		wantStatus int
		wantError  string
		wantScope  string
	}{
		{"refresh_token", func(rt string) string { return "grant_type=refresh_token&refresh_token=" + rt }, 200, "", "a b"},
		{"empty scope is absent", func(rt string) string { return "grant_type=refresh_token&scope=&refresh_token=" + rt }, 200, "", "a b"},
		{"narrower scope", func(rt string) string { return "grant_type=refresh_token&scope=b&refresh_token=" + rt }, 200, "", "b"},
		{"empty client_secret next to Basic", func(rt string) string { return "grant_type=refresh_token&client_secret=&refresh_token=" + rt }, 200, "", "a b"},
		{"empty refresh_token next to the token", func(rt string) string {
			return "grant_type=refresh_token&refresh_token=&refresh_token=" + rt
		}, 200, "", "a b"},
		{"refresh_token missing", func(string) string { return "grant_type=refresh_token" }, 400, "invalid_request", ""},
		{"refresh_token empty", func(string) string { return "grant_type=refresh_token&refresh_token=" }, 400, "invalid_request", ""},
		{"refresh_token repeated", func(rt string) string { return "grant_type=refresh_token&refresh_token=" + rt + "&refresh_token=" + rt }, 400, "invalid_request", ""},
		{"scope repeated", func(rt string) string { return "grant_type=refresh_token&scope=a&scope=b&refresh_token=" + rt }, 400, "invalid_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := runTokenCase(t, s.Server, c.ID, c.Secret, tokenCase{tt.name, true, tt.body(url.QueryEscape(current)), tt.wantStatus, tt.wantError, tt.wantScope})
			if tr.Status == http.StatusOK {
				current = tr.RefreshToken
			}
		})
	}
	assert.Equal(t, "a b", introspect(t, s.Server, c.ID, c.Secret, current)["scope"], "the last refresh token still holds the whole grant")
}

// RFC 8628 §3.1 and §3.4 under RFC 6749's parameter rules: at the device
// authorization endpoint client_id (for a client that does not
// authenticate) is required and scope optional; at the token endpoint
// device_code is required. Empty is absent, repeated is invalid_request.
func TestTokenParameterRulesDeviceCode(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	confidential := newClient(t, s.Server, false, true, []string{core.GrantDeviceCode}, "tv:watch", "tv:record")
	public := newClient(t, s.Server, true, true, []string{core.GrantDeviceCode}, "tv:watch")
	all := "tv:watch tv:record"

	t.Run("device authorization endpoint", func(t *testing.T) {
		tests := []struct {
			name       string
			client     webClient
			basic      bool
			body       string
			wantStatus int
			wantError  string
		}{
			{"basic", confidential, true, "", 200, ""},
			{"basic with an empty client_secret", confidential, true, "client_secret=", 200, ""},
			{"basic with an empty client_id", confidential, true, "client_id=&scope=", 200, ""},
			{"scope", confidential, true, "scope=tv:watch", 200, ""},
			{"public client by client_id", public, false, "client_id=" + public.ID, 200, ""},
			{"public client with an empty client_secret", public, false, "client_id=" + public.ID + "&client_secret=", 200, ""},
			{"scope repeated", confidential, true, "scope=tv:watch&scope=tv:record", 400, "invalid_request"},
			{"client_id repeated", public, false, "client_id=" + public.ID + "&client_id=" + public.ID, 400, "invalid_request"},
			{"public client without client_id", public, false, "scope=tv:watch", 401, "invalid_client"},
			{"public client with an empty client_id", public, false, "client_id=", 401, "invalid_client"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				id, secret := "", ""
				if tt.basic {
					id, secret = tt.client.ID, tt.client.Secret
				}
				resp, body := postRaw(t, s.Server, "/oauth/device_authorization", id, secret, tt.body)
				require.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
				da := decode[deviceAuth](t, body)
				assert.Equal(t, tt.wantError, da.Error)
				if tt.wantStatus == http.StatusOK {
					assert.NotEmpty(t, da.DeviceCode)
				}
			})
		}
	})

	t.Run("token endpoint", func(t *testing.T) {
		status, da := startDevice(t, s.Server, confidential, "")
		require.Equal(t, http.StatusOK, status)
		code := url.QueryEscape(da.DeviceCode)
		grant := "grant_type=" + url.QueryEscape(core.GrantDeviceCode)
		tests := []tokenCase{
			{"device_code missing", true, grant, 400, "invalid_request", ""},
			{"device_code empty", true, grant + "&device_code=", 400, "invalid_request", ""},
			{"device_code repeated", true, grant + "&device_code=" + code + "&device_code=" + code, 400, "invalid_request", ""},
			{"pending, with an empty client_secret next to Basic", true, grant + "&client_secret=&device_code=" + code, 400, "authorization_pending", ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { runTokenCase(t, s.Server, confidential.ID, confidential.Secret, tt) })
		}
		s.Clock.Advance(10 * time.Second) // past the polling interval
		verifyDevice(t, s.Server, apptest.NewBrowser(t, s.URL), da, adminEmail, adminPassword, "approve")
		runTokenCase(t, s.Server, confidential.ID, confidential.Secret, tokenCase{"approved", true, grant + "&scope=&device_code=" + code, 200, "", all})
	})
}
