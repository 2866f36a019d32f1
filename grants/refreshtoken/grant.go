package refreshtoken

import (
	"context"
	"errors"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/service"
)

// Module registers the grant.
var Module = fx.Module("grant.refresh_token", grants.Provide(New))

// Grant rotates refresh tokens.
type Grant struct {
	tokens *service.Tokens
	audit  *service.Audit
}

var _ grants.Grant = (*Grant)(nil)

// New returns the grant.
func New(tokens *service.Tokens, audit *service.Audit) *Grant {
	return &Grant{tokens: tokens, audit: audit}
}

// Type implements grants.Grant.
func (g *Grant) Type() string { return core.GrantRefreshToken }

// Token implements grants.Grant (RFC 6749 §6).
func (g *Grant) Token(ctx context.Context, r grants.Request) (core.TokenResponse, error) {
	raw := r.Form.Get("refresh_token")
	if raw == "" {
		return core.TokenResponse{}, core.NewOAuthError(core.CodeInvalidRequest, "refresh_token is required")
	}
	resp, err := g.tokens.Rotate(ctx, r.Client, raw, r.Scopes)
	if errors.Is(err, core.ErrRefreshReused) {
		g.audit.Record(ctx, core.AuditEvent{Type: core.AuditRefreshReuse, ClientID: r.Client.ID, Detail: "a retired refresh token was presented: its family is revoked"})
		return core.TokenResponse{}, err
	}
	if err != nil {
		return core.TokenResponse{}, err
	}
	g.audit.Record(ctx, core.AuditEvent{Type: core.AuditTokenIssued, ClientID: r.Client.ID, Success: true, Detail: "refresh_token; scope=" + resp.Scope})
	return resp, nil
}
