package mail_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/mail"
	"github.com/identityd/identityd/adapters/mail/smtptest"
)

// BRAND_NAME and BRAND_PRIMARY_COLOR change every mail; without them the
// mails are identityd's own.
func TestMailsCarryTheBrand(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	send := func(opts ...mail.Option) smtptest.Message {
		tmpl, err := mail.NewTemplates("https://id.example.com", opts...)
		require.NoError(t, err)
		m, err := mail.NewSMTP(mail.SMTPOptions{URL: srv.URL, From: "no-reply@id.example.com", Templates: tmpl, Timeout: 5 * time.Second})
		require.NoError(t, err)
		n := len(srv.Messages())
		require.NoError(t, m.SendEmailVerification(t.Context(), "ada@example.com", "v.1", 60))
		return srv.WaitFor(t, "ada@example.com", n+1, 5*time.Second)[n]
	}
	plain := send()
	assert.Contains(t, plain.HTML, "identityd · id.example.com")
	assert.Contains(t, plain.Text, "identityd · id.example.com")

	branded := send(mail.WithBrand(mail.Brand{Name: "Acme <Sign-in>", PrimaryColor: "#0a7f3c"}))
	assert.Contains(t, branded.HTML, "Acme &lt;Sign-in&gt; · id.example.com", "the name is escaped in HTML")
	assert.NotContains(t, branded.HTML, "identityd ·")
	assert.Contains(t, branded.HTML, "#0a7f3c")
	assert.Contains(t, branded.Text, "Acme <Sign-in> · id.example.com")
}
