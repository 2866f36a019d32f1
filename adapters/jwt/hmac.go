package jwt

import (
	"context"
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
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  []string `json:"aud"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope,omitempty"`
}

// The library validates claims through these; identityd checks time
// itself against its clock, so they only expose values.
func (c *claims) GetExpirationTime() (*gojwt.NumericDate, error) {
	return gojwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c *claims) GetIssuedAt() (*gojwt.NumericDate, error) {
	return gojwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c *claims) GetNotBefore() (*gojwt.NumericDate, error) { return nil, nil }
func (c *claims) GetIssuer() (string, error)                { return c.Issuer, nil }
func (c *claims) GetSubject() (string, error)               { return c.Subject, nil }
func (c *claims) GetAudience() (gojwt.ClaimStrings, error)  { return c.Audience, nil }

// HS256 signs with HMAC-SHA-256 under a shared secret.
type HS256 struct {
	key    []byte
	parser *gojwt.Parser
}

var _ ports.TokenSigner = (*HS256)(nil)

// NewHS256 returns a signer keyed with key.
func NewHS256(key []byte) *HS256 {
	return &HS256{
		key:    append([]byte(nil), key...),
		parser: gojwt.NewParser(gojwt.WithValidMethods([]string{"HS256"}), gojwt.WithoutClaimsValidation()),
	}
}

// Algorithm implements ports.TokenSigner.
func (s *HS256) Algorithm() string { return "HS256" }

// JWKS implements ports.TokenSigner: a symmetric key is never published.
func (s *HS256) JWKS() []byte { return []byte(`{"keys":[]}`) }

// Sign implements ports.TokenSigner.
func (s *HS256) Sign(_ context.Context, t core.AccessToken) (string, error) {
	tok := gojwt.NewWithClaims(gojwt.SigningMethodHS256, &claims{
		Issuer: t.Issuer, Subject: t.Subject, Audience: t.Audience,
		ExpiresAt: t.ExpiresAt.Unix(), IssuedAt: t.IssuedAt.Unix(), JTI: t.JTI,
		ClientID: t.ClientID, Scope: core.JoinScope(t.Scopes),
	})
	tok.Header["typ"] = TypeAccessToken
	out, err := tok.SignedString(s.key)
	if err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	return out, nil
}

var errInvalid = core.NewOAuthError(core.CodeInvalidToken, "the access token is invalid")

// Verify implements ports.TokenSigner.
func (s *HS256) Verify(_ context.Context, raw string) (core.AccessToken, error) {
	var c claims
	tok, err := s.parser.ParseWithClaims(raw, &c, func(*gojwt.Token) (any, error) { return s.key, nil })
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	if typ, _ := tok.Header["typ"].(string); !strings.EqualFold(typ, TypeAccessToken) && !strings.EqualFold(typ, "application/"+TypeAccessToken) {
		return core.AccessToken{}, errInvalid.Wrap(errors.New("typ is not at+jwt"))
	}
	if c.JTI == "" || c.ExpiresAt == 0 || c.ClientID == "" {
		return core.AccessToken{}, errInvalid.Wrap(errors.New("required claim missing"))
	}
	scopes, err := core.ParseScope(c.Scope)
	if err != nil {
		return core.AccessToken{}, errInvalid.Wrap(err)
	}
	return core.AccessToken{
		JTI: c.JTI, Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, ClientID: c.ClientID,
		Scopes: scopes, IssuedAt: time.Unix(c.IssuedAt, 0).UTC(), ExpiresAt: time.Unix(c.ExpiresAt, 0).UTC(),
	}, nil
}
