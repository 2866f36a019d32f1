package clientcredentials

import (
	"context"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.client_credentials", grants.Provide(New))

// Grant issues tokens whose subject is the client itself.
type Grant struct {
	tokens *service.Tokens
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(tokens *service.Tokens) *Grant { return &Grant{tokens: tokens} }

// Type implements grants.Grant.
func (g *Grant) Type() string { return core.GrantClientCredentials }

// Token implements grants.Grant (RFC 6749 §4.4.2): only a confidential
// client may use it, no refresh token is issued (§4.4.3), and an absent
// scope grants every scope the client holds.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	if r.Client.Public {
		return core.TokenResponse{}, core.NewOAuthError(core.CodeUnauthorizedClient, "a public client cannot use client_credentials")
	}
	scopes, err := core.NarrowScope(r.Scopes, r.Client.Scopes)
	if err != nil {
		return core.TokenResponse{}, err
	}
	return g.tokens.Issue(ctx, service.Grant{Client: r.Client, Scopes: scopes})
}
