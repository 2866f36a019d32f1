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
	assert.Equal(t, memory.SentMail{To: "ada@example.com", Token: "t3", TTLMinutes: 30}, got)
	assert.Len(t, m.Sent(), 3)
}
