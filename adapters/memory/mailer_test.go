package memory_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
)

func TestMailerRecords(t *testing.T) {
	m := memory.NewMailer()
	_, ok := m.LastTo("ada@example.com")
	assert.False(t, ok)
	require.NoError(t, m.SendPasswordReset(t.Context(), "ada@example.com", "t1", 60))
	require.NoError(t, m.SendPasswordReset(t.Context(), "bob@example.com", "t2", 60))
	require.NoError(t, m.SendPasswordReset(t.Context(), "ada@example.com", "t3", 30))
	got, ok := m.LastTo("ada@example.com")
	require.True(t, ok)
	assert.Equal(t, memory.SentMail{Kind: memory.MailPasswordReset, To: "ada@example.com", Token: "t3", TTLMinutes: 30}, got)
	require.NoError(t, m.SendEmailVerification(t.Context(), "ada@example.com", "v1", 2880))
	got, ok = m.Last(memory.MailVerifyEmail, "ada@example.com")
	require.True(t, ok)
	assert.Equal(t, "v1", got.Token)
	got, _ = m.LastTo("ada@example.com")
	assert.Equal(t, "t3", got.Token, "LastTo is the last reset mail")
	assert.Len(t, m.Sent(), 4)
}
