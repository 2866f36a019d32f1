package integration_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// The roles scope puts the person's roles in the ID token, userinfo and
// the access token, on the code flow and on refresh; without it there is
// no roles claim. A disabled person's code is refused at the token
// endpoint.
func TestRolesScopeClaims(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	admin := s.AdminToken(t)
	person := createUser(t, s, admin, map[string]any{"email": "hedy@example.com", "first_name": "Hedy", "last_name": "Lamarr", "password": userPassword, "roles": []string{"support:tier-2", "billing"}})
	c := newWebClient(t, s.Server, false, false, nil, "openid", "roles")
	b := apptest.NewBrowser(t, s.URL)
	n := 0
	params := func(scope string) map[string]string {
		n++
		p := codeParams(c, pkce{}, scope)
		p["state"] = fmt.Sprintf("state-%d", n)
		return p
	}

	code := authorize(t, s.Server, b, params("openid roles"), "hedy@example.com", userPassword)
	tr := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}})
	want := []any{"support:tier-2", "billing"}
	_, idc := idClaims(t, s.Server, tr.IDToken)
	assert.Equal(t, want, idc["roles"], "in the ID token")
	assert.Equal(t, want, jwtClaims(t, tr.AccessToken)["roles"], "in the access token")
	resp, body := s.Do(t, http.MethodGet, "/oauth/userinfo", tr.AccessToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, want, decode[map[string]any](t, body)["roles"], "in userinfo")

	// The roles of now, on refresh.
	resp, body = s.Do(t, http.MethodPatch, "/api/users/"+person.ID, admin, map[string]any{"roles": []string{"billing"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	next := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.RefreshToken}})
	assert.Equal(t, []any{"billing"}, jwtClaims(t, next.AccessToken)["roles"])

	// Without the scope, no claim.
	code = authorize(t, s.Server, b, params("openid"), "hedy@example.com", userPassword)
	plain := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}})
	assert.NotContains(t, jwtClaims(t, plain.AccessToken), "roles")
	_, idc = idClaims(t, s.Server, plain.IDToken)
	assert.NotContains(t, idc, "roles")

	// A code issued before the person was disabled gives nothing.
	code = authorize(t, s.Server, b, params("openid roles"), "hedy@example.com", userPassword)
	resp, body = s.Do(t, http.MethodPatch, "/api/users/"+person.ID, admin, map[string]any{"disabled": true})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	resp, body = s.PostForm(t, "/oauth/token", c.ID, c.Secret, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
	assert.Equal(t, "invalid_grant", decode[errBody](t, body).Error)
	// And the browser session is over: the sign-in form is shown again.
	page := b.Open(authorizeURL(s.Server, params("openid")))
	assert.Contains(t, page.Body, `name="password"`)
	page = signIn(t, b, page, "hedy@example.com", userPassword)
	assert.Equal(t, http.StatusForbidden, page.Status)
	assert.Contains(t, page.Body, "disabled")
}
