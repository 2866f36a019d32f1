package hashing_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/core"
)

func TestHMAC(t *testing.T) {
	h := hashing.NewHMAC([]byte("server key"))
	stored := h.Hash("s3cret")
	assert.Len(t, stored, 64)
	assert.True(t, h.Equal(stored, "s3cret"))
	assert.False(t, h.Equal(stored, "s3cret!"))
	assert.False(t, h.Equal("zz", "s3cret"))
	assert.NotEqual(t, stored, hashing.NewHMAC([]byte("other key")).Hash("s3cret"), "the key matters")
}

func TestBcrypt(t *testing.T) {
	b := hashing.NewBcrypt(hashing.MinBcryptCost)
	h, err := b.Hash("correct horse")
	require.NoError(t, err)
	assert.NoError(t, b.Compare(h, "correct horse"))
	assert.ErrorIs(t, b.Compare(h, "wrong horse"), core.ErrUnauthenticated)
}

// bcrypt reads 72 bytes; a password longer than that must not match the
// hash of its prefix.
func TestBcryptRefusesWhatItWouldNotRead(t *testing.T) {
	b := hashing.NewBcrypt(hashing.MinBcryptCost)
	exact := strings.Repeat("a1B!", 18) // 72 bytes
	require.Len(t, exact, core.MaxPasswordBytes)
	h, err := b.Hash(exact)
	require.NoError(t, err)
	assert.NoError(t, b.Compare(h, exact))
	for _, give := range []string{exact + "anything-else", exact + "x", exact + exact} {
		assert.ErrorIs(t, b.Compare(h, give), core.ErrUnauthenticated, "%d bytes", len(give))
	}
	_, err = b.Hash(exact + "x")
	assert.Error(t, err, "never hashed")
}

func BenchmarkHMACEqual(b *testing.B) {
	h := hashing.NewHMAC([]byte("server key"))
	stored := h.Hash("k7Jx8yUq3v0r9Pz2Lw5Nb1Hc4Ad6Fe8Gi0Kj2Ml4No")
	b.ReportAllocs()
	for b.Loop() {
		if !h.Equal(stored, "k7Jx8yUq3v0r9Pz2Lw5Nb1Hc4Ad6Fe8Gi0Kj2Ml4No") {
			b.Fatal("mismatch")
		}
	}
}
