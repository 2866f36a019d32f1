package mail

import (
	"context"
	"log/slog"

	"github.com/identityd/identityd/ports"
)

// Log "sends" mail by writing a log line. The reset token itself is only
// logged when RevealTokens is set, which the application does for
// LOG_LEVEL=debug in development, so a developer can finish a reset.
type Log struct {
	logger       *slog.Logger
	revealTokens bool
}

var _ ports.Mailer = (*Log)(nil)

// NewLog returns the log mailer.
func NewLog(logger *slog.Logger, revealTokens bool) *Log {
	return &Log{logger: logger, revealTokens: revealTokens}
}

// SendPasswordReset implements ports.Mailer.
func (m *Log) SendPasswordReset(ctx context.Context, email, token string, ttlMinutes int) error {
	attrs := []slog.Attr{slog.String("to", email), slog.Int("valid_minutes", ttlMinutes)}
	if m.revealTokens {
		m.logger.LogAttrs(ctx, slog.LevelDebug, "password reset requested (development: token shown)", append(attrs, slog.String("reset_token", token))...)
		return nil
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "password reset requested; no mail service is configured, so no mail was sent", attrs...)
	return nil
}

// SendEmailVerification implements ports.Mailer.
func (m *Log) SendEmailVerification(ctx context.Context, email, token string, ttlMinutes int) error {
	attrs := []slog.Attr{slog.String("to", email), slog.Int("valid_minutes", ttlMinutes)}
	if m.revealTokens {
		m.logger.LogAttrs(ctx, slog.LevelDebug, "e-mail verification (development: token shown)", append(attrs, slog.String("verify_token", token))...)
		return nil
	}
	m.logger.LogAttrs(ctx, slog.LevelInfo, "e-mail verification; no mail service is configured, so no mail was sent", attrs...)
	return nil
}

// SendNotice implements ports.Mailer: one log line naming the subject.
func (m *Log) SendNotice(ctx context.Context, email, subject, _ string) error {
	m.logger.LogAttrs(ctx, slog.LevelInfo, "security notice; no mail service is configured, so no mail was sent", slog.String("to", email), slog.String("subject", subject))
	return nil
}
