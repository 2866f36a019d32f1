package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/identityd/identityd/ports"
)

// SMTPOptions configure the SMTP mailer.
type SMTPOptions struct {
	// URL is SMTP_URL: smtp://[user:pass@]host[:587] speaks STARTTLS,
	// which is required unless the host is a loopback address (then it
	// is used when offered); smtps://[user:pass@]host[:465] speaks TLS
	// from the first byte (RFC 8314 §3.3).
	URL *url.URL
	// From is the sender (MAIL_FROM).
	From string
	// Timeout bounds connecting and each SMTP command; default 15 s.
	Timeout time.Duration
	// RootCAs replaces the system's certificate authorities (tests).
	RootCAs *x509.CertPool
	// Templates render the messages.
	Templates *Templates
}

// SMTP sends mail through an SMTP server with go-mail. Each message gets
// its own connection: identityd sends few mails, and a fresh connection
// cannot be left in a bad state by an earlier failure. Sending takes as
// long as the server does; the service calls it from its mail queue, off
// the request path.
type SMTP struct {
	opts    []gomail.Option
	from    string
	host    string
	tmpl    *Templates
	timeout time.Duration
}

var _ ports.Mailer = (*SMTP)(nil)

// NewSMTP checks the options and returns the mailer; it does not connect.
func NewSMTP(o SMTPOptions) (*SMTP, error) {
	if o.URL == nil || o.Templates == nil {
		return nil, errors.New("smtp mailer: URL and Templates are required")
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	host := o.URL.Hostname()
	tlsConfig := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, RootCAs: o.RootCAs}
	opts := []gomail.Option{gomail.WithTimeout(o.Timeout), gomail.WithTLSConfig(tlsConfig)}
	port := 587
	switch o.URL.Scheme {
	case "smtps":
		port = 465
		opts = append(opts, gomail.WithSSL())
	case "smtp":
		policy := gomail.TLSMandatory
		if isLoopback(host) {
			policy = gomail.TLSOpportunistic
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	default:
		return nil, fmt.Errorf("smtp mailer: scheme %q is not smtp or smtps", o.URL.Scheme)
	}
	if p := o.URL.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("smtp mailer: port %q: %w", p, err)
		}
		port = n
	}
	opts = append(opts, gomail.WithPort(port))
	if user := o.URL.User; user != nil && user.Username() != "" {
		pass, _ := user.Password()
		// The strongest mechanism the server offers; discovery never sends
		// a password without TLS. On loopback, where TLS is optional,
		// PLAIN (RFC 4616), which go-mail allows unencrypted only there.
		auth := gomail.SMTPAuthAutoDiscover
		if isLoopback(host) {
			auth = gomail.SMTPAuthPlain
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(user.Username()), gomail.WithPassword(pass))
	}
	return &SMTP{opts: opts, from: o.From, host: host, tmpl: o.Templates, timeout: o.Timeout}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// SendPasswordReset implements ports.Mailer.
func (m *SMTP) SendPasswordReset(ctx context.Context, email, token string, ttlMinutes int) error {
	msg, err := m.tmpl.render(kindReset, email, token, ttlMinutes)
	if err != nil {
		return err
	}
	return m.send(ctx, msg)
}

// SendEmailVerification implements ports.Mailer.
func (m *SMTP) SendEmailVerification(ctx context.Context, email, token string, ttlMinutes int) error {
	msg, err := m.tmpl.render(kindVerify, email, token, ttlMinutes)
	if err != nil {
		return err
	}
	return m.send(ctx, msg)
}

// SendNotice implements ports.Mailer.
func (m *SMTP) SendNotice(ctx context.Context, email, subject, text string) error {
	msg, err := m.tmpl.renderNotice(email, subject, text)
	if err != nil {
		return err
	}
	return m.send(ctx, msg)
}

// send delivers one message. Errors name the server, never the
// credentials or the message.
func (m *SMTP) send(ctx context.Context, msg Message) error {
	gm := gomail.NewMsg()
	if err := gm.From(m.from); err != nil {
		return fmt.Errorf("smtp: sender: %w", err)
	}
	if err := gm.To(msg.To); err != nil {
		return fmt.Errorf("smtp: recipient: %w", err)
	}
	gm.Subject(msg.Subject)
	gm.SetDate()
	gm.SetMessageID()
	gm.SetBodyString(gomail.TypeTextPlain, msg.Text)
	gm.AddAlternativeString(gomail.TypeTextHTML, msg.HTML)
	c, err := gomail.NewClient(m.host, m.opts...)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 2*m.timeout)
		defer cancel()
	}
	if err := c.DialAndSendWithContext(ctx, gm); err != nil {
		return fmt.Errorf("smtp %s: %w", m.host, err)
	}
	return nil
}
