package authorizationcode

import (
	"context"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.authorization_code", grants.Provide(New))

// Redeemer exchanges authorization codes for tokens.
type Redeemer interface {
	Redeem(ctx context.Context, client core.Client, code, redirectURI, verifier string) (core.TokenResponse, error)
}

var _ Redeemer = (*service.Authorizations)(nil)

// Grant redeems authorization codes.
type Grant struct {
	codes Redeemer
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(codes *service.Authorizations) *Grant { return &Grant{codes: codes} }

// Type implements grants.Grant.
func (g *Grant) Type() string { return core.GrantAuthorizationCode }

// Token implements grants.Grant (RFC 6749 §4.1.3): code, redirect_uri when
// the authorization request had one, and code_verifier when it had a
// code_challenge. The scope is the one the code was issued for.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	return g.codes.Redeem(ctx, r.Client, r.Form.Get("code"), r.Form.Get("redirect_uri"), r.Form.Get("code_verifier"))
}
