package service

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"time"

	"github.com/identityd/identityd/core"
)

// idToken returns the ID token of OpenID Connect Core §3.1.3.3 for tokens
// issued to client for userID with scopes, or "" when scopes lack openid
// or no person is signed in. It expires with the access token (exp), names
// the client as its only audience (so azp is not needed, §2), and is
// signed with the client's id_token_signed_response_alg (RS256 by
// default). On refresh (§12.2) nonce is empty and authTime repeats the
// original sign-in.
func (s *Tokens) idToken(ctx context.Context, client core.Client, userID string, scopes []string, nonce string, authTime time.Time, amr []string, accessToken string, now, exp time.Time) (string, error) {
	if userID == "" || s.ids == nil || s.users == nil || !core.HasScopes(scopes, core.ScopeOpenID) {
		return "", nil
	}
	u, err := s.users.GetUser(ctx, userID)
	if errors.Is(err, core.ErrNotFound) {
		return "", core.NewOAuthError(core.CodeInvalidGrant, "the account no longer exists").Wrap(err)
	}
	if err != nil {
		return "", fmt.Errorf("load user for ID token: %w", err)
	}
	alg := client.IDTokenAlg()
	sid := core.SessionID(u.ID, authTime)
	if authTime.IsZero() {
		authTime = now
	}
	claims := core.IDTokenClaims{
		Issuer: s.cfg.Issuer, Subject: u.ID, Audience: client.ID,
		IssuedAt: now.Unix(), ExpiresAt: exp.Unix(), AuthTime: authTime.Unix(),
		Nonce: nonce, AtHash: TokenHash(alg, accessToken), AMR: core.SignInAMR(amr), ACR: core.ACR(core.SignInAMR(amr)), SessionID: sid,
		UserClaims: core.ClaimsOf(u, scopes),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode ID token: %w", err)
	}
	return s.ids.SignIDToken(ctx, alg, payload)
}

// TokenHash is the at_hash of OpenID Connect Core §3.1.3.6: the base64url
// left half of the hash of token under the hash function of alg (SHA-256
// for RS256 and ES256; SHA-512 for EdDSA with Ed25519).
func TokenHash(alg, token string) string {
	var h hash.Hash
	if alg == "EdDSA" {
		h = sha512.New()
	} else {
		h = sha256.New()
	}
	h.Write([]byte(token))
	sum := h.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2])
}

// UserInfo answers the userinfo endpoint (OpenID Connect Core §5.3) for a
// validated access token: the claims its scopes release about the person
// it was issued to, with the same sub as the ID token. A token without the
// openid scope is insufficient_scope; one issued to no person, or whose
// person is gone, is invalid_token.
func (s *Tokens) UserInfo(ctx context.Context, t core.AccessToken) (string, core.UserClaims, error) {
	if !core.HasScopes(t.Scopes, core.ScopeOpenID) {
		return "", core.UserClaims{}, core.NewOAuthError(core.CodeInsufficientScope, "the access token lacks the openid scope")
	}
	rec, err := s.Record(ctx, t)
	if err != nil {
		return "", core.UserClaims{}, err
	}
	if rec.UserID == "" {
		return "", core.UserClaims{}, core.NewOAuthError(core.CodeInvalidToken, "the access token was not issued to a person")
	}
	u, err := s.users.GetUser(ctx, rec.UserID)
	if errors.Is(err, core.ErrNotFound) {
		return "", core.UserClaims{}, core.NewOAuthError(core.CodeInvalidToken, "the account no longer exists")
	}
	if err != nil {
		return "", core.UserClaims{}, fmt.Errorf("load user: %w", err)
	}
	return u.ID, core.ClaimsOf(u, t.Scopes), nil
}

// ParseIDToken checks an ID token this server issued, as an id_token_hint
// or a logout's hint (OpenID Connect Core §3.1.2.1, RP-Initiated Logout
// §2): its signature by the key its kid names and its issuer. An expired
// token is accepted: a hint names a person, it grants nothing.
func (s *Tokens) ParseIDToken(ctx context.Context, raw string) (core.IDTokenClaims, error) {
	if s.ids == nil || len(raw) > 16*1024 {
		return core.IDTokenClaims{}, errors.New("not an ID token of this server")
	}
	payload, err := s.ids.VerifyIDToken(ctx, raw)
	if err != nil {
		return core.IDTokenClaims{}, err
	}
	var c core.IDTokenClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return core.IDTokenClaims{}, err
	}
	if c.Issuer != s.cfg.Issuer || c.Subject == "" || c.Audience == "" {
		return core.IDTokenClaims{}, errors.New("not an ID token of this server")
	}
	return c, nil
}
