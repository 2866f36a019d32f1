package http

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

// Cookies signed under a former JWT_REFRESH_SECRET keep working while it
// is configured as the previous key; new ones are signed with the current
// key, and without the previous key the old ones stop.
func TestSessionCookiesUnderThePreviousKey(t *testing.T) {
	keyA, keyB := []byte("A-0123456789abcdef0123456789abcdef"), []byte("B-0123456789abcdef0123456789abcdef")
	now := time.Unix(1_800_000_000, 0)
	u := core.User{ID: "u1", PasswordHash: "$2a$10$hash"}
	underA := newSessions(SessionConfig{Key: keyA, TTL: time.Hour})
	rotating := newSessions(SessionConfig{Key: keyB, PreviousKey: keyA, TTL: time.Hour})
	onlyB := newSessions(SessionConfig{Key: keyB, TTL: time.Hour})

	// cookies returns a request carrying the cookies s sets: a session, a
	// CSRF seed (with its form token) and a device cookie.
	cookies := func(s *sessions) (*http.Request, string) {
		w := httptest.NewRecorder()
		s.start(w, u, now)
		token := s.csrfToken(w, httptest.NewRequest(http.MethodGet, "/", nil))
		s.setDevice(w, "AAAAAAAAAAAAAAAAAAAAAA")
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, c := range w.Result().Cookies() {
			r.AddCookie(c)
		}
		return r, token
	}
	accepts := func(t *testing.T, s *sessions, r *http.Request, token string) bool {
		t.Helper()
		id, tag, _, sessionOK := s.userID(r, now)
		if sessionOK {
			assert.Equal(t, u.ID, id)
			sessionOK = s.valid(u, tag)
		}
		_, deviceOK := s.device(r)
		csrfOK := s.checkCSRF(r, token)
		require.Equal(t, sessionOK, deviceOK, "session and device cookies agree")
		require.Equal(t, sessionOK, csrfOK, "session and CSRF agree")
		return sessionOK
	}

	oldReq, oldToken := cookies(underA)
	assert.True(t, accepts(t, underA, oldReq, oldToken))
	assert.True(t, accepts(t, rotating, oldReq, oldToken), "signed under the previous key")
	assert.False(t, accepts(t, onlyB, oldReq, oldToken), "the previous key removed")

	newReq, newToken := cookies(rotating)
	assert.True(t, accepts(t, onlyB, newReq, newToken), "new cookies are signed with the current key")
	assert.False(t, accepts(t, underA, newReq, newToken))

	// A session of another account, or with another password, does not
	// verify under either key.
	_, tag, _, ok := rotating.userID(oldReq, now)
	require.True(t, ok)
	assert.False(t, rotating.valid(core.User{ID: "u1", PasswordHash: "$2a$10$other"}, tag))
}
