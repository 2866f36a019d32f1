package integration_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
)

// logoutFixture is a person signed in at a relying party in one browser.
type logoutFixture struct {
	s *peopleServer
	c webClient
}

func (f logoutFixture) signIn(t *testing.T, b *apptest.Browser, email string) string {
	t.Helper()
	code := authorize(t, f.s.Server, b, freshParams(f.c, "openid"), email, userPassword)
	return tokenRequest(t, f.s.Server, f.c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}).IDToken
}

func (f logoutFixture) signedIn(t *testing.T, b *apptest.Browser) bool {
	t.Helper()
	page := b.Open(authorizeURL(f.s.Server, freshParams(f.c, "openid")))
	return page.Left != nil && page.Left.Query().Get("code") != ""
}

// RP-Initiated Logout 1.0 §2: an id_token_hint that does not belong to the
// browser's current session (another person's, or the person's own from
// an ended session, expired or not) asks instead of signing out; only the
// current session's hint signs out at once. Abuse case of SECURITY.md
// "Logout forced with an old ID token".
func TestLogoutHintOfAnotherSessionAsks(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "hopper@example.com", userPassword)
	register(t, s.Server, "other@example.com", userPassword)
	f := logoutFixture{s: s, c: newOIDCClient(t, s.Server, true, "")}
	b := apptest.NewBrowser(t, s.URL)

	old := f.signIn(t, b, "hopper@example.com")
	page := b.Open(s.URL + "/oauth/logout?" + url.Values{"id_token_hint": {old}}.Encode())
	require.Contains(t, page.Body, "You are signed out", "the current session's hint signs out at once")
	require.False(t, f.signedIn(t, b))

	current := f.signIn(t, b, "hopper@example.com")
	other := f.signIn(t, apptest.NewBrowser(t, s.URL), "other@example.com")
	ask := func(t *testing.T, hint string) {
		t.Helper()
		q := url.Values{"id_token_hint": {hint}, "post_logout_redirect_uri": {logoutTarget}, "state": {"s"}}
		page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
		assert.Nil(t, page.Left, "no redirect before the person confirms")
		assert.Equal(t, http.StatusOK, page.Status)
		assert.Contains(t, page.Body, "Sign out?")
		assert.True(t, f.signedIn(t, b), "nothing ended")
	}
	t.Run("a hint of an ended session", func(t *testing.T) { ask(t, old) })
	t.Run("another person's hint", func(t *testing.T) { ask(t, other) })
	t.Run("an expired hint of an ended session", func(t *testing.T) {
		s.Clock.Advance(s.Config.Tokens.AccessTTL * 2)
		ask(t, old)
	})
	t.Run("the current session's hint, expired too, signs out", func(t *testing.T) {
		q := url.Values{"id_token_hint": {current}, "post_logout_redirect_uri": {logoutTarget}, "state": {"s"}}
		page := b.Open(s.URL + "/oauth/logout?" + q.Encode())
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		assert.Equal(t, logoutTarget+"?state=s", page.Left.String())
		assert.False(t, f.signedIn(t, b))
	})
}

// RP-Initiated Logout 1.0 §2: a logout request sent by POST (ASP.NET's
// FormPost, without our CSRF token) works as the GET does: it is answered
// with a 303 to the GET, which asks or signs out with the browser's
// cookies, and never 403 "the form has expired".
func TestLogoutByPost(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "hopper@example.com", userPassword)
	f := logoutFixture{s: s, c: newOIDCClient(t, s.Server, true, "")}
	b := apptest.NewBrowser(t, s.URL)
	post := func(t *testing.T, form url.Values) *url.URL {
		t.Helper()
		resp, err := b.Client.PostForm(s.URL+"/oauth/logout", form)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		loc, err := resp.Location()
		require.NoError(t, err)
		return loc
	}

	t.Run("with the current session's hint it signs out and returns", func(t *testing.T) {
		idToken := f.signIn(t, b, "hopper@example.com")
		loc := post(t, url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {logoutTarget}, "state": {"p1"}})
		page := b.Open(loc.String())
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		assert.Equal(t, logoutTarget+"?state=p1", page.Left.String())
		assert.False(t, f.signedIn(t, b))
	})
	t.Run("without a hint it asks, then returns", func(t *testing.T) {
		f.signIn(t, b, "hopper@example.com")
		loc := post(t, url.Values{"client_id": {f.c.ID}, "post_logout_redirect_uri": {logoutTarget}, "state": {"p2"}})
		page := b.Open(loc.String())
		require.Nil(t, page.Left)
		require.Contains(t, page.Body, "Sign out?")
		assert.True(t, f.signedIn(t, b), "the POST alone ends nothing")
		require.Len(t, page.Forms, 1)
		done := b.Submit(page, page.Forms[0], nil, "")
		require.NotNil(t, done.Left, "%d %s", done.Status, done.Body)
		assert.Equal(t, logoutTarget+"?state=p2", done.Left.String())
		assert.False(t, f.signedIn(t, b))
	})
	t.Run("a confirmation with a wrong CSRF token is still refused", func(t *testing.T) {
		f.signIn(t, b, "hopper@example.com")
		resp, err := b.Client.PostForm(s.URL+"/oauth/logout", url.Values{"csrf_token": {"forged"}, "client_id": {f.c.ID}})
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusForbidden, resp.StatusCode)
		assert.True(t, f.signedIn(t, b))
	})
}
