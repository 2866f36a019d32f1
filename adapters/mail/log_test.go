package mail_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/mail"
)

func TestLogMailer(t *testing.T) {
	tests := []struct {
		name      string
		giveLevel slog.Level
		giveShow  bool
		wantToken bool
	}{
		{"token hidden by default", slog.LevelInfo, false, false},
		{"token hidden at debug unless revealed", slog.LevelDebug, false, false},
		{"token shown when revealed", slog.LevelDebug, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			m := mail.NewLog(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tt.giveLevel})), tt.giveShow)
			require.NoError(t, m.SendPasswordReset(t.Context(), "ada@example.com", "secret-token-value", 60))
			assert.Contains(t, buf.String(), "password reset requested")
			assert.Contains(t, buf.String(), "ada@example.com")
			if tt.wantToken {
				assert.Contains(t, buf.String(), "secret-token-value")
			} else {
				assert.NotContains(t, buf.String(), "secret-token-value")
			}
		})
	}
}
