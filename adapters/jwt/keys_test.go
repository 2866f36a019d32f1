package jwt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	return pemBlock("PRIVATE KEY", der)
}

func TestParsePrivateKey(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sec1, err := x509.MarshalECPrivateKey(ecKey)
	require.NoError(t, err)
	ecParams := pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07})
	generated, err := jwt.GeneratePEM(jwt.EdDSA)
	require.NoError(t, err)

	tests := []struct {
		name    string
		give    []byte
		wantAlg string
	}{
		{"PKCS#8 RSA", pkcs8(t, rsaKey), jwt.RS256},
		{"PKCS#1 RSA", pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), jwt.RS256},
		{"PKCS#8 EC", pkcs8(t, ecKey), jwt.ES256},
		{"SEC 1 EC", pemBlock("EC PRIVATE KEY", sec1), jwt.ES256},
		{"SEC 1 EC after EC PARAMETERS (openssl ecparam -genkey)", append(ecParams, pemBlock("EC PRIVATE KEY", sec1)...), jwt.ES256},
		{"PKCS#8 Ed25519", pkcs8(t, edKey), jwt.EdDSA},
		{"GeneratePEM", generated, jwt.EdDSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := jwt.ParsePrivateKey(tt.give)
			require.NoError(t, err)
			assert.NoError(t, jwt.CheckKey(tt.wantAlg, key))
			s, err := jwt.NewAsymmetricPEM(tt.wantAlg, tt.give)
			require.NoError(t, err)
			raw, err := s.Sign(context.Background(), token())
			require.NoError(t, err)
			_, err = s.Verify(context.Background(), raw)
			assert.NoError(t, err)
		})
	}
}

func TestParsePrivateKeyRejects(t *testing.T) {
	t.Parallel()
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pubDER, err := x509.MarshalPKIXPublicKey(ecKey.Public())
	require.NoError(t, err)
	tests := []struct {
		name string
		give []byte
	}{
		{"empty", nil},
		{"not PEM", []byte("-----BEGIN NOTHING")},
		{"public key only", pemBlock("PUBLIC KEY", pubDER)},
		{"broken PKCS#8", pemBlock("PRIVATE KEY", []byte{1, 2, 3})},
		{"broken PKCS#1", pemBlock("RSA PRIVATE KEY", []byte{1, 2, 3})},
		{"broken SEC 1", pemBlock("EC PRIVATE KEY", []byte{1, 2, 3})},
		{"encrypted PKCS#8", pemBlock("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3})},
		{"encrypted legacy PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := jwt.ParsePrivateKey(tt.give)
			assert.Error(t, err)
		})
	}
}

func TestCheckKey(t *testing.T) {
	t.Parallel()
	rsaSmall, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name    string
		giveAlg string
		giveKey crypto.Signer
		wantErr string
	}{
		{"RSA 2048 for RS256", jwt.RS256, rsaKey, ""},
		{"RSA 1024 for RS256", jwt.RS256, rsaSmall, "at least 2048 bits"},
		{"EC for RS256", jwt.RS256, p256, "needs an RSA key"},
		{"P-256 for ES256", jwt.ES256, p256, ""},
		{"P-384 for ES256", jwt.ES256, p384, "P-256"},
		{"RSA for ES256", jwt.ES256, rsaKey, "P-256"},
		{"Ed25519 for EdDSA", jwt.EdDSA, edKey, ""},
		{"EC for EdDSA", jwt.EdDSA, p256, "Ed25519"},
		{"HS256 is not asymmetric", "HS256", rsaKey, "not RS256, ES256 or EdDSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jwt.CheckKey(tt.giveAlg, tt.giveKey)
			_, nerr := jwt.NewAsymmetric(tt.giveAlg, tt.giveKey)
			if tt.wantErr == "" {
				assert.NoError(t, err)
				assert.NoError(t, nerr)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
			assert.Error(t, nerr)
		})
	}
}

// Two signers over one key agree on kid and JWKS: instances sharing a key
// publish the same set.
func TestSameKeySameKid(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			data, err := jwt.GeneratePEM(alg)
			require.NoError(t, err)
			a, err := jwt.NewAsymmetricPEM(alg, data)
			require.NoError(t, err)
			b, err := jwt.NewAsymmetricPEM(alg, data)
			require.NoError(t, err)
			assert.Equal(t, a.KeyID(), b.KeyID())
			assert.Equal(t, a.JWKS(), b.JWKS())
			raw, err := a.Sign(context.Background(), token())
			require.NoError(t, err)
			_, err = b.Verify(context.Background(), raw)
			assert.NoError(t, err)
		})
	}
}
