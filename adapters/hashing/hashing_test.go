package hashing_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
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

func TestRotatingHMAC(t *testing.T) {
	old := hashing.NewHMAC([]byte("old key"))
	h := hashing.NewRotatingHMAC([]byte("new key"), []byte("old key"))
	assert.Equal(t, hashing.NewHMAC([]byte("new key")).Hash("s"), h.Hash("s"), "hashes under the current key")
	assert.NotEqual(t, old.KeyID(), h.KeyID())
	assert.Len(t, h.KeyID(), 16)
	prev := h.Previous()
	require.NotNil(t, prev)
	assert.Equal(t, old.Hash("s"), prev.Hash("s"))
	assert.Equal(t, old.KeyID(), prev.KeyID())
	assert.Nil(t, prev.Previous())
	assert.Nil(t, hashing.NewHMAC([]byte("k")).Previous(), "a nil interface, not a typed nil")
	assert.Nil(t, hashing.NewRotatingHMAC([]byte("k"), nil).Previous())
}

func TestFindHashed(t *testing.T) {
	old := hashing.NewHMAC([]byte("old key"))
	stored := map[string]string{old.Hash("under-old"): "a", hashing.NewHMAC([]byte("new key")).Hash("under-new"): "b"}
	find := func(hash string) (string, error) {
		if v, ok := stored[hash]; ok {
			return v, nil
		}
		return "", fmt.Errorf("hash %s: %w", hash, core.ErrNotFound)
	}
	boom := errors.New("boom")
	tests := []struct {
		name    string
		give    *hashing.HMAC
		secret  string
		want    string
		wantErr error
	}{
		{"current key", hashing.NewRotatingHMAC([]byte("new key"), []byte("old key")), "under-new", "b", nil},
		{"previous key", hashing.NewRotatingHMAC([]byte("new key"), []byte("old key")), "under-old", "a", nil},
		{"no previous key", hashing.NewHMAC([]byte("new key")), "under-old", "", core.ErrNotFound},
		{"neither", hashing.NewRotatingHMAC([]byte("new key"), []byte("old key")), "unknown", "", core.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ports.FindHashed(tt.give, tt.secret, find)
			assert.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.want, got)
		})
	}
	t.Run("another error is not retried", func(t *testing.T) {
		calls := 0
		_, err := ports.FindHashed(hashing.NewRotatingHMAC([]byte("new key"), []byte("old key")), "x", func(string) (string, error) {
			calls++
			return "", boom
		})
		assert.ErrorIs(t, err, boom)
		assert.Equal(t, 1, calls)
	})
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

func TestHMACWithNext(t *testing.T) {
	h := hashing.NewRotatingHMAC([]byte("cur key"), []byte("old key")).WithNext([]byte("next key"))
	assert.Equal(t, hashing.NewHMAC([]byte("cur key")).Hash("s"), h.Hash("s"), "hashes under the current key only")
	require.NotNil(t, h.Next())
	assert.Equal(t, hashing.NewHMAC([]byte("next key")).KeyID(), h.Next().KeyID())
	assert.Nil(t, hashing.NewHMAC([]byte("k")).Next(), "a nil interface, not a typed nil")
	assert.Nil(t, hashing.NewHMAC([]byte("k")).WithNext(nil).Next())

	stored := map[string]string{hashing.NewHMAC([]byte("next key")).Hash("under-next"): "n", hashing.NewHMAC([]byte("old key")).Hash("under-old"): "o"}
	find := func(hash string) (string, error) {
		if v, ok := stored[hash]; ok {
			return v, nil
		}
		return "", core.ErrNotFound
	}
	for secret, want := range map[string]string{"under-next": "n", "under-old": "o"} {
		got, err := ports.FindHashed(h, secret, find)
		require.NoError(t, err, secret)
		assert.Equal(t, want, got)
	}
}

func TestAESGCMSeal(t *testing.T) {
	t.Parallel()
	oldKey, newKey := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	old, err := hashing.NewAESGCM(oldKey, nil)
	require.NoError(t, err)
	sealed, err := old.Seal([]byte("secret"), []byte("user-1"))
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), "secret")
	got, err := old.Open(sealed, []byte("user-1"))
	require.NoError(t, err)
	assert.Equal(t, "secret", string(got))
	_, err = old.Open(sealed, []byte("user-2"))
	assert.Error(t, err, "bound to its owner")
	rotated, err := hashing.NewAESGCM(newKey, oldKey)
	require.NoError(t, err)
	got, err = rotated.Open(sealed, []byte("user-1"))
	require.NoError(t, err, "the previous key still opens")
	assert.Equal(t, "secret", string(got))
	other, err := hashing.NewAESGCM(newKey, nil)
	require.NoError(t, err)
	_, err = other.Open(sealed, []byte("user-1"))
	assert.Error(t, err, "another key does not")
	sealed[len(sealed)-1] ^= 1
	_, err = old.Open(sealed, []byte("user-1"))
	assert.Error(t, err, "altered")
	_, err = hashing.NewAESGCM([]byte("short"), nil)
	assert.Error(t, err)
}
