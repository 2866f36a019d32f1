package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"go.uber.org/dig"

	"go.uber.org/fx"
	"go.uber.org/fx/fxevent"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/authorizationcode"
	"github.com/identityd/identityd/grants/clientcredentials"
	"github.com/identityd/identityd/grants/devicecode"
	"github.com/identityd/identityd/grants/refreshtoken"
	"github.com/identityd/identityd/grants/tokenexchange"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// GrantModules is the list of installed grant types. Adding a grant type
// is adding its package and one line here.
var GrantModules = []fx.Option{
	clientcredentials.Module,
	authorizationcode.Module,
	refreshtoken.Module,
	devicecode.Module,
	tokenexchange.Module,
}

// StartError returns the cause of a failed start in one line, without
// fx's dependency chain: the error the failing constructor or start hook
// returned.
func StartError(err error) string {
	return strings.Join(strings.Fields(dig.RootCause(err).Error()), " ")
}

// Banner is where one-time start-up notices for a person go (stderr).
type Banner struct{ io.Writer }

// New returns the application: every adapter, service, grant and the HTTP
// server, ready for Start. extra options are added last (tests use them to
// replace the clock or populate values).
func New(cfg Config, logger *slog.Logger, banner io.Writer, extra ...fx.Option) *fx.App {
	return fx.New(Options(cfg, logger, banner), fx.Options(extra...))
}

// NewWithGrants is New with grantModules instead of GrantModules.
func NewWithGrants(cfg Config, logger *slog.Logger, banner io.Writer, grantModules []fx.Option, extra ...fx.Option) *fx.App {
	return fx.New(OptionsWithGrants(cfg, logger, banner, grantModules), fx.Options(extra...))
}

// Options is the fx graph of the server.
func Options(cfg Config, logger *slog.Logger, banner io.Writer) fx.Option {
	return OptionsWithGrants(cfg, logger, banner, GrantModules)
}

// OptionsWithGrants is Options with grantModules installed instead of
// GrantModules (a test builds the server without a grant with it).
func OptionsWithGrants(cfg Config, logger *slog.Logger, banner io.Writer, grantModules []fx.Option) fx.Option {
	return fx.Options(
		fx.Supply(cfg, logger, Banner{banner}),
		fx.WithLogger(func() fxevent.Logger {
			l := &fxevent.SlogLogger{Logger: logger.With("component", "fx")}
			l.UseLogLevel(slog.LevelDebug)
			// A start-up failure is reported once, by the command, in
			// the words of StartError; fx's own account of it (with the
			// dependency chain) is for debugging.
			l.UseErrorLevel(slog.LevelDebug)
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
		fx.Provide(newAudit, newAuditEvents, newTokens, newClients, service.NewScopes, newGrantSettings),
		grants.Module,
		fx.Options(grantModules...),
		fx.Provide(startMetrics, newHandler, newServer),
		fx.Provide(newNotices),
		fx.Invoke(func(*MetricsServer) {}, bootstrap, startServer, showNotices, startJanitor),
		accountsModule(),
		upstreamModule(),
	)
}

// newGrantSettings are the configuration values grant modules read.
func newGrantSettings(cfg Config) grants.Settings {
	return grants.Settings{Issuer: cfg.IssuerURL, DeviceCodeTTL: cfg.Tokens.DeviceCodeTTL}
}

type signerParams struct {
	fx.In
	LC    fx.Lifecycle
	Cfg   Config
	Keys  ports.SigningKeyStore
	Uses  ports.SecretUseStore
	Clock ports.Clock
	Log   *slog.Logger
}

type signerResult struct {
	fx.Out
	Ring     *jwt.Keyring
	Signer   ports.TokenSigner
	IDTokens ports.IDTokenSigner
	Manager  *jwt.KeyManager
}

// keyRefreshEvery is how often an instance reads the signing keys of the
// store: a rotation reaches every instance within it.
const keyRefreshEvery = 10 * time.Second

// newSigner returns the key ring. Access tokens are signed as
// JWT_SIGNING_ALG says: HS256 with JWT_SECRET (JWT_SECRET_PREVIOUS
// verifying too); RS256, ES256 and EdDSA with the key of
// JWT_PRIVATE_KEY_FILE or, without one, the active key of the store. ID
// tokens are signed with the active stored key of their algorithm. Keys in
// the store are made by the first instance that needs them, and rotate by
// SIGNING_KEY_ROTATION_INTERVAL or `identityd keys rotate`.
func newSigner(p signerParams) (signerResult, error) {
	alg := p.Cfg.Tokens.SigningAlg
	var ring *jwt.Keyring
	watch := newSecretWatch(p)
	if !jwt.IsAsymmetric(alg) {
		ring = jwt.NewHMACKeyringOf(jwt.HMACSecrets{
			Current: p.Cfg.Tokens.Secret, Next: p.Cfg.Tokens.NextSecret,
			Previous: p.Cfg.Tokens.PreviousSecret, PreviousUntil: watch.Until,
		})
	} else {
		var file *jwt.Asymmetric
		if p.Cfg.Tokens.PrivateKey != nil {
			var err error
			if file, err = jwt.NewAsymmetric(alg, p.Cfg.Tokens.PrivateKey); err != nil {
				return signerResult{}, fmt.Errorf("JWT_PRIVATE_KEY_FILE: %w", err)
			}
		}
		var err error
		if ring, err = jwt.NewAsymmetricKeyring(alg, file); err != nil {
			return signerResult{}, err
		}
	}
	m := jwt.NewKeyManager(jwt.KeyManagerConfig{
		Algs:             []string{jwt.RS256, jwt.ES256, jwt.EdDSA},
		RotationInterval: p.Cfg.Tokens.RotationInterval,
		// A lagging instance signs with a retired key until its next
		// refresh; clocks may differ by up to 30s.
		PublishFor:   publishFor(p.Cfg),
		PublishFirst: p.Cfg.Tokens.JWKSCacheMaxAge,
		RefreshEvery: keyRefreshEvery,
	}, p.Keys, p.Clock, ring, p.Log)
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	if err := m.Refresh(ctx); err != nil {
		return signerResult{}, fmt.Errorf("signing keys: %w", err)
	}
	if err := watch.Mark(ctx); err != nil {
		return signerResult{}, fmt.Errorf("mark secrets in use: %w", err)
	}
	if err := watch.Read(ctx); err != nil {
		return signerResult{}, fmt.Errorf("read secret use: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	p.LC.Append(fx.Hook{
		OnStart: func(context.Context) error {
			go func() { defer func() { done <- struct{}{} }(); m.Run(runCtx) }()
			go func() { defer func() { done <- struct{}{} }(); watch.Run(runCtx) }()
			return nil
		},
		OnStop: func(context.Context) error {
			stop()
			<-done
			<-done
			return nil
		},
	})
	return signerResult{Ring: ring, Signer: ring, IDTokens: ring, Manager: m}, nil
}

// newSecretWatch marks JWT_SECRET (under HS256) and JWT_REFRESH_SECRET as in
// use by this instance, and follows JWT_SECRET_PREVIOUS's last use by any
// instance: it verifies only what was signed before then (issue 24 §8).
func newSecretWatch(p signerParams) *jwt.SecretWatch {
	mark := []string{newSecretHasher(p.Cfg).KeyID()}
	previous := ""
	if !jwt.IsAsymmetric(p.Cfg.Tokens.SigningAlg) {
		mark = append(mark, jwt.HMACKeyID(p.Cfg.Tokens.Secret))
		if p.Cfg.Tokens.PreviousSecret != nil {
			previous = jwt.HMACKeyID(p.Cfg.Tokens.PreviousSecret)
		}
	}
	return jwt.NewSecretWatch(p.Uses, p.Clock, p.Log, mark, previous)
}

// newSecretHasher keys the machine-secret hash with a key derived from
// JWT_REFRESH_SECRET, as the contract says refresh tokens are stored; what
// was hashed under JWT_REFRESH_SECRET_PREVIOUS or JWT_REFRESH_SECRET_NEXT is
// still found.
func newSecretHasher(cfg Config) ports.SecretHasher {
	return hashing.NewRotatingHMAC(secretHashKey(cfg.Tokens.RefreshSecret), secretHashKey(cfg.Tokens.PreviousRefreshSecret)).
		WithNext(secretHashKey(cfg.Tokens.NextRefreshSecret))
}

// secretHashKey is the machine-secret hash key of a JWT_REFRESH_SECRET;
// nil for none.
func secretHashKey(refreshSecret []byte) []byte {
	if refreshSecret == nil {
		return nil
	}
	return deriveKey(refreshSecret, "identityd secret hash v1")
}

func newPasswordHasher(cfg Config) ports.PasswordHasher {
	return hashing.NewBcrypt(cfg.Passwords.BcryptCost)
}

type tokenParams struct {
	fx.In
	IDTokens ports.IDTokenSigner
	Users    ports.UserRepository
	Cfg      Config
	Signer   ports.TokenSigner
	Access   ports.AccessTokenRepository
	Refresh  ports.RefreshTokenRepository
	Revoked  ports.RevocationCache
	Hasher   ports.SecretHasher
	Random   ports.Random
	Clock    ports.Clock
	Audit    *service.Audit
}

func newTokens(p tokenParams) *service.Tokens {
	return service.NewTokens(service.TokenConfig{Issuer: p.Cfg.IssuerURL, AccessTTL: p.Cfg.Tokens.AccessTTL, RefreshTTL: p.Cfg.Tokens.RefreshTTL, ReuseInterval: p.Cfg.Tokens.RefreshReuseInterval},
		service.TokenDeps{Signer: p.Signer, IDTokens: p.IDTokens, Users: p.Users, Access: p.Access, Refresh: p.Refresh, Revoked: p.Revoked, Hasher: p.Hasher, Random: p.Random, Clock: p.Clock, Audit: p.Audit})
}

type clientParams struct {
	fx.In
	Cfg    Config
	Repo   ports.ClientRepository
	Scopes ports.ScopeRepository
	Hasher ports.SecretHasher
	Random ports.Random
	Clock  ports.Clock
	Tokens *service.Tokens
	Grants *grants.Registry
	Audit  *service.Audit
	Names  ports.ClientNameFinder
}

func newClients(p clientParams) *service.Clients {
	return service.NewClients(service.ClientDeps{Repo: p.Repo, Scopes: p.Scopes, Hasher: p.Hasher, Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Grants: p.Grants, Audit: p.Audit, Names: p.Names, Builtin: builtinClientIDs(p.Cfg)})
}
