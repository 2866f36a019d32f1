package integration_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// Issue 24 §1: something derived never outlives or exceeds what it came
// from. Every credential made from a person rests on core.CredentialAlive.

// resetLink asks for a reset mail and returns its token.
func resetLink(t *testing.T, s *peopleServer, email string) string {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": email})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	m, ok := s.mail.LastTo(email)
	require.True(t, ok)
	return m.Token
}

func confirmReset(t *testing.T, s *peopleServer, token, password string) (*http.Response, []byte) {
	t.Helper()
	return s.Do(t, http.MethodPost, "/api/auth/password-reset/confirm", "", map[string]string{"token": token, "password": password})
}

func TestResetLinksEndWithEveryPasswordChange(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)

	t.Run("a newer link and a reset through it end the older link", func(t *testing.T) {
		register(t, s.Server, "t1@example.com", userPassword)
		t1 := resetLink(t, s, "t1@example.com")
		s.Clock.Advance(time.Second)
		t2 := resetLink(t, s, "t1@example.com")
		s.Clock.Advance(time.Second)
		resp, body := confirmReset(t, s, t2, "Owner-Password-42!")
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		resp, body = confirmReset(t, s, t1, "Attacker-Password-42!")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		login(t, s.Server, "t1@example.com", "Owner-Password-42!")
	})
	t.Run("a link mailed before the password was changed at /api/auth/me", func(t *testing.T) {
		register(t, s.Server, "me@example.com", userPassword)
		link := resetLink(t, s, "me@example.com")
		s.Clock.Advance(time.Second)
		lb := login(t, s.Server, "me@example.com", userPassword)
		resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"password": "Owner-Password-42!", "current_password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		s.Clock.Advance(time.Second)
		resp, body = confirmReset(t, s, link, "Attacker-Password-42!")
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		login(t, s.Server, "me@example.com", "Owner-Password-42!")
	})
}

// changeTo sets email's password from old to new at /api/auth/me.
func changeTo(t *testing.T, s *peopleServer, email, old, new string) {
	t.Helper()
	lb := login(t, s.Server, email, old)
	resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"password": new, "current_password": old})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

func TestApprovalsTurnIntoNoTokenAfterAPasswordChange(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newWebClient(t, s.Server, false, false, nil, "photos")
	dev := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode, "refresh_token"}, "photos")

	t.Run("a code obtained before a reset", func(t *testing.T) {
		register(t, s.Server, "code@example.com", userPassword)
		b := apptest.NewBrowser(t, s.URL)
		code := authorize(t, s.Server, b, codeParams(c, pkce{}, "photos"), "code@example.com", userPassword)
		link := resetLink(t, s, "code@example.com")
		s.Clock.Advance(time.Second)
		resp, body := confirmReset(t, s, link, "Owner-Password-42!")
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		tr := exchange(t, s.Server, c, code, callback, "")
		assert.Equal(t, http.StatusBadRequest, tr.Status)
		assert.Equal(t, "invalid_grant", tr.Error)
		assert.Empty(t, tr.RefreshToken)
	})
	t.Run("a code obtained before a change at /api/auth/me", func(t *testing.T) {
		register(t, s.Server, "code2@example.com", userPassword)
		b := apptest.NewBrowser(t, s.URL)
		code := authorize(t, s.Server, b, codeParams(c, pkce{}, "photos"), "code2@example.com", userPassword)
		s.Clock.Advance(time.Second)
		changeTo(t, s, "code2@example.com", userPassword, "Owner-Password-42!")
		tr := exchange(t, s.Server, c, code, callback, "")
		assert.Equal(t, "invalid_grant", tr.Error)
	})
	t.Run("a code approved before a disable, redeemed after the enable", func(t *testing.T) {
		id := register(t, s.Server, "disabled@example.com", userPassword)
		b := apptest.NewBrowser(t, s.URL)
		code := authorize(t, s.Server, b, codeParams(c, pkce{}, "photos"), "disabled@example.com", userPassword)
		s.Clock.Advance(time.Second)
		admin := s.AdminToken(t)
		for _, disabled := range []bool{true, false} {
			resp, body := s.Do(t, http.MethodPatch, "/api/users/"+id, admin, map[string]any{"disabled": disabled})
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		}
		tr := exchange(t, s.Server, c, code, callback, "")
		assert.Equal(t, "invalid_grant", tr.Error)
	})
	t.Run("an approved device code", func(t *testing.T) {
		register(t, s.Server, "device@example.com", userPassword)
		status, da := startDevice(t, s.Server, dev, "photos")
		require.Equal(t, http.StatusOK, status)
		b := apptest.NewBrowser(t, s.URL)
		verifyDevice(t, s.Server, b, da, "device@example.com", userPassword, "approve")
		s.Clock.Advance(time.Second)
		changeTo(t, s, "device@example.com", userPassword, "Owner-Password-42!")
		tr := pollDevice(t, s.Server, dev, da.DeviceCode)
		assert.Equal(t, "invalid_grant", tr.Error)
		assert.Empty(t, tr.AccessToken)
	})
}

func TestRefreshIsBoundedByTheClientNow(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newWebClient(t, s.Server, false, false, nil, "a", "b")
	register(t, s.Server, "scopes@example.com", userPassword)
	b := apptest.NewBrowser(t, s.URL)
	code := authorize(t, s.Server, b, codeParams(c, pkce{}, "a b"), "scopes@example.com", userPassword)
	tr := exchange(t, s.Server, c, code, callback, "")
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	require.Equal(t, "a b", tr.Scope)

	resp, body := s.Do(t, http.MethodPut, "/api/clients/"+c.ID, s.AdminToken(t), map[string]any{
		"name": "Photo Printer", "grant_types": []string{"authorization_code", "refresh_token"}, "scopes": []string{"a"},
		"redirect_uris": []string{callback, otherCallback},
	})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	next := refresh2(t, s.Server, c, tr.RefreshToken)
	require.Equal(t, http.StatusOK, next.Status, next.ErrorDescription)
	assert.Equal(t, "a", next.Scope, "a refresh without scope returns only what the client may have now")
	assert.Equal(t, "a", jwtClaims(t, next.AccessToken)["scope"])
}

// A device-flow family's ID tokens keep the sign-in's auth_time through
// every refresh; its access and ID tokens never outlive it.
func TestRefreshKeepsTheSignInOfTheDeviceFlow(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"REFRESH_TOKEN_EXPIRY": "1h"})
	dev := newClient(t, s.Server, false, false, []string{core.GrantDeviceCode, "refresh_token"}, "openid")
	register(t, s.Server, "tv@example.com", userPassword)
	status, da := startDevice(t, s.Server, dev, "openid")
	require.Equal(t, http.StatusOK, status)
	b := apptest.NewBrowser(t, s.URL)
	signedIn := s.Clock.Now()
	verifyDevice(t, s.Server, b, da, "tv@example.com", userPassword, "approve")
	s.Clock.Advance(2 * time.Minute)
	familyEnd := float64(s.Clock.Now().Add(time.Hour).Unix())
	tr := pollDevice(t, s.Server, dev, da.DeviceCode)
	require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)

	token := tr.RefreshToken
	for i := range 2 {
		s.Clock.Advance(3 * time.Minute)
		resp, body := s.PostForm(t, "/oauth/token", dev.ID, dev.Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		got := decode[oidcTokens](t, body)
		require.NotEmpty(t, got.IDToken, "refresh %d", i)
		_, claims := idClaims(t, s.Server, got.IDToken)
		assert.InDelta(t, float64(signedIn.Unix()), claims["auth_time"], 2, "refresh %d keeps the sign-in's auth_time", i)
		token = got.RefreshToken
	}

	// Near the end of the family, nothing made from it outlives it.
	s.Clock.Advance(time.Hour - 6*time.Minute - 40*time.Second)
	resp, body := s.PostForm(t, "/oauth/token", dev.ID, dev.Secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {token}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	got := decode[oidcTokens](t, body)
	assert.InDelta(t, familyEnd, jwtClaims(t, got.AccessToken)["exp"], 3, "the access token ends with its family")
	_, claims := idClaims(t, s.Server, got.IDToken)
	assert.InDelta(t, familyEnd, claims["exp"], 3, "the ID token ends with its family")
}

// A token exchanged from another never outlives it, and after the
// person's password changed an older token yields nothing.
func TestTokenExchangeNeverOutlivesItsSource(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	c := newClient(t, s.Server, false, false, []string{"client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"}, "photos")
	register(t, s.Server, "x@example.com", userPassword)
	lb := login(t, s.Server, "x@example.com", userPassword)
	subjectExp := jwtClaims(t, lb.AccessToken)["exp"].(float64)

	s.Clock.Advance(10 * time.Minute)
	got := tokenExchange(t, s.Server, c, url.Values{"subject_token": {lb.AccessToken}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	require.Equal(t, http.StatusOK, got.Status, got.ErrorDescription)
	assert.LessOrEqual(t, jwtClaims(t, got.AccessToken)["exp"].(float64), subjectExp, "never longer-lived than the subject token")
	assert.LessOrEqual(t, got.ExpiresIn, int64(5*60))

	other := login(t, s.Server, "x@example.com", userPassword)
	s.Clock.Advance(time.Second)
	changeTo(t, s, "x@example.com", userPassword, "Owner-Password-42!")
	got = tokenExchange(t, s.Server, c, url.Values{"subject_token": {other.AccessToken}, "subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}})
	assert.Equal(t, "invalid_request", got.Error, "a token issued before the password change is revoked with it, and exchanged for nothing (RFC 8693 §2.2.2)")
}

// A token exchanged from another ends when its source is revoked at
// /oauth/revoke (RFC 7009), and so does one exchanged from that one in
// turn; tokens exchanged from other sources live on.
func TestExchangedTokensEndWithTheirSource(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	grants := []string{core.GrantClientCredentials, "urn:ietf:params:oauth:grant-type:token-exchange"}
	a := newClient(t, s.Server, false, false, grants, "photos")
	b := newClient(t, s.Server, false, false, grants, "photos")
	source := s.ClientCredentials(t, a.ID, a.Secret, "photos")
	require.Equal(t, http.StatusOK, source.Status, source.ErrorDescription)
	other := s.ClientCredentials(t, a.ID, a.Secret, "photos")
	require.Equal(t, http.StatusOK, other.Status, other.ErrorDescription)

	exchangeFrom := func(c webClient, subject string) string {
		got := tokenExchange(t, s.Server, c, url.Values{"subject_token": {subject}, "subject_token_type": {accessType}})
		require.Equal(t, http.StatusOK, got.Status, got.ErrorDescription)
		return got.AccessToken
	}
	child := exchangeFrom(b, source.AccessToken)
	grandchild := exchangeFrom(a, child)
	unrelated := exchangeFrom(b, other.AccessToken)
	for _, tok := range []string{child, grandchild, unrelated} {
		assert.Equal(t, true, introspect(t, s.Server, b.ID, b.Secret, tok)["active"])
	}

	resp, body := s.PostForm(t, "/oauth/revoke", a.ID, a.Secret, url.Values{"token": {source.AccessToken}})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, false, introspect(t, s.Server, b.ID, b.Secret, source.AccessToken)["active"])
	assert.Equal(t, false, introspect(t, s.Server, b.ID, b.Secret, child)["active"], "exchanged from the revoked token")
	assert.Equal(t, false, introspect(t, s.Server, b.ID, b.Secret, grandchild)["active"], "exchanged from what was exchanged from it")
	assert.Equal(t, true, introspect(t, s.Server, b.ID, b.Secret, unrelated)["active"], "another source's token lives on")
	got := tokenExchange(t, s.Server, b, url.Values{"subject_token": {child}, "subject_token_type": {accessType}})
	assert.Equal(t, http.StatusBadRequest, got.Status, "a revoked token is exchanged for nothing")
}

// A password change ends every token made under the old password: the
// access token a refresh made, and the one that asked for the change.
func TestPasswordChangeEndsTheTokensMadeUnderTheOldOne(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "pw@example.com", userPassword)
	other := login(t, s.Server, "pw@example.com", userPassword)
	refreshed := refresh(t, s.Server, other.RefreshToken, "")
	require.Equal(t, http.StatusOK, refreshed.Status, refreshed.ErrorDescription)
	resp, _ := s.Do(t, http.MethodGet, "/api/auth/me", refreshed.AccessToken, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	lb := login(t, s.Server, "pw@example.com", userPassword)
	resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"password": "Owner-Password-42!", "current_password": userPassword})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	for name, tok := range map[string]string{"made by a refresh": refreshed.AccessToken, "that asked for the change": lb.AccessToken} {
		resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", tok, nil)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, name)
	}
	assert.Equal(t, http.StatusBadRequest, refresh(t, s.Server, refreshed.RefreshToken, "").Status, "the family is over")
	next := login(t, s.Server, "pw@example.com", "Owner-Password-42!")
	resp, _ = s.Do(t, http.MethodGet, "/api/auth/me", next.AccessToken, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the new password signs in")
}
