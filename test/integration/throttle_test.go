package integration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
)

// Consecutive failed logins for one account make it wait, then lock it with
// back-off; the lock ends by itself, a locked account answers exactly like a
// wrong password, and a success clears the count.
func TestLoginBruteForceDefence(t *testing.T) {
	t.Parallel()
	// The policy's waits are long enough that the real time a test takes
	// never ends one; the test clock moves instead.
	policy := core.LoginThrottle{FreeAttempts: 3, BaseDelay: 10 * time.Minute, LockAfter: 5, LockBase: time.Hour, MaxLock: 2 * time.Hour, ForgetAfter: 24 * time.Hour}
	s := startPeople(t, nil, fx.Decorate(func(core.LoginThrottle) core.LoginThrottle { return policy }))
	register(t, s.Server, "ada@example.com", userPassword)
	_, wrongBody := tryLogin(t, s.Server, "nobody@example.com", "Wrong-Password-1")

	fail := func() {
		t.Helper()
		resp, body := tryLogin(t, s.Server, "ada@example.com", "Wrong-Password-1")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		assert.JSONEq(t, string(wrongBody), string(body))
	}
	refused := func(msg string) {
		t.Helper()
		resp, body := tryLogin(t, s.Server, "ada@example.com", userPassword)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, msg)
		assert.JSONEq(t, string(wrongBody), string(body), "a locked account answers like a wrong password")
	}

	t.Run("free attempts, then a growing delay", func(t *testing.T) {
		for range policy.FreeAttempts {
			fail()
		}
		refused("the right password during the delay after the third failure")
		s.Clock.Advance(policy.Wait(policy.FreeAttempts))
		login(t, s.Server, "ada@example.com", userPassword)
		// The success cleared the count: one wrong then the right one.
		fail()
		login(t, s.Server, "ada@example.com", userPassword)
	})

	t.Run("a lock with back-off that ends by itself", func(t *testing.T) {
		for i := 1; i <= policy.LockAfter; i++ {
			fail()
			s.Clock.Advance(policy.Wait(i))
		}
		// The clock has now passed the first lock; one more failure
		// locks for twice as long.
		fail()
		lock := policy.Wait(policy.LockAfter + 1)
		require.Equal(t, 2*time.Hour, lock)
		refused("at once")
		s.Clock.Advance(lock - time.Minute)
		refused("a minute before the lock ends")
		// Attempts during the lock did not extend it.
		s.Clock.Advance(time.Minute)
		login(t, s.Server, "ada@example.com", userPassword)
	})

	t.Run("audited", func(t *testing.T) {
		var locked []string
		for _, e := range s.auditEvents(t, core.AuditLoginFailed) {
			if strings.HasSuffix(e.Detail, "in login back-off") {
				locked = append(locked, e.Detail)
			}
		}
		// The first refusal came before the address had signed in; the
		// others counted in the address's own bucket.
		assert.Equal(t, []string{"account in login back-off", "known device in login back-off", "known device in login back-off"}, locked)
	})

	t.Run("the lock also guards the password check of /api/auth/me", func(t *testing.T) {
		lb := login(t, s.Server, "ada@example.com", userPassword)
		for range policy.FreeAttempts {
			resp, _ := s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": "Wrong-Password-1"})
			require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		}
		resp, _ := s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": userPassword})
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, "refused during the delay")
		s.Clock.Advance(policy.Wait(policy.FreeAttempts))
		resp, _ = s.Do(t, http.MethodDelete, "/api/auth/me", lb.AccessToken, map[string]string{"current_password": userPassword})
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	})
}
