package memory

import (
	"context"
	"sync"

	"github.com/identityd/identityd/ports"
)

// SentMail is one message the recording mailer received.
type SentMail struct {
	// Kind is MailPasswordReset or MailVerifyEmail.
	Kind       string
	To         string
	Token      string
	TTLMinutes int
	// Subject and Text are those of a MailNotice.
	Subject string
	Text    string
}

// Kinds of SentMail.
const (
	MailPasswordReset = "password-reset"
	MailVerifyEmail   = "verify-email"
	MailNotice        = "notice"
)

// Mailer records the mail it is asked to send, for tests to read.
type Mailer struct {
	mu   sync.Mutex
	sent []SentMail
}

var _ ports.Mailer = (*Mailer)(nil)

// NewMailer returns an empty recording mailer.
func NewMailer() *Mailer { return &Mailer{} }

// SendPasswordReset implements ports.Mailer.
func (m *Mailer) SendPasswordReset(_ context.Context, email, token string, ttlMinutes int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, SentMail{Kind: MailPasswordReset, To: email, Token: token, TTLMinutes: ttlMinutes})
	return nil
}

// SendEmailVerification implements ports.Mailer.
func (m *Mailer) SendEmailVerification(_ context.Context, email, token string, ttlMinutes int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, SentMail{Kind: MailVerifyEmail, To: email, Token: token, TTLMinutes: ttlMinutes})
	return nil
}

// SendNotice implements ports.Mailer.
func (m *Mailer) SendNotice(_ context.Context, email, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, SentMail{Kind: MailNotice, To: email, Subject: subject, Text: text})
	return nil
}

// Sent returns the recorded messages in order.
func (m *Mailer) Sent() []SentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]SentMail(nil), m.sent...)
}

// LastTo returns the last password-reset message sent to email.
func (m *Mailer) LastTo(email string) (SentMail, bool) { return m.Last(MailPasswordReset, email) }

// Last returns the last message of kind sent to email.
func (m *Mailer) Last(kind, email string) (SentMail, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].To == email && m.sent[i].Kind == kind {
			return m.sent[i], true
		}
	}
	return SentMail{}, false
}
