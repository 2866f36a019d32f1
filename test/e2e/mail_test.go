package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/mail/smtptest"
	"github.com/identityd/identityd/test/e2e"
)

// The binary sends the verification mail through SMTP_URL to a real SMTP
// server, with the link under ISSUER_URL and the sender MAIL_FROM.
func TestBinarySendsMailThroughSMTP(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.Plain, User: "mailer", Pass: "p@ss word"})
	p := e2e.Start(t, map[string]string{"SMTP_URL": srv.URL.String(), "MAIL_FROM": "Accounts <accounts@example.org>"})
	body, _ := json.Marshal(map[string]string{"email": "grace@example.com", "password": "Compiler-Pioneer-1952", "first_name": "Grace", "last_name": "Hopper"})
	resp, err := p.Client(t).Post(p.URL+"/api/auth/register", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	m := srv.WaitFor(t, "grace@example.com", 1, 15*time.Second)[0]
	assert.Equal(t, "accounts@example.org", m.From)
	assert.Equal(t, "mailer", m.AuthUser)
	assert.Contains(t, m.Text, "/verify-email?token=")
	assert.Contains(t, m.HTML, "/verify-email?token=")
	assert.NotContains(t, p.Stdout()+p.Stderr(), "p@ss word", "the SMTP password is never printed")
}

// A production server without SMTP_URL says at start that no mail goes
// out.
func TestProductionWithoutSMTPWarns(t *testing.T) {
	t.Parallel()
	p := e2e.Start(t, map[string]string{"APP_ENV": "production", "ISSUER_URL": "https://id.example.com", "SMTP_URL": "", "SHUTDOWN_DRAIN_DELAY": "0"})
	assert.True(t, strings.Contains(p.Stdout(), "SMTP_URL is not set: password reset and e-mail verification mails go nowhere"), p.Stdout())
}
