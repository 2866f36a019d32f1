package app

import (
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/oidcrp"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// upstreamModule provides upstream sign-in: the identity providers, the
// OpenID Connect relying party and the account links.
func upstreamModule() fx.Option {
	return fx.Provide(newIdentityProviders, newUpstreamSignIns, newUpstreamOIDC)
}

// sealKey is the key that seals upstream client secrets, derived from a
// JWT_REFRESH_SECRET; nil for none.
func sealKey(refreshSecret []byte) []byte {
	if refreshSecret == nil {
		return nil
	}
	return deriveKey(refreshSecret, "identityd upstream client secret v1")
}

func newUpstreamOIDC() ports.UpstreamOIDC { return oidcrp.New(oidcrp.Options{}) }

type identityProviderParams struct {
	fx.In
	Cfg   Config
	Repo  ports.IdentityProviderRepository
	OIDC  ports.UpstreamOIDC
	Clock ports.Clock
	Audit *service.Audit
}

// newIdentityProviders seals client secrets under a key derived from
// JWT_REFRESH_SECRET (what JWT_REFRESH_SECRET_PREVIOUS sealed still opens).
func newIdentityProviders(p identityProviderParams) (*service.IdentityProviders, error) {
	sealer, err := hashing.NewAESGCM(sealKey(p.Cfg.Tokens.RefreshSecret), sealKey(p.Cfg.Tokens.PreviousRefreshSecret))
	if err != nil {
		return nil, err
	}
	return service.NewIdentityProviders(service.IdentityProviderDeps{Repo: p.Repo, Sealer: sealer, OIDC: p.OIDC, Clock: p.Clock, Audit: p.Audit}), nil
}

type upstreamParams struct {
	fx.In
	Cfg       Config
	Providers *service.IdentityProviders
	Links     ports.IdentityLinkRepository
	Users     ports.UserRepository
	OIDC      ports.UpstreamOIDC
	Random    ports.Random
	Clock     ports.Clock
	Audit     *service.Audit
	Accounts  *service.Accounts
}

func newUpstreamSignIns(p upstreamParams) *service.UpstreamSignIns {
	return service.NewUpstreamSignIns(service.UpstreamDeps{
		Providers: p.Providers, Links: p.Links, Users: p.Users, OIDC: p.OIDC, Random: p.Random, Clock: p.Clock,
		Audit: p.Audit, Accounts: p.Accounts, Issuer: p.Cfg.IssuerURL,
	})
}
