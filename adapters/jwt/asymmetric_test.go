package jwt_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/core"
)

var algs = []string{jwt.RS256, jwt.ES256, jwt.EdDSA}

func newAsymmetric(t testing.TB, alg string) (*jwt.Asymmetric, crypto.Signer) {
	t.Helper()
	key, err := jwt.GenerateKey(alg)
	require.NoError(t, err)
	s, err := jwt.NewAsymmetric(alg, key)
	require.NoError(t, err)
	return s, key
}

// flip replaces the base64url character at i with another valid one.
func flip(s string, i int) string {
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func decodeSegment(t *testing.T, seg string) map[string]any {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func TestAsymmetricRoundTrip(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s, key := newAsymmetric(t, alg)
			assert.Equal(t, alg, s.Algorithm())
			raw, err := s.Sign(context.Background(), token())
			require.NoError(t, err)
			h := decodeSegment(t, strings.Split(raw, ".")[0])
			assert.Equal(t, map[string]any{"alg": alg, "typ": "at+jwt", "kid": s.KeyID()}, h)
			got, err := s.Verify(context.Background(), raw)
			require.NoError(t, err)
			assert.Equal(t, token(), got)

			// golang-jwt's own parser agrees.
			parsed, err := gojwt.Parse(raw, func(*gojwt.Token) (any, error) { return key.Public(), nil },
				gojwt.WithValidMethods([]string{alg}), gojwt.WithoutClaimsValidation())
			require.NoError(t, err)
			assert.True(t, parsed.Valid)
		})
	}
}

// sameSignature re-signs a header and payload with key under method.
func sameSignature(t *testing.T, method gojwt.SigningMethod, key any, hdr map[string]any, payload string) string {
	t.Helper()
	hj, err := json.Marshal(hdr)
	require.NoError(t, err)
	input := base64.RawURLEncoding.EncodeToString(hj) + "." + payload
	sig, err := method.Sign(input, key)
	require.NoError(t, err)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestAsymmetricRejects(t *testing.T) {
	t.Parallel()
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			s, key := newAsymmetric(t, alg)
			method := gojwt.GetSigningMethod(alg)
			raw, err := s.Sign(context.Background(), token())
			require.NoError(t, err)
			parts := strings.Split(raw, ".")
			payload := parts[1]

			other, _ := newAsymmetric(t, alg)
			otherRaw, err := other.Sign(context.Background(), token())
			require.NoError(t, err)

			pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
			require.NoError(t, err)
			pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
			confused := func(secret []byte) string {
				return sameSignature(t, gojwt.SigningMethodHS256, secret, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": s.KeyID()}, payload)
			}

			tests := []struct {
				name string
				give string
			}{
				{"tampered payload", parts[0] + "." + flip(payload, len(payload)/2) + "." + parts[2]},
				{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 4)},
				{"signature cut", parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])/2]},
				{"another key", otherRaw},
				{"alg confusion: HS256 keyed with the public key PEM", confused(pubPEM)},
				{"alg confusion: HS256 keyed with the public key DER", confused(pubDER)},
				{"alg confusion: HS256 keyed with the JWKS", confused(s.JWKS())},
				{"wrong kid", sameSignature(t, method, key, map[string]any{"alg": alg, "typ": "at+jwt", "kid": "other"}, payload)},
				{"no kid", sameSignature(t, method, key, map[string]any{"alg": alg, "typ": "at+jwt"}, payload)},
				{"typ JWT", sameSignature(t, method, key, map[string]any{"alg": alg, "typ": "JWT", "kid": s.KeyID()}, payload)},
				{"alg none", sameSignature(t, gojwt.SigningMethodNone, gojwt.UnsafeAllowNoneSignatureType, map[string]any{"alg": "none", "typ": "at+jwt", "kid": s.KeyID()}, payload)},
				{"garbage", "not.a.jwt"},
				{"empty", ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					_, err := s.Verify(context.Background(), tt.give)
					var oe *core.OAuthError
					require.ErrorAs(t, err, &oe)
					assert.Equal(t, core.CodeInvalidToken, oe.Code)
				})
			}
		})
	}
}

// The header may differ from ours in member order and extra members.
func TestAsymmetricAcceptsEquivalentHeader(t *testing.T) {
	t.Parallel()
	s, key := newAsymmetric(t, jwt.ES256)
	raw, err := s.Sign(context.Background(), token())
	require.NoError(t, err)
	reordered := sameSignature(t, gojwt.SigningMethodES256, key,
		map[string]any{"kid": s.KeyID(), "typ": "application/at+jwt", "alg": "ES256", "x-extra": 1}, strings.Split(raw, ".")[1])
	got, err := s.Verify(context.Background(), reordered)
	require.NoError(t, err)
	assert.Equal(t, token(), got)
}

type jwkSet struct {
	Keys []map[string]string `json:"keys"`
}

// thumbprint is RFC 7638 §3 computed from the published members.
func thumbprint(t *testing.T, k map[string]string) string {
	t.Helper()
	var canonical string
	switch k["kty"] {
	case "RSA":
		canonical = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, k["e"], k["n"])
	case "EC":
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k["crv"], k["x"], k["y"])
	case "OKP":
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"OKP","x":%q}`, k["crv"], k["x"])
	default:
		t.Fatalf("kty %q", k["kty"])
	}
	sum := sha256.Sum256([]byte(canonical))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// verifyWithJWK checks a compact JWS with a key read from a JWK using the
// standard library only.
func verifyWithJWK(t *testing.T, k map[string]string, raw string) bool {
	t.Helper()
	last := strings.LastIndexByte(raw, '.')
	input, sig := []byte(raw[:last]), b64(t, raw[last+1:])
	digest := sha256.Sum256(input)
	switch k["kty"] {
	case "RSA":
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(b64(t, k["n"])), E: int(new(big.Int).SetBytes(b64(t, k["e"])).Int64())}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil
	case "EC":
		require.Equal(t, "P-256", k["crv"])
		point := append(append([]byte{4}, b64(t, k["x"])...), b64(t, k["y"])...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		require.NoError(t, err)
		require.Len(t, sig, 64)
		return ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case "OKP":
		require.Equal(t, "Ed25519", k["crv"])
		return ed25519.Verify(ed25519.PublicKey(b64(t, k["x"])), input, sig)
	}
	t.Fatalf("kty %q", k["kty"])
	return false
}

func TestAsymmetricJWKS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		alg        string
		wantKty    string
		wantFields []string
	}{
		{jwt.RS256, "RSA", []string{"kty", "use", "alg", "kid", "n", "e"}},
		{jwt.ES256, "EC", []string{"kty", "use", "alg", "kid", "crv", "x", "y"}},
		{jwt.EdDSA, "OKP", []string{"kty", "use", "alg", "kid", "crv", "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.alg, func(t *testing.T) {
			t.Parallel()
			s, _ := newAsymmetric(t, tt.alg)
			var set jwkSet
			require.NoError(t, json.Unmarshal(s.JWKS(), &set))
			require.Len(t, set.Keys, 1)
			k := set.Keys[0]
			var fields []string
			for f := range k {
				fields = append(fields, f)
			}
			assert.ElementsMatch(t, tt.wantFields, fields, "no private member is published")
			assert.Equal(t, tt.wantKty, k["kty"])
			assert.Equal(t, "sig", k["use"])
			assert.Equal(t, tt.alg, k["alg"])
			assert.Equal(t, s.KeyID(), k["kid"])
			assert.Equal(t, thumbprint(t, k), k["kid"], "kid is the RFC 7638 thumbprint")
			switch tt.alg {
			case jwt.RS256:
				assert.Equal(t, "AQAB", k["e"])
				assert.Len(t, b64(t, k["n"]), 256)
			case jwt.ES256:
				assert.Equal(t, "P-256", k["crv"])
				assert.Len(t, b64(t, k["x"]), 32)
				assert.Len(t, b64(t, k["y"]), 32)
			case jwt.EdDSA:
				assert.Equal(t, "Ed25519", k["crv"])
				assert.Len(t, b64(t, k["x"]), ed25519.PublicKeySize)
			}

			raw, err := s.Sign(context.Background(), token())
			require.NoError(t, err)
			assert.True(t, verifyWithJWK(t, k, raw), "the published key verifies the token")
			other, _ := newAsymmetric(t, tt.alg)
			otherRaw, err := other.Sign(context.Background(), token())
			require.NoError(t, err)
			assert.False(t, verifyWithJWK(t, k, otherRaw), "and no other key's token")
		})
	}
}

func TestHS256PublishesNoKey(t *testing.T) {
	t.Parallel()
	assert.JSONEq(t, `{"keys":[]}`, string(jwt.NewHS256([]byte("k")).JWKS()))
}

func BenchmarkAsymmetricSign(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			s, _ := newAsymmetric(b, alg)
			tok := token()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(context.Background(), tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAsymmetricVerify(b *testing.B) {
	for _, alg := range algs {
		b.Run(alg, func(b *testing.B) {
			s, _ := newAsymmetric(b, alg)
			raw, err := s.Sign(context.Background(), token())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(context.Background(), raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
