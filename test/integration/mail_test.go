package integration_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// Only a few reset mails per account and hour are sent; every request is
// answered 202 all the same (contract §3, issue 10 part 2).
func TestPasswordResetMailsPerAccountAreLimited(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	register(t, s.Server, "bob@example.com", userPassword)
	countTo := func(email string) int {
		n := 0
		for _, m := range s.mail.Sent() {
			if m.To == email && m.Kind == memory.MailPasswordReset {
				n++
			}
		}
		return n
	}
	for range service.MailsPerAccount.Limit + 3 {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "ada@example.com"})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
	}
	assert.Equal(t, service.MailsPerAccount.Limit, countTo("ada@example.com"), "further requests send nothing")
	resp, _ := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "bob@example.com"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, 1, countTo("bob@example.com"), "the limit is per account")

	s.Clock.Advance(time.Hour + time.Minute)
	resp, _ = s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": "ada@example.com"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	assert.Equal(t, service.MailsPerAccount.Limit+1, countTo("ada@example.com"), "an hour later mail goes out again")
}

// blockingMailer holds every send until released.
type blockingMailer struct {
	*memory.Mailer
	release chan struct{}
	once    sync.Once
}

func (m *blockingMailer) SendPasswordReset(ctx context.Context, email, token string, ttl int) error {
	select {
	case <-m.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return m.Mailer.SendPasswordReset(ctx, email, token, ttl)
}

// The reset request does its work off the request path: with the mail
// server hanging, a known address is answered as fast as an unknown one,
// and the mail goes out once the server answers.
func TestPasswordResetAnswersBeforeTheMailIsSent(t *testing.T) {
	t.Parallel()
	m := &blockingMailer{Mailer: memory.NewMailer(), release: make(chan struct{})}
	s := apptest.Start(t, nil, fx.Decorate(func(ports.Mailer) ports.Mailer { return m }))
	t.Cleanup(func() { m.once.Do(func() { close(m.release) }) })
	register(t, s, "ada@example.com", userPassword)
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		start := time.Now()
		resp, body := s.Do(t, http.MethodPost, "/api/auth/password-reset", "", map[string]string{"email": email})
		require.Equal(t, http.StatusAccepted, resp.StatusCode, string(body))
		// The mail server hangs until released: any answer shows the request
		// did not wait for it; the bound only keeps a regression from
		// hanging the test.
		assert.Less(t, time.Since(start), 10*time.Second, "%s: answered without waiting for the mail", email)
	}
	_, sent := m.LastTo("ada@example.com")
	assert.False(t, sent, "the mail server has not answered yet")
	m.once.Do(func() { close(m.release) })
	require.Eventually(t, func() bool { _, ok := m.LastTo("ada@example.com"); return ok }, 10*time.Second, 10*time.Millisecond)
}

// Registration mails a verification link; following it sets
// email_verified, once.
func TestVerifyEmail(t *testing.T) {
	t.Parallel()
	s := startPeople(t, nil)
	register(t, s.Server, "ada@example.com", userPassword)
	lb := login(t, s.Server, "ada@example.com", userPassword)
	me := func() map[string]any {
		resp, body := s.Do(t, http.MethodGet, "/api/auth/me", lb.AccessToken, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return decode[map[string]any](t, body)
	}
	assert.Equal(t, false, me()["email_verified"])
	m, ok := s.mail.Last(memory.MailVerifyEmail, "ada@example.com")
	require.True(t, ok, "a verification mail after registration")
	assert.NotContains(t, s.Logs(), m.Token, "the token never reaches the log")

	verify := func(token any) (*http.Response, errBody) {
		resp, body := s.Do(t, http.MethodPost, "/api/auth/verify-email", "", map[string]any{"token": token})
		var e errBody
		if len(body) > 0 {
			e = decode[errBody](t, body)
		}
		return resp, e
	}
	for _, bad := range []any{"", "x", m.Token + "x", "00000000-0000-0000-0000-000000000000.zz.abc", m.Token[:len(m.Token)-2] + "00"} {
		resp, e := verify(bad)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%q", bad)
		assert.Contains(t, e.Fields, "token")
	}
	assert.Equal(t, false, me()["email_verified"], "bad tokens change nothing")

	resp, _ := verify(m.Token)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, true, me()["email_verified"])
	resp, e := verify(m.Token)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "single-use")
	assert.Equal(t, "is invalid, already used or expired", e.Fields["token"])

	t.Run("expired", func(t *testing.T) {
		register(t, s.Server, "bob@example.com", userPassword)
		m, ok := s.mail.Last(memory.MailVerifyEmail, "bob@example.com")
		require.True(t, ok)
		s.Clock.Advance(service.VerifyEmailTTL + time.Minute)
		resp, _ := verify(m.Token)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}
