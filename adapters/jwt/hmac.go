package jwt

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// HS256 signs with HMAC-SHA-256 under a shared secret. The header's kid is
// derived from the secret (HMACKeyID), so tokens of two secrets carry two
// kids and a verifier picks the secret by kid. The JOSE header is the same
// for every token, so it is encoded once; signing and checking go through
// golang-jwt's HS256 method.
type HS256 struct {
	key    []byte
	kid    string
	header string // base64url of the constant header
}

var _ ports.TokenSigner = (*HS256)(nil)

// NewHS256 returns a signer keyed with key.
func NewHS256(key []byte) *HS256 {
	kid := HMACKeyID(key)
	return &HS256{key: append([]byte(nil), key...), kid: kid, header: encodeHeader(header{Alg: "HS256", Typ: TypeAccessToken, Kid: kid})}
}

// HMACKeyID is the kid of an HS256 secret: a keyed digest of it that names
// the secret without revealing anything usable about it.
func HMACKeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("identityd HS256 kid v1"))
	return "hs-" + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// KeyID is the kid of the secret (HMACKeyID).
func (s *HS256) KeyID() string { return s.kid }

// Algorithm implements ports.TokenSigner.
func (s *HS256) Algorithm() string { return "HS256" }

// JWKS implements ports.TokenSigner: a symmetric key is never published.
func (s *HS256) JWKS() []byte { return []byte(`{"keys":[]}`) }

// Sign implements ports.TokenSigner.
func (s *HS256) Sign(_ context.Context, t core.AccessToken) (string, error) {
	payload, err := encodeClaims(t)
	if err != nil {
		return "", err
	}
	buf := signingInput(s.header, payload, 32)
	sig, err := gojwt.SigningMethodHS256.Sign(string(buf), s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return appendSignature(buf, sig), nil
}

// Verify implements ports.TokenSigner. The signature is checked before
// anything in the token is decoded.
func (s *HS256) Verify(_ context.Context, raw string) (core.AccessToken, error) {
	first, last, sig, err := split(raw)
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if err := gojwt.SigningMethodHS256.Verify(raw[:last], sig, s.key); err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if raw[:first] != s.header {
		if err := checkHeader(raw[:first], "HS256", s.kid, true); err != nil {
			return core.AccessToken{}, errInvalid.Wrap(err)
		}
	}
	t, err := decodeClaims(raw[first+1 : last])
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	return t, nil
}
