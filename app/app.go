package app

import (
	"io"
	"log/slog"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/authorizationcode"
	"github.com/identityd/identityd/grants/clientcredentials"
	"github.com/identityd/identityd/grants/refreshtoken"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// GrantModules is the list of installed grant types. Adding a grant type
// is adding its package and one line here.
var GrantModules = fx.Options(
	clientcredentials.Module,
	authorizationcode.Module,
	refreshtoken.Module,
)

// Banner is where one-time start-up notices for a person go (stderr).
type Banner struct{ io.Writer }

// New returns the application: every adapter, service, grant and the HTTP
// server, ready for Start. extra options are added last (tests use them to
// replace the clock or populate values).
func New(cfg Config, logger *slog.Logger, banner io.Writer, extra ...fx.Option) *fx.App {
	return fx.New(Options(cfg, logger, banner), fx.Options(extra...))
}

// Options is the fx graph of the server.
func Options(cfg Config, logger *slog.Logger, banner io.Writer) fx.Option {
	return fx.Options(
		fx.Supply(cfg, logger, Banner{banner}),
		fx.WithLogger(func() fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: logger.With("component", "fx")}
			l.UseLogLevel(slog.LevelDebug)
			return l
		}),
		fx.Provide(
			func() ports.Clock { return system.Clock{} },
			func() ports.Random { return system.Random{} },
			newSigner,
			newSecretHasher,
			newPasswordHasher,
			newTelemetryProviders,
			newMetrics,
		),
		storeModule(cfg),
		fx.Provide(newAudit, newTokens, newClients, service.NewScopes),
		grants.Module,
		GrantModules,
		fx.Provide(newHandler, newServer),
		fx.Invoke(bootstrap, startServer, startJanitor),
		accountsModule(),
	)
}

func newSigner(cfg Config) ports.TokenSigner { return jwt.NewHS256(cfg.Tokens.Secret) }

// newSecretHasher keys the machine-secret hash with a key derived from
// JWT_REFRESH_SECRET, as the contract says refresh tokens are stored.
func newSecretHasher(cfg Config) ports.SecretHasher {
	return hashing.NewHMAC(deriveKey(cfg.Tokens.RefreshSecret, "identityd secret hash v1"))
}

func newPasswordHasher(cfg Config) ports.PasswordHasher {
	return hashing.NewBcrypt(cfg.Passwords.BcryptCost)
}

type tokenParams struct {
	fx.In
	Cfg     Config
	Signer  ports.TokenSigner
	Access  ports.AccessTokenRepository
	Refresh ports.RefreshTokenRepository
	Revoked ports.RevocationCache
	Hasher  ports.SecretHasher
	Random  ports.Random
	Clock   ports.Clock
	Audit   *service.Audit
}

func newTokens(p tokenParams) *service.Tokens {
	return service.NewTokens(service.TokenConfig{Issuer: p.Cfg.IssuerURL, AccessTTL: p.Cfg.Tokens.AccessTTL, RefreshTTL: p.Cfg.Tokens.RefreshTTL},
		service.TokenDeps{Signer: p.Signer, Access: p.Access, Refresh: p.Refresh, Revoked: p.Revoked, Hasher: p.Hasher, Random: p.Random, Clock: p.Clock, Audit: p.Audit})
}

type clientParams struct {
	fx.In
	Repo   ports.ClientRepository
	Scopes ports.ScopeRepository
	Hasher ports.SecretHasher
	Random ports.Random
	Clock  ports.Clock
	Tokens *service.Tokens
	Grants *grants.Registry
}

func newClients(p clientParams) *service.Clients {
	return service.NewClients(service.ClientDeps{Repo: p.Repo, Scopes: p.Scopes, Hasher: p.Hasher, Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Grants: p.Grants})
}
