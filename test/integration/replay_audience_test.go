package integration_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// One authorization request yields at most one code: posting its consent
// form again (a double click), or going back and pressing Allow again on a
// freshly loaded consent page, shows an error and mints nothing. A new
// request (new state and PKCE challenge) is answered as usual.
func TestConsentReplayYieldsOneCode(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	c := newWebClient(t, s.Server, true, false, nil, "photos:read")
	p := newPKCE()
	params := codeParams(c, p, "photos:read")
	// prompt=consent: the page every time, though the first approval is
	// remembered.
	params["prompt"] = "consent"
	b := apptest.NewBrowser(t, s.URL)

	consent := signIn(t, b, b.Open(authorizeURL(s.Server, params)), "ada@example.com", userPassword)
	first := approve(t, b, consent, "approve")
	require.NotNil(t, first.Left)
	require.NotEmpty(t, first.Left.Query().Get("code"))

	again := b.Submit(consent, consent.Forms[0], nil, "approve")
	assert.Nil(t, again.Left, "the same consent form posted twice gives no second code")
	assert.Equal(t, http.StatusBadRequest, again.Status)
	assert.Contains(t, again.Body, "already been answered")

	reloaded := b.Open(authorizeURL(s.Server, params))
	back := approve(t, b, reloaded, "approve")
	assert.Nil(t, back.Left, "back, then Allow, gives no second code")
	assert.Equal(t, http.StatusBadRequest, back.Status)

	tr := exchange(t, s.Server, c, first.Left.Query().Get("code"), callback, p.verifier)
	require.Equal(t, http.StatusOK, tr.Status, "the one code still works: %s", tr.ErrorDescription)

	params2 := codeParams(c, newPKCE(), "photos:read")
	params2["state"], params2["prompt"] = "another-state", "consent"
	next := approve(t, b, b.Open(authorizeURL(s.Server, params2)), "approve")
	require.NotNil(t, next.Left, "a new authorization request is answered")
	assert.NotEmpty(t, next.Left.Query().Get("code"))
}

// /api/* accepts only access tokens meant for this server (aud, RFC 9068
// §4) and already valid (nbf), even when they are signed with the
// server's own key.
func TestAPIChecksAudienceAndNotBefore(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, nil)
	now := s.Clock.Now()
	signer := jwt.NewHS256([]byte(apptest.JWTSecret))
	token := func(aud []string, nbf time.Time) string {
		raw, err := signer.Sign(t.Context(), core.AccessToken{
			JTI: "jti-" + aud[0] + nbf.String(), Issuer: s.Config.IssuerURL, Subject: apptest.AdminClientID, Audience: aud,
			ClientID: apptest.AdminClientID, Scopes: []string{core.ScopeClientsRead}, IssuedAt: now, ExpiresAt: now.Add(5 * time.Minute), NotBefore: nbf,
		})
		require.NoError(t, err)
		return raw
	}
	tests := []struct {
		name       string
		give       string
		wantStatus int
	}{
		{"meant for this server", token([]string{s.Config.IssuerURL}, time.Time{}), http.StatusOK},
		{"among several audiences", token([]string{"https://other.example", s.Config.IssuerURL}, time.Time{}), http.StatusOK},
		{"valid from now", token([]string{s.Config.IssuerURL}, now), http.StatusOK},
		{"meant for another server", token([]string{"https://other.example"}, time.Time{}), http.StatusUnauthorized},
		{"not valid before an hour from now", token([]string{s.Config.IssuerURL}, now.Add(time.Hour)), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodGet, "/api/clients", tt.give, nil)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
			if tt.wantStatus == http.StatusUnauthorized {
				assert.Equal(t, "invalid_token", decode[errBody](t, body).Error)
			}
		})
	}
}
