package integration_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// RFC 8628 §5.4 (device-code phishing): opening verification_uri_complete
// and pressing "Continue" never connects a device, first-party or not. The
// person sees the client's name, the scopes and the user code to compare,
// and connects only with "Allow". Abuse case of SECURITY.md "Device
// approval without the person knowing".
func TestDeviceFlowAlwaysAsksForApproval(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "user@example.com", userPassword)
	for _, firstParty := range []bool{true, false} {
		c := newClient(t, s.Server, true, firstParty, []string{core.GrantDeviceCode}, "photos:read")
		_, da := startDevice(t, s.Server, c, "photos:read")
		b := apptest.NewBrowser(t, s.URL)
		page := verifyDevice(t, s.Server, b, da, "user@example.com", userPassword, "")
		require.Equal(t, http.StatusOK, page.Status, page.Body)
		assert.Contains(t, page.Body, "Allow access?", "first-party %v", firstParty)
		assert.Contains(t, page.Body, "Living Room TV", "the client's name")
		assert.Contains(t, page.Body, "photos:read", "the scopes")
		assert.Contains(t, page.Body, da.UserCode, "the code to compare")
		assert.NotContains(t, page.Body, "Device connected")
		s.Clock.Advance(6 * time.Second)
		assert.Equal(t, "authorization_pending", pollDevice(t, s.Server, c, da.DeviceCode).Error, "Continue alone connects nothing")

		require.Len(t, page.Forms, 1)
		done := b.Submit(page, page.Forms[0], nil, "approve")
		assert.Contains(t, done.Body, "Device connected")
		s.Clock.Advance(6 * time.Second)
		tr := pollDevice(t, s.Server, c, da.DeviceCode)
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	}
}

// No link in a mail acts on GET: a mail scanner fetches the verification
// link without cookies and the address stays unverified; the reset link's
// GET uses nothing up. Only the button (a POST with the page's CSRF token)
// changes anything. Abuse case of SECURITY.md "Mailed links followed by a
// scanner".
func TestMailLinksNeverActOnGet(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	verified := func() bool {
		resp, body := s.Do(t, http.MethodGet, "/api/auth/me", login(t, s.Server, "ada@example.com", userPassword).AccessToken, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return decode[map[string]any](t, body)["email_verified"] == true
	}
	m, ok := s.mail.Last(memory.MailVerifyEmail, "ada@example.com")
	require.True(t, ok)
	link := s.URL + "/verify-email?token=" + url.QueryEscape(m.Token)

	scanner := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, err := http.NewRequest(method, link, nil)
		require.NoError(t, err)
		resp, err := scanner.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.NotEqual(t, http.StatusInternalServerError, resp.StatusCode)
	}
	assert.False(t, verified(), "a scanner's GET verifies nothing")

	resp, err := scanner.PostForm(link, url.Values{"confirm": {"yes"}})
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusForbidden, resp.StatusCode, "a POST without the page's CSRF token")
	assert.False(t, verified())

	b := apptest.NewBrowser(t, s.URL)
	page := b.Open(link)
	require.Equal(t, http.StatusOK, page.Status)
	assert.Contains(t, page.Body, "Confirm your address")
	require.Len(t, page.Forms, 1)
	done := b.Submit(page, page.Forms[0], nil, "yes")
	assert.Contains(t, done.Body, "Address confirmed")
	assert.True(t, verified())

	// The reset link's GET shows a form and uses nothing up.
	resp, _ = s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "ada@example.com"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	r, ok := s.mail.Last(memory.MailPasswordReset, "ada@example.com")
	require.True(t, ok)
	resetLink := s.URL + "/password-reset/confirm?token=" + url.QueryEscape(r.Token)
	resp, err = scanner.Get(resetLink)
	require.NoError(t, err)
	resp.Body.Close()
	reset := b.Open(resetLink)
	require.Len(t, reset.Forms, 1)
	changed := b.Submit(reset, reset.Forms[0], map[string]string{"password": "Another-Horse-Battery-7"}, "")
	assert.Contains(t, changed.Body, "Password changed", "the scanner's GET used nothing up")
}
