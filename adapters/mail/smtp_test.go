package mail_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/mail"
	"github.com/identityd/identityd/adapters/mail/smtptest"
)

func newSMTP(t *testing.T, srv *smtptest.Server, u *url.URL) *mail.SMTP {
	t.Helper()
	tmpl, err := mail.NewTemplates("https://id.example.com")
	require.NoError(t, err)
	m, err := mail.NewSMTP(mail.SMTPOptions{URL: u, From: `"identityd" <no-reply@id.example.com>`, Templates: tmpl, RootCAs: srv.RootCAs, Timeout: 5 * time.Second})
	require.NoError(t, err)
	return m
}

// Each way of reaching an SMTP server delivers a text and an HTML part
// with the link, to a real server.
func TestSMTPDelivers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     smtptest.Options
		wantTLS  bool
		wantUser string
	}{
		{"loopback without TLS", smtptest.Options{Security: smtptest.Plain}, false, ""},
		{"loopback without TLS, with AUTH", smtptest.Options{Security: smtptest.Plain, User: "app", Pass: "p@ss"}, false, "app"},
		{"STARTTLS with AUTH", smtptest.Options{Security: smtptest.StartTLS, User: "app", Pass: "s3cret pass"}, true, "app"},
		{"implicit TLS (smtps) with AUTH", smtptest.Options{Security: smtptest.Implicit, User: "app", Pass: "s3cret"}, true, "app"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := smtptest.Start(t, tt.opts)
			m := newSMTP(t, srv, srv.URL)
			require.NoError(t, m.SendPasswordReset(t.Context(), "ada@example.com", "tok/en+1", 60))
			got := srv.WaitFor(t, "ada@example.com", 1, 5*time.Second)[0]
			assert.Equal(t, "no-reply@id.example.com", got.From)
			assert.Equal(t, "Reset your password", got.Subject)
			assert.Equal(t, tt.wantTLS, got.TLS)
			assert.Equal(t, tt.wantUser, got.AuthUser)
			link := "https://id.example.com/password-reset/confirm?token=tok%2Fen%2B1"
			assert.Contains(t, got.Text, link)
			assert.Contains(t, got.Text, "one hour")
			assert.Contains(t, got.HTML, `href="`+link+`"`)
			assert.Contains(t, got.HTML, "Choose a new password")

			require.NoError(t, m.SendEmailVerification(t.Context(), "ada@example.com", "v.1.2", 48*60))
			got = srv.WaitFor(t, "ada@example.com", 2, 5*time.Second)[1]
			assert.Equal(t, "Confirm your e-mail address", got.Subject)
			assert.Contains(t, got.Text, "https://id.example.com/verify-email?token=v.1.2")
			assert.Contains(t, got.Text, "2 days")
		})
	}
}

// Wrong credentials, an untrusted certificate and a server that is not
// there are errors, and none of them repeats the password.
func TestSMTPFailures(t *testing.T) {
	t.Parallel()
	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, User: "app", Pass: "right"})
		u := *srv.URL
		u.User = url.UserPassword("app", "wrong-pass-word")
		err := newSMTP(t, srv, &u).SendPasswordReset(t.Context(), "ada@example.com", "t", 60)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "wrong-pass-word")
		assert.Empty(t, srv.Messages())
	})
	t.Run("certificate not trusted", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Implicit})
		tmpl, err := mail.NewTemplates("https://id.example.com")
		require.NoError(t, err)
		m, err := mail.NewSMTP(mail.SMTPOptions{URL: srv.URL, From: "no-reply@id.example.com", Templates: tmpl, Timeout: 5 * time.Second})
		require.NoError(t, err)
		assert.Error(t, m.SendPasswordReset(t.Context(), "ada@example.com", "t", 60))
		assert.Empty(t, srv.Messages())
	})
	t.Run("nobody listening, within the context's time", func(t *testing.T) {
		t.Parallel()
		srv := smtptest.Start(t, smtptest.Options{})
		u, _ := url.Parse("smtp://127.0.0.1:1")
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		start := time.Now()
		err := newSMTP(t, srv, u).SendPasswordReset(ctx, "ada@example.com", "t", 60)
		require.Error(t, err)
		assert.Less(t, time.Since(start), 4*time.Second)
		assert.True(t, strings.Contains(err.Error(), "127.0.0.1"), err.Error())
	})
}
