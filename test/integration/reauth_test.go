package integration_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// freshParams are codeParams with a state of their own, so each is a new
// authorization request.
func freshParams(c webClient, scope string) map[string]string {
	p := codeParams(c, pkce{}, scope)
	p["state"] = fmt.Sprintf("st-%d", time.Now().UnixNano())
	return p
}

// A request that asks for a fresh sign-in (prompt=login, a max_age older
// than the session, an id_token_hint naming another person) shows the
// sign-in form; posting consent=approve with that page's own CSRF token
// instead of the password must not yield a code (OpenID Connect Core
// §3.1.2.1): whoever sits at a signed-in browser does not pass a relying
// party's step-up without the password. Abuse case of SECURITY.md
// "Re-authentication skipped by posting the consent form".
func TestReauthenticationCannotBeSkippedByConsentPost(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "grace@example.com", userPassword)
	register(t, s.Server, "other@example.com", userPassword)
	for _, firstParty := range []bool{false, true} {
		c := newOIDCClient(t, s.Server, firstParty, "")
		// The other person's ID token, from another browser.
		ob := apptest.NewBrowser(t, s.URL)
		otherCode := authorize(t, s.Server, ob, freshParams(c, "openid"), "other@example.com", userPassword)
		otherID := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {otherCode}, "redirect_uri": {callback}}).IDToken
		require.NotEmpty(t, otherID)

		tests := []struct {
			name  string
			extra map[string]string
		}{
			{"prompt=login", map[string]string{"prompt": "login"}},
			{"prompt=select_account", map[string]string{"prompt": "select_account"}},
			{"max_age older than the session", map[string]string{"max_age": "60"}},
			{"id_token_hint of another person", map[string]string{"id_token_hint": otherID}},
		}
		for _, tt := range tests {
			name := tt.name
			if firstParty {
				name += ", first-party"
			}
			t.Run(name, func(t *testing.T) {
				b := apptest.NewBrowser(t, s.URL)
				authorize(t, s.Server, b, freshParams(c, "openid"), "grace@example.com", userPassword)
				if tt.extra["max_age"] != "" {
					s.Clock.Advance(2 * time.Minute)
				}
				p := freshParams(c, "openid")
				for k, v := range tt.extra {
					p[k] = v
				}
				page := b.Open(authorizeURL(s.Server, p))
				require.Nil(t, page.Left, "the request asks for a sign-in")
				require.Contains(t, page.Body, `name="password"`)
				require.Len(t, page.Forms, 1)

				forged := url.Values{"csrf_token": {page.Forms[0].Fields.Get("csrf_token")}, "consent": {"approve"}}
				resp, err := b.Client.PostForm(authorizeURL(s.Server, p), forged)
				require.NoError(t, err)
				resp.Body.Close()
				if loc, err := resp.Location(); err == nil {
					assert.Empty(t, loc.Query().Get("code"), "no code without the sign-in the request asked for")
				}
				assert.Equal(t, http.StatusOK, resp.StatusCode, "the sign-in form again")

				// The consent proof of another request is worth nothing here.
				if !firstParty {
					other := b.Open(authorizeURL(s.Server, freshParams(c, "openid profile")))
					if len(other.Forms) == 1 {
						replay := other.Forms[0].Fields
						replay.Set("consent", "approve")
						resp, err := b.Client.PostForm(authorizeURL(s.Server, p), replay)
						require.NoError(t, err)
						resp.Body.Close()
						if loc, err := resp.Location(); err == nil {
							assert.Empty(t, loc.Query().Get("code"))
						}
					}
				}

				// Signing in as asked still works and yields a code.
				email := "grace@example.com"
				if tt.extra["id_token_hint"] != "" {
					email = "other@example.com"
				}
				page = signIn(t, b, page, email, userPassword)
				if page.Left == nil {
					page = approve(t, b, page, "approve")
				}
				require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
				assert.NotEmpty(t, page.Left.Query().Get("code"), page.Left.String())
			})
		}
	}
}

// After a fresh sign-in for an id_token_hint, signing in as someone else
// than the hint names yields no code either: the sign-in form asks again.
func TestReauthenticationAsAnotherPersonThanTheHint(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "grace@example.com", userPassword)
	register(t, s.Server, "other@example.com", userPassword)
	c := newOIDCClient(t, s.Server, true, "")
	b := apptest.NewBrowser(t, s.URL)
	code := authorize(t, s.Server, b, freshParams(c, "openid"), "grace@example.com", userPassword)
	graceID := tokenRequest(t, s.Server, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}).IDToken

	ob := apptest.NewBrowser(t, s.URL)
	p := freshParams(c, "openid")
	p["id_token_hint"] = graceID
	page := ob.Open(authorizeURL(s.Server, p))
	require.Contains(t, page.Body, `name="password"`)
	page = signIn(t, ob, page, "other@example.com", userPassword)
	assert.Nil(t, page.Left, "no code for another person than the hint names")
	assert.Contains(t, page.Body, `name="password"`)
}
