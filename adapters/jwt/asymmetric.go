package jwt

import (
	"context"
	"crypto"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Asymmetric signs with a private key under RS256 (RSASSA-PKCS1-v1_5 with
// SHA-256), ES256 (ECDSA P-256 with SHA-256) or EdDSA (Ed25519) and
// publishes the public key in its JWKS. The header carries kid, the RFC
// 7638 thumbprint of the public key; like HS256's, it is the same for
// every token and is encoded once.
type Asymmetric struct {
	alg    string
	method gojwt.SigningMethod
	key    crypto.Signer
	public crypto.PublicKey
	kid    string
	header string // base64url of the constant access-token header
	idHdr  string // base64url of the constant ID-token header
	sigLen int
	jwk    JWK
	jwks   []byte
}

var _ ports.TokenSigner = (*Asymmetric)(nil)

// NewAsymmetric returns a signer for alg (RS256, ES256 or EdDSA) with key,
// which must suit alg (see CheckKey).
func NewAsymmetric(alg string, key crypto.Signer) (*Asymmetric, error) {
	if err := CheckKey(alg, key); err != nil {
		return nil, err
	}
	s := &Asymmetric{alg: alg, key: key, public: key.Public()}
	switch alg {
	case RS256:
		s.method, s.sigLen = gojwt.SigningMethodRS256, key.(*rsa.PrivateKey).Size()
	case ES256:
		s.method, s.sigLen = gojwt.SigningMethodES256, 64
	case EdDSA:
		s.method, s.sigLen = gojwt.SigningMethodEdDSA, 64
	}
	jwk, err := publicJWK(alg, key)
	if err != nil {
		return nil, err
	}
	s.kid, s.jwk = jwk.Kid, jwk
	if s.jwks, err = json.Marshal(struct {
		Keys []JWK `json:"keys"`
	}{[]JWK{jwk}}); err != nil {
		return nil, fmt.Errorf("encode JWKS: %w", err)
	}
	s.header = encodeHeader(header{Alg: alg, Typ: TypeAccessToken, Kid: s.kid})
	s.idHdr = encodeHeader(header{Alg: alg, Typ: TypeJWT, Kid: s.kid})
	return s, nil
}

// NewAsymmetricPEM is NewAsymmetric with the key read by ParsePrivateKey.
func NewAsymmetricPEM(alg string, pemData []byte) (*Asymmetric, error) {
	key, err := ParsePrivateKey(pemData)
	if err != nil {
		return nil, err
	}
	return NewAsymmetric(alg, key)
}

// Algorithm implements ports.TokenSigner.
func (s *Asymmetric) Algorithm() string { return s.alg }

// KeyID is the kid of the key: its RFC 7638 JWK thumbprint.
func (s *Asymmetric) KeyID() string { return s.kid }

// JWKS implements ports.TokenSigner: the public key as an RFC 7517 §5 set.
func (s *Asymmetric) JWKS() []byte { return append([]byte(nil), s.jwks...) }

// Sign implements ports.TokenSigner.
func (s *Asymmetric) Sign(_ context.Context, t core.AccessToken) (string, error) {
	payload, err := encodeClaims(t)
	if err != nil {
		return "", err
	}
	buf := signingInput(s.header, payload, s.sigLen)
	sig, err := s.method.Sign(string(buf), s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return appendSignature(buf, sig), nil
}

// Verify implements ports.TokenSigner. The algorithm is this signer's,
// never the token's: a token whose header names another alg or kid is
// refused, and the signature is checked with the public key before the
// claims are decoded.
func (s *Asymmetric) Verify(_ context.Context, raw string) (core.AccessToken, error) {
	first, last, sig, err := split(raw)
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if raw[:first] != s.header {
		if err := checkHeader(raw[:first], s.alg, s.kid, false); err != nil {
			return core.AccessToken{}, errInvalid.Wrap(err)
		}
	}
	if err := s.method.Verify(raw[:last], sig, s.public); err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	t, err := decodeClaims(raw[first+1 : last])
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	return t, nil
}

// TypeJWT is the typ of OpenID Connect ID tokens (RFC 7519 §5.1).
const TypeJWT = "JWT"

// signJWT signs payload, a JSON object, under the header
// {alg, typ: "JWT", kid}.
func (s *Asymmetric) signJWT(payload []byte) (string, error) {
	buf := signingInput(s.idHdr, payload, s.sigLen)
	sig, err := s.method.Sign(string(buf), s.key)
	if err != nil {
		return "", fmt.Errorf("sign ID token: %w", err)
	}
	return appendSignature(buf, sig), nil
}

// verifyJWT checks a token signJWT made (typ JWT, this alg and kid) and
// returns its payload; nothing in it is decoded before the signature holds.
func (s *Asymmetric) verifyJWT(raw string) ([]byte, error) {
	first, last, sig, err := split(raw)
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(raw[:first])
	if err != nil {
		return nil, err
	}
	if h.Alg != s.alg || h.Kid != s.kid || (h.Typ != "" && !strings.EqualFold(h.Typ, TypeJWT)) {
		return nil, errors.New("not an ID token of this key")
	}
	if err := s.method.Verify(raw[:last], sig, s.public); err != nil {
		return nil, err
	}
	return base64.RawURLEncoding.DecodeString(raw[first+1 : last])
}
