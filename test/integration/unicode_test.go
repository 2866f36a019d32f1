package integration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
)

// The same password typed on two devices: NFC (most keyboards) and NFD
// (macOS sends decomposed accents).
const (
	pwNFC = "Pässwörter-für-Ärzte-2026"
	pwNFD = "Pa\u0308sswo\u0308rter-fu\u0308r-A\u0308rzte-2026"
)

// Passwords (RFC 8265 OpaqueString) and e-mail addresses (RFC 8265 / RFC
// 6532: width, case and NFC) are normalised on every path that takes them:
// register, the login API, the login form, password change, password reset,
// account deletion.
func TestUnicodeNormalisation(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	require.NotEqual(t, pwNFC, pwNFD)
	register(t, s.Server, "jörg@example.com", pwNFC)

	t.Run("login API", func(t *testing.T) {
		tests := []struct{ name, email, password string }{
			{"as registered", "jörg@example.com", pwNFC},
			{"password in NFD", "jörg@example.com", pwNFD},
			{"address in NFD", "jo\u0308rg@example.com", pwNFC},
			{"address in upper case", "JÖRG@EXAMPLE.COM", pwNFD},
			{"address in fullwidth forms", "ｊöｒｇ＠ｅｘａｍｐｌｅ．ｃｏｍ", pwNFC},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp, body := tryLogin(t, s.Server, tt.email, tt.password)
				assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			})
		}
		resp, _ := tryLogin(t, s.Server, "jörg@example.com", strings.ToUpper(pwNFC))
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "passwords keep their case")
	})

	t.Run("register refuses the same address in another form", func(t *testing.T) {
		for _, email := range []string{"jo\u0308rg@example.com", "JÖRG@example.com"} {
			resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
				"email": email, "password": pwNFC, "first_name": "J", "last_name": "K",
			})
			assert.Equal(t, http.StatusConflict, resp.StatusCode, string(body))
		}
		resp, body := s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
			"email": "bell@example.com", "password": "Ring-\u0007-Bell-2026", "first_name": "J", "last_name": "K",
		})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "a control character is no part of a password")
		assert.Contains(t, decode[errBody](t, body).Fields, "password")
	})

	t.Run("login form", func(t *testing.T) {
		c := newWebClient(t, s.Server, false, true, nil, "notes:read")
		p := newPKCE()
		code := authorize(t, s.Server, apptest.NewBrowser(t, s.URL), codeParams(c, p, ""), "JO\u0308RG@example.com", pwNFD)
		tr := exchange(t, s.Server, c, code, callback, p.verifier)
		assert.Equal(t, http.StatusOK, tr.Status, tr.ErrorDescription)
	})

	t.Run("password change, then reset", func(t *testing.T) {
		lb := login(t, s.Server, "jörg@example.com", pwNFD)
		changed := "Neue-Pässwörter-2027"
		changedNFD := "Neue-Pa\u0308sswo\u0308rter-2027"
		resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": pwNFD, "password": changedNFD})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		login(t, s.Server, "jörg@example.com", changed)

		resp, body = s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "JO\u0308RG@example.com"})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
		var m memory.SentMail
		require.Eventually(t, func() bool {
			var ok bool
			m, ok = s.mail.LastTo("jörg@example.com")
			return ok
		}, 5*time.Second, 10*time.Millisecond, "the reset mail goes to the stored address")
		resp, body = s.Do(t, http.MethodPost, "/api/auth/password-reset/confirm", "", map[string]string{"token": m.Token, "password": pwNFD})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		login(t, s.Server, "jörg@example.com", pwNFC)
	})

	t.Run("account deletion", func(t *testing.T) {
		register(t, s.Server, "zoë@example.com", pwNFD)
		lb := login(t, s.Server, "zoe\u0308@example.com", pwNFC)
		resp, body := s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": pwNFD})
		require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
		resp, _ = tryLogin(t, s.Server, "zoë@example.com", pwNFC)
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	})
}

// bcrypt reads 72 bytes. A password longer than what is checked never
// signs in and never confirms a change: "<72 bytes>anything-else" is not
// the 72-byte password, at login, on the login form, in a password change
// and at account deletion. Passwords over 72 bytes are refused when set.
func TestPasswordOver72BytesNeverMatches(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	exact := strings.Repeat("Zq7!", 18)
	require.Len(t, exact, 72)
	longer := exact + "anything-else"
	register(t, s.Server, "ada@example.com", exact)

	resp, _ := tryLogin(t, s.Server, "ada@example.com", longer)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "login API")
	lb := login(t, s.Server, "ada@example.com", exact)

	c := newWebClient(t, s.Server, false, true, nil, "notes:read")
	b := apptest.NewBrowser(t, s.URL)
	page := signIn(t, b, b.Open(authorizeURL(s.Server, codeParams(c, newPKCE(), ""))), "ada@example.com", longer)
	assert.Nil(t, page.Left, "login form: no code")
	assert.Equal(t, http.StatusUnauthorized, page.Status)

	resp, body := s.Do(t, http.MethodPatch, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": longer, "password": "Another-Password-2026"})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "password change: %s", body)

	resp, body = s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": longer})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "account deletion: %s", body)
	mustGet(t, s.Server, "/api/auth/me", lb.AccessToken)
	s.Clock.Advance(time.Hour) // past the back-off the four failures started
	login(t, s.Server, "ada@example.com", exact)

	// 24 three-byte characters are 72 bytes; one more is over, however
	// few characters it looks like.
	resp, body = s.Do(t, http.MethodPost, "/api/auth/register", "", map[string]string{
		"email": "kana@example.com", "password": strings.Repeat("あ", 25), "first_name": "K", "last_name": "N",
	})
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.Contains(t, decode[errBody](t, body).Fields["password"], "72 bytes")
}
