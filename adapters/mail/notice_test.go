package mail_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/mail"
	"github.com/identityd/identityd/adapters/mail/smtptest"
)

// A security notice goes out in the layout of every mail, with the brand,
// and its text as given.
func TestSMTPSendsNotices(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain})
	tmpl, err := mail.NewTemplates("https://id.example.com", mail.WithBrand(mail.Brand{Name: "Acme"}))
	require.NoError(t, err)
	m, err := mail.NewSMTP(mail.SMTPOptions{URL: srv.URL, From: "no-reply@id.example.com", Templates: tmpl, Timeout: 5 * time.Second})
	require.NoError(t, err)
	require.NoError(t, m.SendNotice(t.Context(), "ada@example.com", "Your e-mail address is being changed", "Nothing changes unless the link is followed."))
	got := srv.WaitFor(t, "ada@example.com", 1, 5*time.Second)[0]
	assert.Contains(t, got.HTML, "Acme · id.example.com")
	assert.Contains(t, got.HTML, "Nothing changes unless the link is followed.")
	assert.Contains(t, got.Text, "Nothing changes unless the link is followed.")
}
