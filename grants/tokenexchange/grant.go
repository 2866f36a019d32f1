package tokenexchange

import (
	"context"
	"errors"
	"slices"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.token_exchange", grants.Provide(New))

// GrantType is the grant_type of RFC 8693 §2.1.
const GrantType = "urn:ietf:params:oauth:grant-type:token-exchange"

// TokenTypeAccessToken is the only token type accepted and issued (RFC
// 8693 §3).
const TokenTypeAccessToken = "urn:ietf:params:oauth:token-type:access_token"

// Tokens validates and issues access tokens.
type Tokens interface {
	Validate(ctx context.Context, raw string) (core.AccessToken, error)
	Record(ctx context.Context, t core.AccessToken) (core.AccessToken, error)
	Issue(ctx context.Context, g service.Grant) (core.TokenResponse, error)
}

var _ Tokens = (*service.Tokens)(nil)

// Grant is token exchange.
type Grant struct {
	tokens Tokens
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(tokens *service.Tokens) *Grant { return &Grant{tokens: tokens} }

// NewWith returns the grant over any Tokens (for tests).
func NewWith(tokens Tokens) *Grant { return &Grant{tokens: tokens} }

// GrantType implements grants.Grant.
func (g *Grant) GrantType() string { return GrantType }

// RequiresClientAuth implements grants.Grant: only confidential clients
// may exchange tokens (RFC 8693 §2.1 leaves client authentication to the
// server; a public client could replay any token it sees).
func (g *Grant) RequiresClientAuth() bool { return true }

// ScopePolicy implements grants.Grant: without a scope parameter the new
// token has the subject token's scope (as far as the client holds it).
func (g *Grant) ScopePolicy() grants.ScopePolicy { return grants.ScopeFromGrant }

var (
	errNoSubject      = core.NewOAuthError(core.CodeInvalidRequest, "subject_token and subject_token_type are required (RFC 8693 §2.1)")
	errSubjectType    = core.NewOAuthError(core.CodeInvalidRequest, "subject_token_type must be "+TokenTypeAccessToken)
	errActorType      = core.NewOAuthError(core.CodeInvalidRequest, "actor_token_type must be "+TokenTypeAccessToken+", and is required with actor_token only")
	errRequestedType  = core.NewOAuthError(core.CodeInvalidRequest, "requested_token_type must be "+TokenTypeAccessToken)
	errBadSubject     = core.NewOAuthError(core.CodeInvalidRequest, "the subject_token is invalid, revoked or expired")
	errBadActor       = core.NewOAuthError(core.CodeInvalidRequest, "the actor_token is invalid, revoked or expired")
	errTarget         = core.NewOAuthError("invalid_target", "the audience or resource is not one the subject token may be used at (RFC 8693 §2.2.2)")
	errScopeNotInSubj = core.NewOAuthError(core.CodeInvalidScope, "the requested scope exceeds the subject token's")
)

// Token implements grants.Grant (RFC 8693 §2.1, §2.2). The subject token
// and the actor token must be access tokens of this server, valid now; the
// new token keeps the subject's sub and user, with the scope narrowed to
// what the subject token and the client both hold and the audience to what
// the subject token's already names. An actor token adds the act claim
// {"sub": actor}, with the subject token's own act nested under it.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	p := r.Params
	if !p.Has("subject_token") || !p.Has("subject_token_type") {
		return core.TokenResponse{}, errNoSubject
	}
	if p.Get("subject_token_type") != TokenTypeAccessToken {
		return core.TokenResponse{}, errSubjectType
	}
	if p.Has("actor_token") != p.Has("actor_token_type") || (p.Has("actor_token_type") && p.Get("actor_token_type") != TokenTypeAccessToken) {
		return core.TokenResponse{}, errActorType
	}
	if p.Has("requested_token_type") && p.Get("requested_token_type") != TokenTypeAccessToken {
		return core.TokenResponse{}, errRequestedType
	}
	subject, rec, err := g.validate(ctx, p.Get("subject_token"), errBadSubject)
	if err != nil {
		return core.TokenResponse{}, err
	}
	audience, err := Narrow(subject.Audience, p.Get("audience"), p.Get("resource"))
	if err != nil {
		return core.TokenResponse{}, err
	}
	scopes, err := NarrowScope(r.Scopes, r.ScopeRequested, subject.Scopes, r.Client.Scopes)
	if err != nil {
		return core.TokenResponse{}, err
	}
	act := subject.Act
	if p.Has("actor_token") {
		actor, _, err := g.validate(ctx, p.Get("actor_token"), errBadActor)
		if err != nil {
			return core.TokenResponse{}, err
		}
		act = &core.Actor{Subject: actor.Subject, Actor: subject.Act}
	}
	resp, err := g.tokens.Issue(ctx, service.Grant{
		Client: r.Client, UserID: rec.UserID, Subject: subject.Subject, Scopes: scopes, Audience: audience,
		Act: act, FamilyID: rec.FamilyID, GrantType: GrantType, SourceJTI: subject.JTI,
		// A token made from another is never longer-lived than it, and
		// rests on it: issued before the person's cutoff, it yields
		// nothing (core.CredentialAlive).
		DerivedAt: subject.IssuedAt, NotAfter: subject.ExpiresAt,
	})
	if err != nil {
		return core.TokenResponse{}, err
	}
	resp.IssuedTokenType = TokenTypeAccessToken
	return resp, nil
}

// validate checks an access token of this server and loads its record; a
// token that is not valid now is errInvalid, a failing dependency is
// returned as is.
func (g *Grant) validate(ctx context.Context, raw string, errInvalid *core.OAuthError) (core.AccessToken, core.AccessToken, error) {
	t, err := g.tokens.Validate(ctx, raw)
	if err == nil {
		var rec core.AccessToken
		if rec, err = g.tokens.Record(ctx, t); err == nil {
			return t, rec, nil
		}
	}
	var oe *core.OAuthError
	if errors.As(err, &oe) {
		return core.AccessToken{}, core.AccessToken{}, errInvalid.Wrap(err)
	}
	return core.AccessToken{}, core.AccessToken{}, err
}

// Narrow returns the audience of the new token: the subject token's, or
// the one audience or resource asked for when the subject token's names it
// (RFC 8693 §2.1: a request can only narrow). Anything else is
// invalid_target.
func Narrow(subjectAud []string, audience, resource string) ([]string, error) {
	out := subjectAud
	for _, want := range []string{audience, resource} {
		if want == "" {
			continue
		}
		if !slices.Contains(subjectAud, want) {
			return nil, errTarget
		}
		out = []string{want}
	}
	if audience != "" && resource != "" && audience != resource {
		return nil, errTarget
	}
	return append([]string(nil), out...), nil
}

// NarrowScope returns the scope of the new token: the requested scope,
// which must lie within the subject token's (the edge has checked it lies
// within the client's), or without a request every scope both the subject
// token and the client hold.
func NarrowScope(requested []string, wasRequested bool, subject, client []string) ([]string, error) {
	if wasRequested {
		for _, s := range requested {
			if !slices.Contains(subject, s) {
				return nil, errScopeNotInSubj
			}
		}
		return append([]string(nil), requested...), nil
	}
	out := []string{}
	for _, s := range subject {
		if slices.Contains(client, s) {
			out = append(out, s)
		}
	}
	return out, nil
}
