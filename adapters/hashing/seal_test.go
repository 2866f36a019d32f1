package hashing_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/hashing"
)

// An upstream provider's client secret is sealed bound to its provider:
// a fresh nonce each time, and a value moved to another row does not
// open.
func TestAESGCMSealsProviderSecrets(t *testing.T) {
	t.Parallel()
	s, err := hashing.NewAESGCM(bytes.Repeat([]byte{2}, 32), nil)
	require.NoError(t, err)
	a, err := s.Seal([]byte("client secret"), []byte("idp:google"))
	require.NoError(t, err)
	b, err := s.Seal([]byte("client secret"), []byte("idp:google"))
	require.NoError(t, err)
	assert.NotEqual(t, a, b, "a fresh nonce each time")
	got, err := s.Open(a, []byte("idp:google"))
	require.NoError(t, err)
	assert.Equal(t, "client secret", string(got))
	_, err = s.Open(a, []byte("idp:entra"))
	assert.Error(t, err, "moved to another provider")
	_, err = s.Open(nil, []byte("idp:google"))
	assert.Error(t, err)
}
