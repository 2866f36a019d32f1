package app

import (
	"github.com/identityd/identityd/adapters/hashing"
	"log/slog"
	"net/url"
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
		fx.Provide(newMailer, newMailQueue, newAccounts, newAuthorizations, newConsents, core.DefaultLoginThrottle),
		fx.Invoke(bootstrapAccounts),
	)
}

// SessionTTL is how long a browser stays signed in at the authorization
// endpoint.
const SessionTTL = 8 * time.Hour

// newMailer sends through SMTP_URL when it is set. Without it, the log
// mailer writes a line per mail, showing the token only at
// LOG_LEVEL=debug in development.
func newMailer(cfg Config, logger *slog.Logger) (ports.Mailer, error) {
	if cfg.Mail.SMTP == nil {
		return mail.NewLog(logger, cfg.Env == EnvDevelopment && cfg.Log.Level <= slog.LevelDebug), nil
	}
	tmpl, err := mail.NewTemplates(cfg.IssuerURL, mail.WithBrand(mail.Brand{Name: cfg.Brand.Name, PrimaryColor: cfg.Brand.PrimaryColor}))
	if err != nil {
		return nil, err
	}
	return mail.NewSMTP(mail.SMTPOptions{URL: cfg.Mail.SMTP, From: cfg.Mail.From, Templates: tmpl})
}

// newMailQueue runs mail work off the request path; at stop it waits for
// the queued mails as long as the stop allows. It takes the user
// repository so that it is built after the stores and so, fx stopping in
// reverse, stopped before them.
func newMailQueue(lc fx.Lifecycle, logger *slog.Logger, _ ports.UserRepository) *service.MailQueue {
	q := service.NewMailQueue(service.DefaultMailQueueConfig, logger)
	lc.Append(fx.Hook{OnStop: q.Close})
	return q
}

type accountParams struct {
	fx.In
	Cfg        Config
	Users      ports.UserRepository
	Devices    ports.LoginDeviceRepository
	UserTokens ports.UserTokenLister
	Resets     ports.PasswordResetRepository
	Clients    ports.ClientRepository
	Passwords  ports.PasswordHasher
	Secrets    ports.SecretHasher
	Mailer     ports.Mailer
	Random     ports.Random
	Clock      ports.Clock
	Tokens     *service.Tokens
	Audit      *service.Audit
	Logger     *slog.Logger
	Throttle   core.LoginThrottle
	Mail       *service.MailQueue
	Limits     ports.RateLimitStore
	Factors    ports.FactorRepository
}

func newAccounts(p accountParams) (*service.Accounts, error) {
	// TOTP secrets are sealed as the generated signing keys are: with
	// AES-256-GCM under a key derived from JWT_REFRESH_SECRET (the
	// previous one still opens them).
	sealer, err := hashing.NewAESGCM(factorSealKey(p.Cfg.Tokens.RefreshSecret), factorSealKey(p.Cfg.Tokens.PreviousRefreshSecret))
	if err != nil {
		return nil, err
	}
	return service.NewAccounts(service.AccountConfig{
		ResetTTL: p.Cfg.Tokens.ResetTTL, Throttle: p.Throttle, ReuseInterval: p.Cfg.Tokens.RefreshReuseInterval,
		MFARequiredRoles: p.Cfg.MFA.RequiredRoles, TOTPIssuer: totpIssuer(p.Cfg.IssuerURL),
		// Giving or taking away a role that demands a second factor
		// needs clients:admin, as admin does.
		ProtectedRoles: p.Cfg.MFA.RequiredRoles,
	}, service.AccountDeps{
		Factors: p.Factors, Sealer: sealer,
		Users: p.Users, Devices: p.Devices, Resets: p.Resets, Clients: p.Clients, Passwords: p.Passwords, Secrets: p.Secrets, Mailer: p.Mailer,
		Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Audit: p.Audit, Logger: p.Logger,
		Mail: p.Mail, Limits: p.Limits, UserTokens: p.UserTokens,
	})
}

type authorizationParams struct {
	fx.In
	Cfg      Config
	Clients  ports.ClientRepository
	Codes    ports.AuthCodeRepository
	Secrets  ports.SecretHasher
	Random   ports.Random
	Clock    ports.Clock
	Tokens   *service.Tokens
	Audit    *service.Audit
	Answers  ports.RateLimitStore
	Consents ports.ConsentRepository
}

func newAuthorizations(p authorizationParams) *service.Authorizations {
	return service.NewAuthorizations(p.Cfg.Tokens.AuthCodeTTL, service.AuthorizationDeps{
		Clients: p.Clients, Codes: p.Codes, Secrets: p.Secrets, Random: p.Random, Clock: p.Clock, Tokens: p.Tokens, Audit: p.Audit, Answers: p.Answers,
		Consents: p.Consents,
	})
}

// factorSealKey is the key sealing stored second-factor secrets of a
// JWT_REFRESH_SECRET; nil for none.
func factorSealKey(refreshSecret []byte) []byte {
	if refreshSecret == nil {
		return nil
	}
	return deriveKey(refreshSecret, "identityd sealed secrets v1")
}

// totpIssuer names the server in authenticator apps: the host of
// ISSUER_URL.
func totpIssuer(issuer string) string {
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		return u.Host
	}
	return "identityd"
}

// newConsents serves a person's remembered consents.
func newConsents(repo ports.ConsentRepository, clients ports.ClientRepository, tokens *service.Tokens, audit *service.Audit) *service.Consents {
	return service.NewConsents(repo, clients, tokens, audit)
}
