package jwt

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/identityd/identityd/core"
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
	NotBefore int64              `json:"nbf,omitempty"`
	JTI       string             `json:"jti"`
	ClientID  string             `json:"client_id"`
	Scope     string             `json:"scope,omitempty"`
	Act       *core.Actor        `json:"act,omitempty"`
	// AMR and ACR are OpenID Connect Core §2's amr and acr of the
	// person's sign-in (RFC 8176 values), carried so introspection can
	// tell them without a store round trip.
	AMR   []string `json:"amr,omitempty"`
	ACR   string   `json:"acr,omitempty"`
	Roles []string `json:"roles,omitempty"`
}

// header is the JOSE header of RFC 7515 §4; kid is set by the signers
// that publish their key.
type header struct {
	Alg string `json:"alg"`
	Typ string `json:"typ"`
	Kid string `json:"kid,omitempty"`
}

// encodeHeader returns the base64url form of h, which every token of one
// signer shares.
func encodeHeader(h header) string {
	data, _ := json.Marshal(h) // three strings always encode
	return base64.RawURLEncoding.EncodeToString(data)
}

// encodeClaims returns the JSON claim set of t.
func encodeClaims(t core.AccessToken) ([]byte, error) {
	payload, err := json.Marshal(&claims{
		Issuer: t.Issuer, Subject: t.Subject, Audience: t.Audience,
		ExpiresAt: t.ExpiresAt.Unix(), IssuedAt: t.IssuedAt.Unix(), JTI: t.JTI,
		ClientID: t.ClientID, Scope: core.JoinScope(t.Scopes), NotBefore: unixOrZero(t.NotBefore), Act: t.Act,
		AMR: t.AMR, ACR: t.ACR,
		Roles: t.Roles,
	})
	if err != nil {
		return nil, fmt.Errorf("encode access token claims: %w", err)
	}
	return payload, nil
}

// signingInput returns header.payload with room for a signature of sigLen
// bytes after it.
func signingInput(b64Header string, payload []byte, sigLen int) []byte {
	enc := base64.RawURLEncoding
	buf := make([]byte, 0, len(b64Header)+enc.EncodedLen(len(payload))+enc.EncodedLen(sigLen)+2)
	buf = append(buf, b64Header...)
	buf = append(buf, '.')
	return enc.AppendEncode(buf, payload)
}

// appendSignature completes a compact JWS.
func appendSignature(buf, sig []byte) string {
	buf = append(buf, '.')
	return string(base64.RawURLEncoding.AppendEncode(buf, sig))
}

var errInvalid = core.NewOAuthError(core.CodeInvalidToken, "the access token is invalid")

// split returns the positions of the two dots of a compact JWS and its
// decoded signature.
func split(raw string) (first, last int, sig []byte, err error) {
	first, last = strings.IndexByte(raw, '.'), strings.LastIndexByte(raw, '.')
	if first < 0 || first == last || strings.Count(raw, ".") != 2 {
		return 0, 0, nil, errors.New("not a compact JWS")
	}
	sig, err = base64.RawURLEncoding.DecodeString(raw[last+1:])
	if err != nil {
		return 0, 0, nil, err
	}
	return first, last, sig, nil
}

// decodeClaims turns a verified payload into an access token.
func decodeClaims(b64Payload string) (core.AccessToken, error) {
	payload, err := base64.RawURLEncoding.DecodeString(b64Payload)
	if err != nil {
		return core.AccessToken{}, err
	}
	var c claims
	if err := json.Unmarshal(payload, &c); err != nil {
		return core.AccessToken{}, err
	}
	if c.JTI == "" || c.ExpiresAt == 0 || c.ClientID == "" {
		return core.AccessToken{}, errors.New("required claim missing")
	}
	scopes, err := core.ParseScope(c.Scope)
	if err != nil {
		return core.AccessToken{}, err
	}
	t := core.AccessToken{
		JTI: c.JTI, Issuer: c.Issuer, Subject: c.Subject, Audience: []string(c.Audience), ClientID: c.ClientID,
		Scopes: scopes, IssuedAt: time.Unix(c.IssuedAt, 0).UTC(), ExpiresAt: time.Unix(c.ExpiresAt, 0).UTC(), Act: c.Act,
		AMR: c.AMR, ACR: c.ACR,
		Roles: c.Roles,
	}
	if c.NotBefore != 0 {
		t.NotBefore = time.Unix(c.NotBefore, 0).UTC()
	}
	return t, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// parseHeader decodes a base64url JOSE header.
func parseHeader(b64 string) (header, error) {
	data, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return header{}, err
	}
	var h header
	if err := json.Unmarshal(data, &h); err != nil {
		return header{}, err
	}
	return h, nil
}

// checkHeader accepts a header that differs from ours only in ways RFC
// 9068 allows (member order, extra members). The alg must be alg and the
// kid must be kid; noKid also accepts a header without kid (tokens signed
// before every token carried one).
func checkHeader(b64 string, alg, kid string, noKid bool) error {
	h, err := parseHeader(b64)
	if err != nil {
		return err
	}
	if h.Alg != alg {
		return fmt.Errorf("alg %q is not %s", h.Alg, alg)
	}
	if !strings.EqualFold(h.Typ, TypeAccessToken) && !strings.EqualFold(h.Typ, "application/"+TypeAccessToken) {
		return errors.New("typ is not at+jwt")
	}
	if h.Kid != kid && (h.Kid != "" || !noKid) {
		return fmt.Errorf("unknown kid %q", h.Kid)
	}
	return nil
}
