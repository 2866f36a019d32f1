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
)

func formWith(t *testing.T, p apptest.Page, field string) apptest.Form {
	t.Helper()
	for _, f := range p.Forms {
		for _, in := range f.Inputs {
			if in == field {
				return f
			}
		}
	}
	t.Fatalf("no form with %s on %s (%d): %s", field, p.URL, p.Status, p.Body)
	return apptest.Form{}
}

// The start page and favicon; the sign-in page links to registration and
// password reset.
func TestStartPageAndLinks(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	b := apptest.NewBrowser(t, s.URL)
	home := b.Open(s.URL + "/")
	require.Equal(t, http.StatusOK, home.Status)
	for _, want := range []string{`href="/api-docs"`, `href="/.well-known/oauth-authorization-server"`, `rel="icon"`} {
		assert.Contains(t, home.Body, want)
	}
	icon := b.Open(s.URL + "/favicon.ico")
	assert.Equal(t, http.StatusOK, icon.Status)
	assert.Equal(t, "image/svg+xml", icon.Header.Get("Content-Type"))

	c := newWebClient(t, s.Server, false, false, nil, "photos:read")
	login := b.Open(authorizeURL(s.Server, codeParams(c, newPKCE(), "photos:read")))
	require.Equal(t, http.StatusOK, login.Status)
	assert.Contains(t, login.Body, `href="/password-reset"`)
	assert.Contains(t, login.Body, `href="/register?return_to=%2foauth%2fauthorize%3f`)
}

// Registration from the sign-in page leads back to the authorization
// request; the consent page then shows each scope's description and
// focuses its first button. The verification link from the mail confirms
// the address, once.
func TestRegisterFromSignInReturnsToTheRequest(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newWebClient(t, s.Server, false, false, nil, "photos:read")
	b := apptest.NewBrowser(t, s.URL)
	authz := authorizeURL(s.Server, codeParams(c, newPKCE(), "photos:read"))
	login := b.Open(authz)
	u, err := url.Parse(authz)
	require.NoError(t, err)
	reg := b.Open(s.URL + "/register?return_to=" + url.QueryEscape(u.RequestURI()))
	require.Equal(t, http.StatusOK, reg.Status)
	f := formWith(t, reg, "first_name")

	bad := b.Submit(reg, f, map[string]string{"first_name": "Ada", "last_name": "", "email": "not-mail", "password": "qwerty123"}, "")
	require.Equal(t, http.StatusBadRequest, bad.Status)
	assert.Contains(t, bad.Body, `aria-invalid="true"`)
	assert.Contains(t, bad.Body, "Last name is required")
	assert.Empty(t, s.mail.Sent(), "nothing stored, nothing mailed")

	consent := b.Submit(bad, formWith(t, bad, "first_name"), map[string]string{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "password": userPassword}, "")
	require.Equal(t, http.StatusOK, consent.Status, consent.Body)
	assert.Contains(t, consent.Body, "Allow access?", "back at the authorization request, signed in")
	assert.Contains(t, consent.Body, "test scope", "the scope's description")
	assert.Contains(t, consent.Body, `value="deny" class="secondary" autofocus`)
	_ = login

	again := b.Open(s.URL + "/register")
	dup := b.Submit(again, formWith(t, again, "email"), map[string]string{"first_name": "A", "last_name": "L", "email": "ADA@example.com", "password": userPassword}, "")
	assert.Equal(t, http.StatusBadRequest, dup.Status)
	assert.Contains(t, dup.Body, "already exists")

	m, ok := s.mail.Last(memory.MailVerifyEmail, "ada@example.com")
	require.True(t, ok)
	link := b.Open(s.URL + "/verify-email?token=" + url.QueryEscape(m.Token))
	require.Len(t, link.Forms, 1, link.Body)
	ok1 := b.Submit(link, link.Forms[0], nil, "yes")
	assert.Equal(t, http.StatusOK, ok1.Status)
	assert.Contains(t, ok1.Body, "Address confirmed")
	twice := b.Submit(link, link.Forms[0], nil, "yes")
	assert.Equal(t, http.StatusBadRequest, twice.Status)
	assert.Contains(t, twice.Body, "no longer works")

	evil := b.Open(s.URL + "/register?return_to=" + url.QueryEscape("https://evil.example/"))
	assert.NotContains(t, evil.Body, "evil.example", "only an authorization request on this server is a place to return to")
}

// Forgot password, the mailed link, a new password, and sign-in with it;
// an expired form gets a page with a link to start again.
func TestPasswordResetPages(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	b := apptest.NewBrowser(t, s.URL)
	page := b.Open(s.URL + "/password-reset")
	require.Equal(t, http.StatusOK, page.Status)
	sent := b.Submit(page, formWith(t, page, "email"), map[string]string{"email": "ada@example.com"}, "")
	assert.Equal(t, http.StatusAccepted, sent.Status)
	assert.Contains(t, sent.Body, "Check your mail")
	unknown := b.Submit(page, formWith(t, page, "email"), map[string]string{"email": "nobody@example.com"}, "")
	assert.Equal(t, sent.Body, unknown.Body, "the same answer for an unknown address")

	m, ok := s.mail.LastTo("ada@example.com")
	require.True(t, ok)
	confirm := b.Open(s.URL + "/password-reset/confirm?token=" + url.QueryEscape(m.Token))
	require.Equal(t, http.StatusOK, confirm.Status)
	weak := b.Submit(confirm, formWith(t, confirm, "password"), map[string]string{"password": "qwerty123"}, "")
	assert.Equal(t, http.StatusBadRequest, weak.Status)
	done := b.Submit(weak, formWith(t, weak, "password"), map[string]string{"password": "New-Password-42!"}, "")
	require.Equal(t, http.StatusOK, done.Status, done.Body)
	assert.Contains(t, done.Body, "Password changed")
	login(t, s.Server, "ada@example.com", "New-Password-42!")
	used := b.Submit(confirm, formWith(t, confirm, "password"), map[string]string{"password": "Other-Password-42!"}, "")
	assert.Equal(t, http.StatusBadRequest, used.Status)
	assert.Contains(t, used.Body, "no longer works")

	f := formWith(t, page, "email")
	f.Fields.Set("csrf_token", "forged")
	expired := b.Submit(page, f, map[string]string{"email": "ada@example.com"}, "")
	assert.Equal(t, http.StatusForbidden, expired.Status)
	assert.Contains(t, expired.Body, "The form has expired")
	assert.Contains(t, expired.Body, `href="/password-reset"`, "a link that starts again")
	assert.True(t, strings.Contains(expired.Body, "<code>invalid_request</code>"), "the RFC code, small")
}
