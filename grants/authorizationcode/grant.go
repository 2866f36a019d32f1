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

var (
	_ grants.Grant       = (*Grant)(nil)
	_ grants.Contributor = (*Grant)(nil)
)

// New returns the grant.
func New(codes *service.Authorizations) *Grant { return &Grant{codes: codes} }

// NewWith returns the grant over any Redeemer (for tests).
func NewWith(codes Redeemer) *Grant { return &Grant{codes: codes} }

// GrantType implements grants.Grant.
func (g *Grant) GrantType() string { return core.GrantAuthorizationCode }

// RequiresClientAuth implements grants.Grant: a public client redeems
// with PKCE instead of a secret (RFC 7636, RFC 9700 §2.1.1).
func (g *Grant) RequiresClientAuth() bool { return false }

// ScopePolicy implements grants.Grant: the scope is the one the code was
// issued for (RFC 6749 §4.1.3 has no scope parameter).
func (g *Grant) ScopePolicy() grants.ScopePolicy { return grants.ScopeFromGrant }

// Contribute implements grants.Contributor: the authorization endpoint
// (RFC 6749 §3.1) and its RFC 8414 members.
func (g *Grant) Contribute() grants.Contribution {
	return grants.Contribution{
		Endpoints: []grants.Endpoint{{Path: "/oauth/authorize", MetadataName: "authorization_endpoint", Flow: grants.FlowAuthorize}},
		Metadata: map[string]any{
			"response_types_supported":         []string{"code"},
			"response_modes_supported":         []string{"query"},
			"code_challenge_methods_supported": []string{core.PKCEMethodS256},
			// RFC 9207 §3: every authorization response carries iss.
			"authorization_response_iss_parameter_supported": true,
		},
	}
}

// Token implements grants.Grant (RFC 6749 §4.1.3): code, redirect_uri when
// the authorization request had one, and code_verifier when it had a
// code_challenge.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	return g.codes.Redeem(ctx, r.Client, r.Params.Get("code"), r.Params.Get("redirect_uri"), r.Params.Get("code_verifier"))
}
