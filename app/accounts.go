package app

import (
	"log/slog"
	"time"

	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/mail"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

// accountsModule provides the services of people and browser flows:
// accounts, authorization codes and the mailer, and
// creates the built-in web client and the bootstrap admin at start.
func accountsModule() fx.Option {
	return fx.Options(
		fx.Provide(newMailer, newAccounts, newAuthorizations, core.DefaultLoginThrottle),
		fx.Invoke(bootstrapAccounts),
	)
}

// SessionTTL is how long a browser stays signed in at the authorization
// endpoint.
const SessionTTL = 8 * time.Hour

// newMailer is the log mailer: no mail service is part of the contract. It
// shows reset tokens only at LOG_LEVEL=debug in development.
func newMailer(cfg Config, logger *slog.Logger) ports.Mailer {
	return mail.NewLog(logger, cfg.Env == EnvDevelopment && cfg.Log.Level <= slog.LevelDebug)
}

type accountParams struct {
	fx.In
	Cfg       Config
	Users     ports.UserRepository
	Devices   ports.LoginDeviceRepository
	Resets    ports.PasswordResetRepository
	Clients   ports.ClientRepository
	Passwords ports.PasswordHasher
	Secrets   ports.SecretHasher
	Mailer    ports.Mailer
	Random    ports.Random
	Clock     ports.Clock
	Tokens    *service.Tokens
	Audit     *service.Audit
	Logger    *slog.Logger
	Throttle  core.LoginThrottle
}

func newAccounts(p accountParams) (*service.Accounts, error) {
	return service.NewAccounts(service.AccountConfig{ResetTTL: p.Cfg.Tokens.ResetTTL, Throttle: p.Throttle}, service.AccountDeps{
		Users: p.Users, Devices: p.Devices, Resets: p.Resets, Clients: p.Clients, Passwords: p.Passwords, Secrets: p.Secrets, Mailer: p.Mailer,
		Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Audit: p.Audit, Logger: p.Logger,
	})
}

type authorizationParams struct {
	fx.In
	Cfg     Config
	Clients ports.ClientRepository
	Codes   ports.AuthCodeRepository
	Secrets ports.SecretHasher
	Random  ports.Random
	Clock   ports.Clock
	Tokens  *service.Tokens
	Audit   *service.Audit
	Answers ports.RateLimitStore
}

func newAuthorizations(p authorizationParams) *service.Authorizations {
	return service.NewAuthorizations(p.Cfg.Tokens.AuthCodeTTL, service.AuthorizationDeps{
		Clients: p.Clients, Codes: p.Codes, Secrets: p.Secrets, Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Audit: p.Audit, Answers: p.Answers,
	})
}
