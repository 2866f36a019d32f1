package refreshtoken

import (
	"context"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.refresh_token", grants.Provide(New))

// Rotator redeems and rotates refresh tokens.
type Rotator interface {
	Rotate(ctx context.Context, client core.Client, raw string, scopes []string) (core.TokenResponse, error)
}

var _ Rotator = (*service.Tokens)(nil)

// Grant rotates refresh tokens.
type Grant struct {
	tokens Rotator
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(tokens *service.Tokens) *Grant { return &Grant{tokens: tokens} }

// NewWith returns the grant over any Rotator (for tests).
func NewWith(tokens Rotator) *Grant { return &Grant{tokens: tokens} }

// GrantType implements grants.Grant.
func (g *Grant) GrantType() string { return core.GrantRefreshToken }

// RequiresClientAuth implements grants.Grant: a public client refreshes
// by client_id, the token being bound to it (RFC 6749 §6, RFC 9700
// §4.14.2).
func (g *Grant) RequiresClientAuth() bool { return false }

// ScopePolicy implements grants.Grant: "If omitted is treated as equal to
// the scope originally granted by the resource owner" (RFC 6749 §6).
func (g *Grant) ScopePolicy() grants.ScopePolicy { return grants.ScopeFromGrant }

// Token implements grants.Grant (RFC 6749 §6). The requested scope "MUST
// NOT include any scope not originally granted": the service narrows it
// against the presented token's scope inside the rotation.
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	raw := r.Params.Get("refresh_token")
	if raw == "" {
		return core.TokenResponse{}, core.NewOAuthError(core.CodeInvalidRequest, "refresh_token is required")
	}
	return g.tokens.Rotate(ctx, r.Client, raw, r.Scopes)
}
