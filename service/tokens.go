package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// TokenConfig is what token issuance needs from the configuration.
type TokenConfig struct {
	// Issuer is the iss of every token and the default aud.
	Issuer     string
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// ReuseInterval is how long after its rotation a refresh token may be
	// presented again without counting as reuse (0: not at all).
	ReuseInterval time.Duration
}

// Tokens issues, validates and revokes access and refresh tokens.
type Tokens struct {
	cfg     TokenConfig
	signer  ports.TokenSigner
	ids     ports.IDTokenSigner
	users   ports.UserRepository
	access  ports.AccessTokenRepository
	refresh ports.RefreshTokenRepository
	revoked ports.RevocationCache
	hasher  ports.SecretHasher
	random  ports.Random
	clock   ports.Clock
	audit   *Audit
}

// TokenDeps are the ports Tokens uses.
type TokenDeps struct {
	Signer ports.TokenSigner
	// IDTokens signs ID tokens and Users gives their claims; with either
	// nil no ID token is issued.
	IDTokens ports.IDTokenSigner
	Users    ports.UserRepository
	Access   ports.AccessTokenRepository
	Refresh  ports.RefreshTokenRepository
	Revoked  ports.RevocationCache
	Hasher   ports.SecretHasher
	Random   ports.Random
	Clock    ports.Clock
	// Audit records issue and revocation; nil records nothing.
	Audit *Audit
}

// NewTokens returns the token service.
func NewTokens(cfg TokenConfig, d TokenDeps) *Tokens {
	return &Tokens{cfg: cfg, signer: d.Signer, ids: d.IDTokens, users: d.Users, access: d.Access, refresh: d.Refresh, revoked: d.Revoked, hasher: d.Hasher, random: d.Random, clock: d.Clock, audit: d.Audit}
}

// Issuer is the configured issuer URL.
func (s *Tokens) Issuer() string { return s.cfg.Issuer }

// AccessTTL is the lifetime of access tokens.
func (s *Tokens) AccessTTL() time.Duration { return s.cfg.AccessTTL }

// Grant describes what a grant decided to issue.
type Grant struct {
	Client core.Client
	// UserID is the person the tokens act for; empty for
	// client_credentials, where the subject is the client.
	UserID string
	Scopes []string
	// WithRefresh asks for a refresh token in a new family. FamilyID, when
	// set, ties the access token to an existing family instead.
	WithRefresh bool
	FamilyID    string
	// AuthCodeID ties the tokens to the authorization code they were
	// redeemed from, so a second redemption can revoke them.
	AuthCodeID string
	// GrantType names the grant in the audit event ("login" for
	// /api/auth/login).
	GrantType string
	// Nonce and AuthTime come from the authorization request and the
	// sign-in; with scope openid they go into the ID token.
	Nonce    string
	AuthTime time.Time
	// AMR are the methods of the sign-in (RFC 8176); nil is a password.
	AMR []string
	// Subject, when set, is the sub of the access token instead of the
	// user or client (token exchange keeps the subject token's).
	Subject string
	// Audience, when set, replaces the default aud (the issuer).
	Audience []string
	// Act is the act claim (RFC 8693 §4.1).
	Act *core.Actor
	// SourceJTI is the jti of the token this one is exchanged from
	// (RFC 8693 subject_token): revoking that token revokes this one.
	SourceJTI string
	// DerivedAt is when the sign-in or approval the issuance rests on
	// happened (the sign-in of a code or device approval, the issuance of
	// an exchanged token); with UserID set, the person's standing must
	// still allow it (core.CredentialAlive), else invalid_grant. Zero
	// takes AuthTime.
	DerivedAt time.Time
	// NotAfter, when set, bounds the expiry of what is issued: a token
	// made from another never outlives it.
	NotAfter time.Time
}

// errCutOff answers a grant whose approval predates the person's cutoff.
var errCutOff = core.NewOAuthError(core.CodeInvalidGrant, "the grant was approved before the account's password changed; sign in again")

// checkStanding applies core.CredentialAlive to an issuance for a person
// (a code or device code approved before the person was disabled, deleted
// or changed their password yields invalid_grant): one read of the
// person, off the refresh and client_credentials paths.
// It returns g with the scopes narrowed to what the person may hold now,
// and the roles claim of the access token (core.RolesClaim) when the grant
// holds the roles scope.
func (s *Tokens) checkStanding(ctx context.Context, g Grant) (Grant, []string, error) {
	if g.UserID == "" || s.users == nil {
		return g, nil, nil
	}
	u, err := s.users.GetUser(ctx, g.UserID)
	if errors.Is(err, core.ErrNotFound) {
		return g, nil, core.NewOAuthError(core.CodeInvalidGrant, "the account no longer exists").Wrap(err)
	}
	if err != nil {
		return g, nil, fmt.Errorf("load user: %w", err)
	}
	if u.Disabled {
		return g, nil, core.NewOAuthError(core.CodeInvalidGrant, "the account is disabled")
	}
	derivedAt := g.DerivedAt
	if derivedAt.IsZero() {
		derivedAt = g.AuthTime
	}
	if !core.CredentialAlive(u, derivedAt) {
		return g, nil, errCutOff
	}
	g.Scopes = core.GrantableScopes(u, g.Scopes)
	return g, core.RolesClaim(u, g.Scopes), nil
}

// Issue signs an access token for g, records it, and creates a refresh
// token when asked (RFC 6749 §5.1, RFC 9068 §2). It records the one
// token.issued audit event of the issuance.
func (s *Tokens) Issue(ctx context.Context, g Grant) (core.TokenResponse, error) {
	g, roles, err := s.checkStanding(ctx, g)
	if err != nil {
		return core.TokenResponse{}, err
	}
	now := s.clock.Now()
	familyID := g.FamilyID
	var refreshRaw string
	if g.WithRefresh {
		familyID = s.random.NewID()
		refreshRaw = s.random.NewToken()
	}
	at := s.newAccessToken(g, familyID, now)
	at.Roles = roles
	signed, err := s.signAndRecord(ctx, at)
	if err != nil {
		return core.TokenResponse{}, err
	}
	if g.WithRefresh {
		rt := core.RefreshToken{
			Hash: s.hasher.Hash(refreshRaw), FamilyID: familyID, ClientID: g.Client.ID, UserID: g.UserID,
			Scopes: g.Scopes, IssuedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL), AuthCodeID: g.AuthCodeID, AuthTime: g.AuthTime, AMR: g.AMR,
		}
		if err := s.refresh.CreateRefreshToken(ctx, rt); err != nil {
			return core.TokenResponse{}, fmt.Errorf("store refresh token: %w", err)
		}
	}
	resp := s.response(signed, refreshRaw, g.Scopes, at.ExpiresAt, now)
	if g.GrantType != core.GrantAuthorizationCode {
		// An ID token records a sign-in: only the code flow has one.
		g.Scopes = nil
	}
	if resp.IDToken, err = s.idToken(ctx, g.Client, g.UserID, g.Scopes, g.Nonce, g.AuthTime, g.AMR, signed, now, at.ExpiresAt); err != nil {
		return core.TokenResponse{}, err
	}
	s.auditIssued(ctx, at, g.GrantType, g.WithRefresh)
	return resp, nil
}

// signAndRecord signs an access token and keeps its record.
func (s *Tokens) signAndRecord(ctx context.Context, at core.AccessToken) (string, error) {
	signed, err := s.signer.Sign(ctx, at)
	if err != nil {
		return "", err
	}
	if err := s.access.SaveAccessToken(ctx, at); err != nil {
		return "", fmt.Errorf("record access token: %w", err)
	}
	return signed, nil
}

func (s *Tokens) newAccessToken(g Grant, familyID string, now time.Time) core.AccessToken {
	sub := g.UserID
	if sub == "" {
		sub = g.Client.ID
	}
	if g.Subject != "" {
		sub = g.Subject
	}
	aud := g.Audience
	if len(aud) == 0 {
		aud = []string{s.cfg.Issuer}
	}
	exp := now.Add(s.cfg.AccessTTL)
	if !g.NotAfter.IsZero() && g.NotAfter.Before(exp) {
		exp = g.NotAfter
	}
	var amr []string
	var acr string
	if g.UserID != "" {
		amr = core.SignInAMR(g.AMR)
		acr = core.ACR(amr)
	}
	return core.AccessToken{
		AMR: amr, ACR: acr, Act: g.Act, JTI: s.random.NewTimeID(), Issuer: s.cfg.Issuer, Subject: sub, Audience: aud,
		ClientID: g.Client.ID, Scopes: g.Scopes, IssuedAt: now, ExpiresAt: exp,
		UserID: g.UserID, FamilyID: familyID, AuthCodeID: g.AuthCodeID, SourceJTI: g.SourceJTI,
	}
}

func (s *Tokens) response(access, refresh string, scopes []string, exp, now time.Time) core.TokenResponse {
	return core.TokenResponse{
		AccessToken: access, TokenType: "Bearer", ExpiresIn: int64(exp.Sub(now) / time.Second),
		RefreshToken: refresh, Scope: core.JoinScope(scopes),
	}
}

// Rotate redeems the refresh token raw presented by client: the presented
// token is retired, a successor in the same family is issued with an access
// token, and reuse of a retired token revokes the whole family (RFC 6749 §6,
// RFC 9700 §4.14.2).
//
// scopes, when non-empty, narrows the new access token only: the successor
// refresh token keeps the presented one's scope, which RFC 6749 §6 requires
// to stay "identical to that of the refresh token included by the client",
// so a later refresh may ask for any part of the original grant again.
// Both are bounded by what the client and the person may hold now
// (core.RefreshToken.BoundScopes): a scope taken from the client, or a
// role taken from the person, is gone from the next refresh on. The person
// is read with the token (core.RefreshToken.Holder), in the same round
// trip, and a family signed in before the person's cutoff is refused
// (core.CredentialAlive). The access token and the ID token never outlive
// the family.
//
// Within TokenConfig.ReuseInterval after its first rotation, the presented
// token is still accepted and answered with a fresh access token and a fresh
// successor of the same family; the successors issued before stay valid.
// Two tabs refreshing at once both keep a session, at the price that a
// stolen token replayed within the interval is not detected as reuse.
func (s *Tokens) Rotate(ctx context.Context, client core.Client, raw string, scopes []string) (core.TokenResponse, error) {
	now := s.clock.Now()
	nextRaw := s.random.NewToken()
	var granted []string
	old, err := ports.FindHashed(s.hasher, raw, func(hash string) (core.RefreshToken, error) {
		return s.refresh.RotateRefreshToken(ctx, hash, func(old core.RefreshToken) (core.RefreshToken, error) {
			if err := old.CheckRefresh(client.ID, now, s.cfg.ReuseInterval); err != nil {
				return core.RefreshToken{}, err
			}
			bound := old.BoundScopes(client.Scopes)
			narrowed, err := core.NarrowScope(scopes, bound)
			if err != nil {
				return core.RefreshToken{}, err
			}
			granted = narrowed
			next := old
			next.Hash, next.IssuedAt, next.RotatedAt, next.RevokedAt = s.hasher.Hash(nextRaw), now, time.Time{}, time.Time{}
			next.Scopes, next.AuthTime = bound, old.SignedInAt()
			return next, nil
		})
	})
	switch {
	case errors.Is(err, core.ErrNotFound):
		return core.TokenResponse{}, core.NewOAuthError(core.CodeInvalidGrant, "the refresh token is invalid").Wrap(err)
	case errors.Is(err, core.ErrRefreshReused):
		s.audit.Record(ctx, core.AuditEvent{Type: core.AuditRefreshReuse, ActorType: core.AuditActorClient, ActorID: client.ID, SubjectID: old.FamilyID, UserID: old.UserID, ClientID: client.ID,
			Detail: "a rotated refresh token was presented again; its family is revoked"})
		if rerr := s.RevokeFamily(ctx, old.FamilyID); rerr != nil {
			return core.TokenResponse{}, rerr
		}
		return core.TokenResponse{}, err
	case err != nil:
		return core.TokenResponse{}, err
	}
	at := s.newAccessToken(Grant{Client: client, UserID: old.UserID, Scopes: granted, AuthCodeID: old.AuthCodeID, NotAfter: old.ExpiresAt, AMR: old.AMR}, old.FamilyID, now)
	if old.UserID != "" {
		// The roles claim is that of now, read with the token
		// (core.RefreshToken.Holder): no read of the account.
		at.Roles = core.RolesClaim(core.User{Roles: old.Holder.Roles}, granted)
	}
	signed, err := s.signAndRecord(ctx, at)
	if err != nil {
		return core.TokenResponse{}, err
	}
	resp := s.response(signed, nextRaw, granted, at.ExpiresAt, now)
	if resp.IDToken, err = s.idToken(ctx, client, old.UserID, granted, "", old.SignedInAt(), old.AMR, signed, now, at.ExpiresAt); err != nil {
		return core.TokenResponse{}, err
	}
	s.auditIssued(ctx, at, core.GrantRefreshToken, true)
	return resp, nil
}

// Validate checks a bearer access token: signature, typ, issuer, time
// (exp, iat, nbf), a lifetime (exp - iat) within TOKEN_EXPIRY, and revocation. Failures are invalid_token; an unreachable revocation cache is
// core.ErrUnavailable.
func (s *Tokens) Validate(ctx context.Context, raw string) (core.AccessToken, error) {
	t, err := s.signer.Verify(ctx, raw)
	if err != nil {
		return core.AccessToken{}, err
	}
	if t.Issuer != s.cfg.Issuer {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token is invalid").Wrap(errors.New("issuer mismatch"))
	}
	if !t.ActiveAt(s.clock.Now()) {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token has expired")
	}
	if !t.LifetimeWithin(s.cfg.AccessTTL) {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token is invalid").Wrap(errors.New("exp - iat exceeds TOKEN_EXPIRY"))
	}
	revoked, err := s.revoked.IsRevoked(ctx, t.JTI)
	if err != nil {
		return core.AccessToken{}, fmt.Errorf("check revocation: %w", err)
	}
	if revoked {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token has been revoked")
	}
	return t, nil
}

// Authenticate checks a bearer access token presented to this server's own
// API (/api/*): everything Validate checks, and that the token is meant
// for this server, its aud naming the issuer (RFC 9068 §4: the resource
// server MUST validate aud). A token minted for another audience, for
// instance by token exchange, is invalid_token here.
func (s *Tokens) Authenticate(ctx context.Context, raw string) (core.AccessToken, error) {
	t, err := s.Validate(ctx, raw)
	if err != nil {
		return core.AccessToken{}, err
	}
	if !t.HasAudience(s.cfg.Issuer) {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token is not meant for this server (aud)")
	}
	return t, nil
}

// looksLikeJWT tells a compact JWS from an opaque refresh token.
func looksLikeJWT(raw string) bool { return strings.Count(raw, ".") == 2 }

// Introspect answers RFC 7662 §2.2 for an access or refresh token. Anything
// not valid now is {"active":false}; only a dependency failure is an error.
func (s *Tokens) Introspect(ctx context.Context, raw string) (core.Introspection, error) {
	if looksLikeJWT(raw) {
		t, err := s.Validate(ctx, raw)
		if err != nil {
			if errors.Is(err, core.ErrUnavailable) {
				return core.Introspection{}, err
			}
			return core.Introspection{Active: false}, nil
		}
		return core.Introspection{
			Active: true, Scope: core.JoinScope(t.Scopes), ClientID: t.ClientID, TokenType: "Bearer",
			Exp: t.ExpiresAt.Unix(), Iat: t.IssuedAt.Unix(), Sub: t.Subject, Aud: t.Audience, Iss: t.Issuer, Jti: t.JTI,
			Amr: t.AMR, Acr: t.ACR,
		}, nil
	}
	rt, err := ports.FindHashed(s.hasher, raw, func(hash string) (core.RefreshToken, error) { return s.refresh.GetRefreshToken(ctx, hash) })
	if errors.Is(err, core.ErrNotFound) {
		return core.Introspection{Active: false}, nil
	}
	if err != nil {
		return core.Introspection{}, err
	}
	now := s.clock.Now()
	if !rt.RotatedAt.IsZero() || !rt.RevokedAt.IsZero() || !now.Before(rt.ExpiresAt) || !rt.Alive() {
		return core.Introspection{Active: false}, nil
	}
	sub := rt.UserID
	var amr []string
	var acr string
	if sub == "" {
		sub = rt.ClientID
	} else {
		amr = core.SignInAMR(rt.AMR)
		acr = core.ACR(amr)
	}
	return core.Introspection{
		Active: true, Scope: core.JoinScope(rt.Scopes), ClientID: rt.ClientID, TokenType: "refresh_token",
		Exp: rt.ExpiresAt.Unix(), Iat: rt.IssuedAt.Unix(), Sub: sub, Iss: s.cfg.Issuer, Amr: amr, Acr: acr,
	}, nil
}

// Revoke implements RFC 7009 §2.1 for client: an access token is put on the
// revocation list until its exp; a refresh token revokes its family with the
// access tokens issued alongside. Unknown, invalid or expired tokens are not
// an error (§2.2); a token of another client is unauthorized_client.
func (s *Tokens) Revoke(ctx context.Context, client core.Client, raw string) error {
	if looksLikeJWT(raw) {
		t, err := s.signer.Verify(ctx, raw)
		if err != nil || t.Issuer != s.cfg.Issuer || !s.clock.Now().Before(t.ExpiresAt) {
			return nil
		}
		if t.ClientID != client.ID {
			return core.NewOAuthError(core.CodeUnauthorizedClient, "the token was issued to another client")
		}
		if err := s.RevokeAccess(ctx, t); err != nil {
			return err
		}
		s.audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorClient, ActorID: client.ID, SubjectID: t.JTI, UserID: t.UserID, ClientID: client.ID, Success: true, Detail: "access token"})
		return nil
	}
	rt, err := ports.FindHashed(s.hasher, raw, func(hash string) (core.RefreshToken, error) { return s.refresh.GetRefreshToken(ctx, hash) })
	if errors.Is(err, core.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if rt.ClientID != client.ID {
		return core.NewOAuthError(core.CodeUnauthorizedClient, "the token was issued to another client")
	}
	if err := s.RevokeFamily(ctx, rt.FamilyID); err != nil {
		return err
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenRevoked, ActorType: core.AuditActorClient, ActorID: client.ID, SubjectID: rt.FamilyID, UserID: rt.UserID, ClientID: client.ID, Success: true, Detail: "refresh token family"})
	return nil
}

// auditIssued records an issued access token by its jti; the token itself
// never enters the event.
func (s *Tokens) auditIssued(ctx context.Context, at core.AccessToken, grantType string, refresh bool) {
	if s.audit == nil {
		return
	}
	detail := "scope=" + core.JoinScope(at.Scopes)
	if grantType != "" {
		detail = "grant_type=" + grantType + " " + detail
	}
	if refresh {
		detail += " refresh_token=issued"
	}
	s.audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenIssued, ActorType: tokenActorType(at), ActorID: at.Subject, SubjectID: at.JTI, UserID: at.UserID, ClientID: at.ClientID, Success: true, Detail: detail})
}

// RevokeAccess revokes one access token: durably in the repository, then
// in the cache the hot paths read.
func (s *Tokens) RevokeAccess(ctx context.Context, t core.AccessToken) error {
	now := s.clock.Now()
	if _, err := s.access.RevokeAccessToken(ctx, t.JTI, now); err != nil && !errors.Is(err, core.ErrNotFound) {
		return fmt.Errorf("revoke access token: %w", err)
	}
	if err := s.revoked.RevokeJTI(ctx, t.JTI, t.ExpiresAt); err != nil {
		return fmt.Errorf("cache revocation: %w", err)
	}
	return s.revokeExchanged(ctx, t.JTI, now)
}

// maxExchangeDepth bounds how many generations of exchanged tokens one
// revocation follows; an exchange chain longer than this is not made in
// practice, and the bound keeps one request's cost finite.
const maxExchangeDepth = 8

// revokeExchanged revokes the access tokens exchanged from the token jti,
// and those exchanged from them in turn: a token made from another is
// never more alive than its source (RFC 8693 §2.1, RFC 9700 §4.14).
func (s *Tokens) revokeExchanged(ctx context.Context, jti string, now time.Time) error {
	sources := []string{jti}
	for depth := 0; depth < maxExchangeDepth && len(sources) > 0; depth++ {
		var next []string
		for _, src := range sources {
			revoked, err := s.access.RevokeAccessTokens(ctx, core.TokenFilter{SourceJTI: src}, now)
			if err != nil {
				return fmt.Errorf("revoke exchanged tokens: %w", err)
			}
			for _, t := range revoked {
				if err := s.revoked.RevokeJTI(ctx, t.JTI, t.ExpiresAt); err != nil {
					return fmt.Errorf("cache revocation: %w", err)
				}
				next = append(next, t.JTI)
			}
		}
		sources = next
	}
	return nil
}

// RevokeFamily revokes every refresh token of a family and the access
// tokens issued with them.
func (s *Tokens) RevokeFamily(ctx context.Context, familyID string) error {
	if familyID == "" {
		return nil
	}
	return s.RevokeAll(ctx, core.TokenFilter{FamilyID: familyID})
}

// RevokeAll revokes every refresh and access token matching f.
func (s *Tokens) RevokeAll(ctx context.Context, f core.TokenFilter) error {
	if err := s.RevokeRefresh(ctx, f); err != nil {
		return err
	}
	revoked, err := s.access.RevokeAccessTokens(ctx, f, s.clock.Now())
	if err != nil {
		return fmt.Errorf("revoke access tokens: %w", err)
	}
	for _, t := range revoked {
		if err := s.revoked.RevokeJTI(ctx, t.JTI, t.ExpiresAt); err != nil {
			return fmt.Errorf("cache revocation: %w", err)
		}
	}
	return nil
}

// RevokeRefresh revokes every refresh token matching f and leaves the
// access tokens, which run out within the access-token lifetime.
func (s *Tokens) RevokeRefresh(ctx context.Context, f core.TokenFilter) error {
	if _, err := s.refresh.RevokeRefreshTokens(ctx, f, s.clock.Now()); err != nil {
		return fmt.Errorf("revoke refresh tokens: %w", err)
	}
	return nil
}

// Record returns the stored record of a validated access token, which
// knows what the JWT does not carry: the user, the refresh-token family and
// the authorization code it came from. A token without a record is
// invalid_token.
func (s *Tokens) Record(ctx context.Context, t core.AccessToken) (core.AccessToken, error) {
	rec, err := s.access.GetAccessToken(ctx, t.JTI)
	if errors.Is(err, core.ErrNotFound) {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "the access token is not known").Wrap(err)
	}
	if err != nil {
		return core.AccessToken{}, fmt.Errorf("load access token: %w", err)
	}
	return rec, nil
}

// tokenActorType is who a token's issuance is recorded as done by: the
// person it was issued to, else the client itself.
func tokenActorType(at core.AccessToken) string {
	if at.UserID != "" {
		return core.AuditActorUser
	}
	return core.AuditActorClient
}
