package integration_test

import (
	"encoding/base32"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
)

// totpCode is the code of the base32 secret at the server's clock, step
// steps later.
func totpCode(t *testing.T, s *apptest.Server, secret string, step int64) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	require.NoError(t, err)
	return core.TOTPAt(key, core.TOTPStep(s.Clock.Now())+step)
}

// nextStep moves the server's clock to the start of the next TOTP step, so
// a new code is valid and the one before is spent.
func nextStep(s *apptest.Server) {
	now := s.Clock.Now()
	s.Clock.Advance(core.TOTPPeriod - time.Duration(now.UnixNano()%int64(core.TOTPPeriod)))
}

type mfaRequired struct {
	Error    string `json:"error"`
	MFAToken string `json:"mfa_token"`
}

// enrolTOTP turns TOTP on through the API and returns the secret and the
// recovery codes.
func enrolTOTP(t *testing.T, s *apptest.Server, token, password string) (string, []string) {
	t.Helper()
	resp, body := s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": password})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	e := decode[struct {
		Secret string `json:"secret"`
		URI    string `json:"otpauth_uri"`
	}](t, body)
	require.Len(t, e.Secret, 32)
	u, err := url.Parse(e.URI)
	require.NoError(t, err)
	assert.Equal(t, "otpauth", u.Scheme)
	assert.Equal(t, "totp", u.Host)
	assert.Equal(t, e.Secret, u.Query().Get("secret"))
	assert.Equal(t, "SHA1", u.Query().Get("algorithm"))
	assert.Equal(t, "6", u.Query().Get("digits"))
	assert.Equal(t, "30", u.Query().Get("period"))
	resp, body = s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp/confirm", token, map[string]string{"code": totpCode(t, s, e.Secret, 0)})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	codes := decode[struct {
		RecoveryCodes []string `json:"recovery_codes"`
	}](t, body).RecoveryCodes
	require.Len(t, codes, 10)
	nextStep(s) // the code of the confirmation is spent
	return e.Secret, codes
}

// fixedCode is a code that does not depend on the time.
func fixedCode(code string) func() string { return func() string { return code } }

// loginMFA runs both steps of /api/auth/login.
func loginMFA(t *testing.T, s *apptest.Server, email, password string, code func() string) (*http.Response, []byte) {
	t.Helper()
	resp, body := tryLogin(t, s, email, password)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
	ch := decode[mfaRequired](t, body)
	require.Equal(t, "mfa_required", ch.Error)
	require.NotEmpty(t, ch.MFAToken)
	// The person types the code: the wait of earlier failures, if any,
	// has passed.
	s.Clock.Advance(time.Minute)
	return s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": ch.MFAToken, "code": code()})
}

// TestTOTPEnrolmentAndSignIn: enrolment needs the current password and a
// first code; sign-in then needs a code, each accepted once; recovery
// codes work once; tokens say amr and acr; TOTP can be turned off with the
// password and a code. Each change is audited once and mailed.
func TestTOTPEnrolmentAndSignIn(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	const email = "totp@example.com"
	userID := register(t, s.Server, email, userPassword)
	token := login(t, s.Server, email, userPassword).AccessToken

	t.Run("enrolment refuses a wrong password and a wrong code", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": "Wrong-Password-1"})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		assert.Contains(t, string(body), "current_password")
		resp, body = s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp/confirm", token, map[string]string{"code": "123456"})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		resp, _ = s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp", "", map[string]string{"current_password": userPassword})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "needs the person's token")
	})

	secret, recovery := enrolTOTP(t, s.Server, token, userPassword)
	assert.Len(t, s.auditEvents(t, core.AuditMFAEnrolled), 1)
	notice, ok := s.mail.Last(memory.MailNotice, email)
	require.True(t, ok, "a notice mail on enrolment")
	assert.Contains(t, notice.Subject, "added")
	assert.NotContains(t, s.Logs(), secret, "the secret never reaches the log")

	t.Run("enrolling again while on is a conflict", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": userPassword})
		assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
	})

	t.Run("the password alone gives mfa_required and no token", func(t *testing.T) {
		resp, body := tryLogin(t, s.Server, email, userPassword)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
		assert.NotContains(t, string(body), "access_token")
		ch := decode[mfaRequired](t, body)
		assert.Equal(t, "mfa_required", ch.Error)
		resp, body = s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": ch.MFAToken, "code": "000000"})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": ch.MFAToken + "x", "code": totpCode(t, s.Server, secret, 0)})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "a forged mfa_token: %s", body)
	})

	t.Run("a code signs in once", func(t *testing.T) {
		challenge := func() string {
			s.Clock.Advance(time.Minute) // past the wait of the failures before
			resp, body := tryLogin(t, s.Server, email, userPassword)
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
			return decode[mfaRequired](t, body).MFAToken
		}
		first, second := challenge(), challenge()
		s.Clock.Advance(time.Minute)
		code := totpCode(t, s.Server, secret, 0)
		resp, body := s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": first, "code": code})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		lb := decode[loginBody](t, body)
		claims := jwtClaims(t, lb.AccessToken)
		assert.Equal(t, []any{"pwd", "otp", "mfa"}, claims["amr"])
		assert.Equal(t, core.ACRMFA, claims["acr"])
		resp, body = s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": second, "code": code})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "replayed code: %s", body)
		resp, body = s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": second, "code": totpCode(t, s.Server, secret, -1)})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an earlier step after a later one: %s", body)
		id, clientSecret := newServiceClient(t, s.Server, "orders:read")
		for _, tok := range []string{lb.AccessToken, lb.RefreshToken} {
			got := introspect(t, s.Server, id, clientSecret, tok)
			assert.Equal(t, []any{"pwd", "otp", "mfa"}, got["amr"], "introspection")
			assert.Equal(t, core.ACRMFA, got["acr"])
		}
		tr := refresh(t, s.Server, lb.RefreshToken, "")
		require.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
		assert.Equal(t, core.ACRMFA, jwtClaims(t, tr.AccessToken)["acr"], "a refreshed token keeps the sign-in's acr")
	})

	t.Run("an mfa_token lives five minutes", func(t *testing.T) {
		nextStep(s.Server)
		resp, body := tryLogin(t, s.Server, email, userPassword)
		ch := decode[mfaRequired](t, body)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		s.Clock.Advance(5*time.Minute + time.Second)
		resp, body = s.Do(t, http.MethodPost, "/api/auth/login/mfa", "", map[string]string{"mfa_token": ch.MFAToken, "code": totpCode(t, s.Server, secret, 0)})
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
	})

	t.Run("a recovery code signs in once", func(t *testing.T) {
		resp, body := loginMFA(t, s.Server, email, userPassword, fixedCode(strings.ToUpper(recovery[0])))
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		resp, body = loginMFA(t, s.Server, email, userPassword, fixedCode(recovery[0]))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
	})

	t.Run("new recovery codes replace the old", func(t *testing.T) {
		resp, body := loginMFA(t, s.Server, email, userPassword, func() string { return totpCode(t, s.Server, secret, 0) })
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		token := decode[loginBody](t, body).AccessToken
		resp, body = s.Do(t, http.MethodPost, "/api/auth/me/mfa/recovery-codes", token, map[string]string{"current_password": "Wrong-Password-1"})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		s.Clock.Advance(time.Minute)
		resp, body = s.Do(t, http.MethodPost, "/api/auth/me/mfa/recovery-codes", token, map[string]string{"current_password": userPassword})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		fresh := decode[struct {
			RecoveryCodes []string `json:"recovery_codes"`
		}](t, body).RecoveryCodes
		require.Len(t, fresh, 10)
		resp, _ = loginMFA(t, s.Server, email, userPassword, fixedCode(recovery[1]))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "an old code stopped working")
		resp, body = loginMFA(t, s.Server, email, userPassword, fixedCode(fresh[0]))
		assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	})

	failed := len(s.auditEvents(t, core.AuditLoginMFAFailed))
	assert.GreaterOrEqual(t, failed, 5, "each refused code is recorded")

	t.Run("turning TOTP off needs the password and a code", func(t *testing.T) {
		resp, body := loginMFA(t, s.Server, email, userPassword, func() string { return totpCode(t, s.Server, secret, 0) })
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		token := decode[loginBody](t, body).AccessToken
		nextStep(s.Server)
		resp, body = s.Do(t, http.MethodDelete, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": userPassword, "code": "000000"})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		resp, body = s.Do(t, http.MethodDelete, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": "Wrong-Password-1", "code": totpCode(t, s.Server, secret, 0)})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, string(body))
		s.Clock.Advance(time.Minute)
		nextStep(s.Server)
		resp, body = s.Do(t, http.MethodDelete, "/api/auth/me/mfa/totp", token, map[string]string{"current_password": userPassword, "code": totpCode(t, s.Server, secret, 0)})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		assert.Len(t, s.auditEvents(t, core.AuditMFARemoved), 1)
		notice, ok := s.mail.Last(memory.MailNotice, email)
		require.True(t, ok)
		assert.Contains(t, notice.Subject, "removed")
		lb := login(t, s.Server, email, userPassword)
		assert.Equal(t, []any{"pwd"}, jwtClaims(t, lb.AccessToken)["amr"])
		assert.Equal(t, core.ACRPassword, jwtClaims(t, lb.AccessToken)["acr"])
	})
	_ = userID
}

// TestSecondFactorGuessesPerHourAreBounded: someone who knows the password
// guesses codes for an hour, from one address, taking a fresh mfa_token
// whenever theirs runs out. Every code counts in the account's
// failed-sign-in back-off as a password does, so no more codes are
// compared in the hour than the throttle lets through one bucket
// (SECURITY.md: at most 15 per bucket, 2*MaxLoginDevices+1 buckets per
// account), and the person is mailed when the lock starts.
func TestSecondFactorGuessesPerHourAreBounded(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"RATE_LIMIT_ENABLED": "false"})
	const email = "guessed@example.com"
	userID := register(t, s.Server, email, userPassword)
	token := login(t, s.Server, email, userPassword).AccessToken
	enrolTOTP(t, s.Server, token, userPassword)

	start := s.Clock.Now()
	var mfaToken string
	var issued time.Time
	guesses := 0
	for s.Clock.Now().Sub(start) < time.Hour {
		if mfaToken == "" || s.Clock.Now().Sub(issued) > 4*time.Minute {
			resp, body := doFrom(t, s.Server, "198.51.100.9", http.MethodPost, "/api/auth/login", map[string]string{"email": email, "password": userPassword})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
			if ch := decode[mfaRequired](t, body); ch.MFAToken != "" {
				mfaToken, issued = ch.MFAToken, s.Clock.Now()
			}
		}
		if mfaToken != "" {
			guesses++
			resp, body := doFrom(t, s.Server, "198.51.100.9", http.MethodPost, "/api/auth/login/mfa", map[string]string{"mfa_token": mfaToken, "code": "000000"})
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode, string(body))
		}
		s.Clock.Advance(20 * time.Second)
	}
	compared := 0
	for _, e := range s.auditEvents(t, core.AuditLoginMFAFailed) {
		if e.SubjectID == userID && e.Detail == "wrong or used code" {
			compared++
		}
	}
	assert.Greater(t, guesses, 150, "the attacker kept trying")
	assert.LessOrEqual(t, compared, 15, "codes compared in the hour, out of %d sent", guesses)
	assert.Positive(t, compared)
	notice, ok := s.mail.Last(memory.MailNotice, email)
	require.True(t, ok, "the person is told when the back-off locks")
	assert.Contains(t, notice.Subject, "failing")
}

// secretOf reads the TOTP key shown on an enrolment page.
func secretOf(t *testing.T, body string) string {
	t.Helper()
	const marker = `<code id="totp-secret">`
	i := strings.Index(body, marker)
	require.GreaterOrEqual(t, i, 0, "the key is shown: %s", body)
	rest := body[i+len(marker):]
	return rest[:strings.Index(rest, "<")]
}

// idTokenOf redeems a code and returns the ID token's claims.
func idTokenOf(t *testing.T, s *apptest.Server, c webClient, code, verifier string) map[string]any {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}, "client_id": {c.ID}}
	resp, body := s.PostForm(t, "/oauth/token", "", "", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	raw := decode[map[string]any](t, body)["id_token"]
	require.NotNil(t, raw, "an id_token with scope openid")
	return jwtClaims(t, raw.(string))
}

// TestMandatoryEnrolment: with MFA_REQUIRED_ROLES=admin an administrator
// without a second factor gets no token from the API, and in the browser
// must enrol after the password before any code is issued; then both ask
// for the code, and the ID token says two factors.
func TestMandatoryEnrolment(t *testing.T) {
	t.Parallel()
	s := startPeople(t, map[string]string{"MFA_REQUIRED_ROLES": "admin"})
	resp, body := tryLogin(t, s.Server, adminEmail, adminPassword)
	require.Equal(t, http.StatusForbidden, resp.StatusCode, string(body))
	assert.Equal(t, "mfa_enrollment_required", decode[mfaRequired](t, body).Error)
	assert.NotContains(t, string(body), "access_token")

	// A person without the role is not asked.
	register(t, s.Server, "plain@example.com", userPassword)
	login(t, s.Server, "plain@example.com", userPassword)

	app := newWebClient(t, s.Server, true, true, nil, "openid")
	p := newPKCE()
	b := apptest.NewBrowser(t, s.URL)
	page := b.Open(authorizeURL(s.Server, codeParams(app, p, "openid")))
	page = signIn(t, b, page, adminEmail, adminPassword)
	require.Nil(t, page.Left, "no code before enrolment")
	require.Contains(t, page.Body, "Set up two-step verification")
	assert.Contains(t, page.Body, `src="data:image/png;base64,`, "the QR code")
	first := secretOf(t, page.Body)
	require.Len(t, page.Forms, 1)
	assert.Contains(t, page.Forms[0].Inputs, "code")

	wrong := b.Submit(page, page.Forms[0], map[string]string{"code": "000000"}, "")
	require.Nil(t, wrong.Left)
	assert.Equal(t, http.StatusBadRequest, wrong.Status)
	secret := secretOf(t, wrong.Body) // a new key is shown with the form
	assert.NotEqual(t, first, secret, "a refused code does not keep the key it was shown with")
	page = b.Submit(wrong, wrong.Forms[0], map[string]string{"code": totpCode(t, s.Server, secret, 0)}, "")
	require.Equal(t, http.StatusOK, page.Status, page.Body)
	require.Contains(t, page.Body, `id="recovery-codes"`)
	assert.Equal(t, 10, strings.Count(page.Body, "<li><code>"))
	require.Len(t, s.auditEvents(t, core.AuditMFAEnrolled), 1)

	// Continue: the authorization request again, with the new session.
	cont := b.Open(authorizeURL(s.Server, codeParams(app, p, "openid")))
	require.NotNil(t, cont.Left, "the new session goes on to the code: %d %s", cont.Status, cont.Body)
	claims := idTokenOf(t, s.Server, app, cont.Left.Query().Get("code"), p.verifier)
	assert.Equal(t, []any{"pwd", "otp", "mfa"}, claims["amr"])
	assert.Equal(t, core.ACRMFA, claims["acr"])

	nextStep(s.Server)
	resp, body = loginMFA(t, s.Server, adminEmail, adminPassword, func() string { return totpCode(t, s.Server, secret, 0) })
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
}

// TestBrowserSecondFactorAndStepUp: in the browser the sign-in form is
// followed by the code form; acr_values=urn:identityd:acr:mfa asks a
// person signed in by password for the code even within a session; a
// wrong code gives no code; prompt=login asks for both again.
func TestBrowserSecondFactorAndStepUp(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	const email = "browser@example.com"
	register(t, s.Server, email, userPassword)
	token := login(t, s.Server, email, userPassword).AccessToken
	app := newWebClient(t, s.Server, true, true, nil, "openid")

	// A password session from before TOTP was turned on.
	b := apptest.NewBrowser(t, s.URL)
	p := newPKCE()
	code := authorize(t, s.Server, b, codeParams(app, p, "openid"), email, userPassword)
	claims := idTokenOf(t, s.Server, app, code, p.verifier)
	assert.Equal(t, []any{"pwd"}, claims["amr"])
	assert.Equal(t, core.ACRPassword, claims["acr"])

	secret, _ := enrolTOTP(t, s.Server, token, userPassword)

	t.Run("step-up within the session", func(t *testing.T) {
		p := newPKCE()
		params := codeParams(app, p, "openid")
		params["acr_values"] = core.ACRMFA
		page := b.Open(authorizeURL(s.Server, params))
		require.Nil(t, page.Left, "no code on the password session")
		require.Contains(t, page.Body, "Two-step verification")
		require.Len(t, page.Forms, 1)
		assert.NotContains(t, page.Forms[0].Inputs, "password", "only the code is asked")
		bad := b.Submit(page, page.Forms[0], map[string]string{"code": "000000"}, "")
		require.Nil(t, bad.Left)
		assert.Equal(t, http.StatusUnauthorized, bad.Status)
		s.Clock.Advance(time.Minute)
		page = b.Submit(bad, bad.Forms[0], map[string]string{"code": totpCode(t, s.Server, secret, 0)}, "")
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		claims := idTokenOf(t, s.Server, app, page.Left.Query().Get("code"), p.verifier)
		assert.Equal(t, core.ACRMFA, claims["acr"])
		none := codeParams(app, newPKCE(), "openid")
		none["acr_values"], none["prompt"] = core.ACRMFA, "none"
		again := b.Open(authorizeURL(s.Server, none))
		require.NotNil(t, again.Left, "the session now has two factors")
		assert.NotEmpty(t, again.Left.Query().Get("code"))
	})

	t.Run("a new sign-in asks for the password and then the code", func(t *testing.T) {
		nextStep(s.Server)
		fresh := apptest.NewBrowser(t, s.URL)
		p := newPKCE()
		page := fresh.Open(authorizeURL(s.Server, codeParams(app, p, "openid")))
		page = signIn(t, fresh, page, email, userPassword)
		require.Nil(t, page.Left, "no code after the password alone")
		require.Len(t, page.Forms, 1)
		require.Contains(t, page.Forms[0].Inputs, "code")
		s.Clock.Advance(time.Minute)
		page = fresh.Submit(page, page.Forms[0], map[string]string{"code": totpCode(t, s.Server, secret, 0)}, "")
		require.NotNil(t, page.Left, "%d %s", page.Status, page.Body)
		claims := idTokenOf(t, s.Server, app, page.Left.Query().Get("code"), p.verifier)
		assert.Equal(t, []any{"pwd", "otp", "mfa"}, claims["amr"])

		login := codeParams(app, newPKCE(), "openid")
		login["prompt"] = "login"
		page = fresh.Open(authorizeURL(s.Server, login))
		require.Nil(t, page.Left)
		require.Contains(t, page.Forms[0].Inputs, "password", "prompt=login asks for the password again")
		page = signIn(t, fresh, page, email, userPassword)
		require.Nil(t, page.Left, "and then the code")
		require.Contains(t, page.Forms[0].Inputs, "code")
	})

	t.Run("discovery lists the acr values", func(t *testing.T) {
		resp, body := s.Do(t, http.MethodGet, "/.well-known/openid-configuration", "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		md := decode[map[string]any](t, body)
		assert.Equal(t, []any{core.ACRPassword, core.ACRMFA}, md["acr_values_supported"])
	})
}

// TestRemoveFactorsByAdministrator: DELETE /api/users/{id}/mfa needs
// users:write; it removes every factor, is audited once, and the person is
// mailed; they then sign in with the password alone.
func TestRemoveFactorsByAdministrator(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	const email = "lostphone@example.com"
	userID := register(t, s.Server, email, userPassword)
	token := login(t, s.Server, email, userPassword).AccessToken
	enrolTOTP(t, s.Server, token, userPassword)

	reader := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "users:read")
	require.Equal(t, http.StatusOK, reader.Status, reader.ErrorDescription)
	tests := []struct {
		name       string
		giveToken  string
		givePath   string
		wantStatus int
	}{
		{"no token", "", "/api/users/" + userID + "/mfa", http.StatusUnauthorized},
		{"the person's own token", token, "/api/users/" + userID + "/mfa", http.StatusForbidden},
		{"users:read only", reader.AccessToken, "/api/users/" + userID + "/mfa", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Do(t, http.MethodDelete, tt.givePath, tt.giveToken, nil)
			assert.Equal(t, tt.wantStatus, resp.StatusCode, string(body))
		})
	}
	mfaOf := func() map[string]any {
		t.Helper()
		resp, body := s.Do(t, http.MethodGet, "/api/users/"+userID, reader.AccessToken, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		return decode[map[string]any](t, body)["mfa"].(map[string]any)
	}
	assert.Equal(t, true, mfaOf()["totp"], "the user shape's mfa field")
	resp, _ := tryLogin(t, s.Server, email, userPassword)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "still two factors")
	assert.Empty(t, s.auditEvents(t, core.AuditMFARemoved))

	writer := s.ClientCredentials(t, apptest.AdminClientID, apptest.AdminClientSecret, "users:write")
	require.Equal(t, http.StatusOK, writer.Status, writer.ErrorDescription)
	resp, body := s.Do(t, http.MethodDelete, "/api/users/00000000-0000-4000-8000-000000000000/mfa", writer.AccessToken, nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
	resp, body = s.Do(t, http.MethodDelete, "/api/users/"+userID+"/mfa", writer.AccessToken, nil)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	removed := s.auditEvents(t, core.AuditMFARemoved)
	require.Len(t, removed, 1)
	assert.Equal(t, userID, removed[0].SubjectID)
	notice, ok := s.mail.Last(memory.MailNotice, email)
	require.True(t, ok)
	assert.Contains(t, notice.Subject, "removed")
	assert.Equal(t, false, mfaOf()["totp"])
	s.Clock.Advance(time.Minute)
	login(t, s.Server, email, userPassword)
}
