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

// Issuer issues tokens.
type Issuer interface {
	Issue(ctx context.Context, g service.Grant) (core.TokenResponse, error)
}

var _ Issuer = (*service.Tokens)(nil)

// Grant issues tokens whose subject is the client itself.
type Grant struct {
	tokens Issuer
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(tokens *service.Tokens) *Grant { return &Grant{tokens: tokens} }

// NewWith returns the grant over any Issuer (for tests).
func NewWith(tokens Issuer) *Grant { return &Grant{tokens: tokens} }

// GrantType implements grants.Grant.
func (g *Grant) GrantType() string { return core.GrantClientCredentials }

// RequiresClientAuth implements grants.Grant: "The client credentials
// grant type MUST only be used by confidential clients" (RFC 6749 §4.4).
func (g *Grant) RequiresClientAuth() bool { return true }

// ScopePolicy implements grants.Grant: an absent scope grants every scope
// the client holds.
func (g *Grant) ScopePolicy() grants.ScopePolicy { return grants.ScopeClientDefault }

// Token implements grants.Grant (RFC 6749 §4.4.2): the token's subject is
// the client, and no refresh token is issued (§4.4.3: "A refresh token
// SHOULD NOT be included").
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	return g.tokens.Issue(ctx, service.Grant{Client: r.Client, Scopes: r.Scopes, GrantType: core.GrantClientCredentials})
}
