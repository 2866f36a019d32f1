package jwt

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// TypeAccessToken is the JOSE typ of RFC 9068 §2.1.
const TypeAccessToken = "at+jwt"

// claims is the RFC 9068 §2.2 claim set.
type claims struct {
	Issuer    string             `json:"iss"`
	Subject   string             `json:"sub"`
	Audience  gojwt.ClaimStrings `json:"aud"`
	ExpiresAt int64              `json:"exp"`
	IssuedAt  int64              `json:"iat"`
	JTI       string             `json:"jti"`
	ClientID  string             `json:"client_id"`
	Scope     string             `json:"scope,omitempty"`
}

type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
}

// HS256 signs with HMAC-SHA-256 under a shared secret. The JOSE header is
// the same for every token, so it is encoded once; signing and checking go
// through golang-jwt's HS256 method.
type HS256 struct {
	key    []byte
	header string // base64url of the constant header
}

var _ ports.TokenSigner = (*HS256)(nil)

// NewHS256 returns a signer keyed with key.
func NewHS256(key []byte) *HS256 {
	h, _ := json.Marshal(header{Alg: "HS256", Typ: TypeAccessToken})
	return &HS256{key: append([]byte(nil), key...), header: base64.RawURLEncoding.EncodeToString(h)}
}

// Algorithm implements ports.TokenSigner.
func (s *HS256) Algorithm() string { return "HS256" }

// JWKS implements ports.TokenSigner: a symmetric key is never published.
func (s *HS256) JWKS() []byte { return []byte(`{"keys":[]}`) }

// Sign implements ports.TokenSigner.
func (s *HS256) Sign(_ context.Context, t core.AccessToken) (string, error) {
	payload, err := json.Marshal(&claims{
		Issuer: t.Issuer, Subject: t.Subject, Audience: t.Audience,
		ExpiresAt: t.ExpiresAt.Unix(), IssuedAt: t.IssuedAt.Unix(), JTI: t.JTI,
		ClientID: t.ClientID, Scope: core.JoinScope(t.Scopes),
	})
	if err != nil {
		return "", fmt.Errorf("encode access token claims: %w", err)
	}
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(s.header)+enc.EncodedLen(len(payload))+enc.EncodedLen(32)+2)
	buf = append(buf, s.header...)
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, payload)
	sig, err := gojwt.SigningMethodHS256.Sign(string(buf), s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	buf = append(buf, '.')
	buf = enc.AppendEncode(buf, sig)
	return string(buf), nil
}

var errInvalid = core.NewOAuthError(core.CodeInvalidToken, "the access token is invalid")

// Verify implements ports.TokenSigner. The signature is checked before
// anything in the token is decoded.
func (s *HS256) Verify(_ context.Context, raw string) (core.AccessToken, error) {
	first, last := strings.IndexByte(raw, '.'), strings.LastIndexByte(raw, '.')
	if first < 0 || first == last || strings.Count(raw, ".") != 2 {
		return core.AccessToken{}, errInvalid.Wrap(errors.New("not a compact JWS"))
	}
	enc := base64.RawURLEncoding
	sig, err := enc.DecodeString(raw[last+1:])
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if err := gojwt.SigningMethodHS256.Verify(raw[:last], sig, s.key); err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if raw[:first] != s.header {
		if err := checkHeader(raw[:first]); err != nil {
			return core.AccessToken{}, errInvalid.Wrap(err)
		}
	}
	payload, err := enc.DecodeString(raw[first+1 : last])
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if c.JTI == "" || c.ExpiresAt == 0 || c.ClientID == "" {
		return core.AccessToken{}, errInvalid.Wrap(errors.New("required claim missing"))
	}
	scopes, err := core.ParseScope(c.Scope)
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	return core.AccessToken{
		JTI: c.JTI, Issuer: c.Issuer, Subject: c.Subject, Audience: []string(c.Audience), ClientID: c.ClientID,
		Scopes: scopes, IssuedAt: time.Unix(c.IssuedAt, 0).UTC(), ExpiresAt: time.Unix(c.ExpiresAt, 0).UTC(),
	}, nil
}

// checkHeader accepts a header that differs from ours only in ways RFC
// 9068 allows (member order, extra members such as kid).
func checkHeader(b64 string) error {
	data, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return err
	}
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return err
	}
	if h.Alg != "HS256" {
		return fmt.Errorf("alg %q is not HS256", h.Alg)
	}
	if !strings.EqualFold(h.Typ, TypeAccessToken) && !strings.EqualFold(h.Typ, "application/"+TypeAccessToken) {
		return errors.New("typ is not at+jwt")
	}
	return nil
}
