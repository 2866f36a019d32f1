package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

var managementScopeDescriptions = map[string]string{
	core.ScopeScopesRead:   "Read scopes",
	core.ScopeScopesWrite:  "Create, change and delete scopes",
	core.ScopeClientsRead:  "Read OAuth clients",
	core.ScopeClientsWrite: "Create, change and delete OAuth clients",
	core.ScopeClientsAdmin: "Give clients management scopes and first-party status",
	core.ScopeUsersRead:    "Read people's accounts, sessions and tokens",
	core.ScopeUsersWrite:   "Create, change, disable and delete people's accounts and end their sessions",
	core.ScopeAuditRead:    "Read the audit log",
	core.ScopeRoles:        "Your roles",
	core.ScopeAccount:      "Read and change your account: name, password, sessions",
	core.ScopeOpenID:       "Sign you in with your identityd account",
	core.ScopeProfile:      "Your name",
	core.ScopeEmail:        "Your e-mail address and whether it is verified",
}

// devAdminClientID is the bootstrap client a development server on
// in-memory adapters makes for itself when none is configured.
const devAdminClientID = "dev-admin"

// bootstrapClientID is the id of the bootstrap admin client, "" when there
// is none.
func bootstrapClientID(cfg Config) string {
	switch {
	case cfg.Bootstrap.AdminClientID != "":
		return cfg.Bootstrap.AdminClientID
	case cfg.Env == EnvDevelopment && cfg.InMemory():
		return devAdminClientID
	}
	return ""
}

// builtinClientIDs are the clients the server keeps itself, which the
// management API cannot change (contract §3).
func builtinClientIDs(cfg Config) []string {
	ids := []string{service.WebClientID}
	if id := bootstrapClientID(cfg); id != "" {
		ids = append(ids, id)
	}
	return ids
}

// bootstrap makes what the server needs to be usable: the management and
// OpenID Connect scopes, and the bootstrap admin client when configured. A development
// server on in-memory adapters with no bootstrap client gets a generated
// one, whose credentials are shown once on the banner.
func bootstrap(cfg Config, scopes *service.Scopes, clients *service.Clients, log *slog.Logger, notices *Notices) error {
	ctx := service.WithActor(context.Background(), service.ActorBootstrap)
	for _, name := range append(append(core.ManagementScopes(), core.OpenIDScopes()...), core.ScopeRoles, core.ScopeAccount) {
		if err := scopes.Ensure(ctx, name, managementScopeDescriptions[name]); err != nil {
			return fmt.Errorf("bootstrap scope %s: %w", name, err)
		}
	}
	id, secret := bootstrapClientID(cfg), cfg.Bootstrap.AdminClientSecret
	if id == "" {
		return nil
	}
	generated := id != cfg.Bootstrap.AdminClientID
	_, err := clients.Get(ctx, id)
	switch {
	case err == nil:
		if err := clients.EnsureBuiltin(ctx, id, secret, core.ManagementScopes()); err != nil {
			return fmt.Errorf("bootstrap client %s: %w", id, err)
		}
		return nil
	case !errors.Is(err, core.ErrNotFound):
		return fmt.Errorf("bootstrap client %s: %w", id, err)
	}
	public := false
	_, secret, err = clients.Create(ctx, core.SystemCaller, service.ClientInput{
		ID: id, Name: "Bootstrap admin", GrantTypes: []string{core.GrantClientCredentials},
		Scopes: core.ManagementScopes(), Public: &public, Secret: secret,
	})
	if err != nil {
		return fmt.Errorf("bootstrap client %s: %w", id, err)
	}
	log.Info("bootstrap client created", "client_id", id)
	if generated {
		notices.Addf("\nDevelopment admin client (in memory, shown once):\n  client_id:     %s\n  client_secret: %s\n  try: curl -s -u '%s:%s' -d grant_type=client_credentials %s/oauth/token\n\n",
			id, secret, id, secret, cfg.IssuerURL)
	}
	return nil
}

// Notices are what start-up has to tell the person at the terminal (the
// development admin client). They are shown on the Banner once the server
// listens, so nobody is handed credentials for a server that then fails to
// start.
type Notices struct{ text []string }

func newNotices() *Notices { return &Notices{} }

// Addf adds one notice.
func (n *Notices) Addf(format string, args ...any) {
	n.text = append(n.text, fmt.Sprintf(format, args...))
}

// showNotices prints the notices after the server's start hook, which
// binds the port, has run.
func showNotices(lc fx.Lifecycle, n *Notices, banner Banner) {
	lc.Append(fx.Hook{OnStart: func(context.Context) error {
		for _, t := range n.text {
			fmt.Fprint(banner, t)
		}
		return nil
	}})
}

// bootstrapAccounts creates the built-in first-party public client
// identity-web, under which /api/auth/login issues tokens, and the
// bootstrap admin user when configured. Both are left alone when present.
func bootstrapAccounts(cfg Config, clients *service.Clients, accounts *service.Accounts, log *slog.Logger) error {
	ctx := service.WithActor(context.Background(), service.ActorBootstrap)
	_, err := clients.Get(ctx, service.WebClientID)
	if err == nil {
		err = clients.EnsureBuiltin(ctx, service.WebClientID, "", core.ManagementScopes())
	}
	if errors.Is(err, core.ErrNotFound) {
		public := true
		_, _, err = clients.Create(ctx, core.SystemCaller, service.ClientInput{
			ID: service.WebClientID, Name: "identityd web", GrantTypes: []string{core.GrantRefreshToken},
			Scopes: core.ManagementScopes(), Public: &public, FirstParty: true,
		})
		if err == nil {
			log.Info("bootstrap client created", "client_id", service.WebClientID)
		}
	}
	if err != nil && !errors.Is(err, core.ErrAlreadyExists) {
		return fmt.Errorf("bootstrap client %s: %w", service.WebClientID, err)
	}
	if cfg.Bootstrap.AdminEmail == "" {
		return nil
	}
	created, err := accounts.EnsureUser(ctx, service.RegisterInput{
		Email: cfg.Bootstrap.AdminEmail, Password: cfg.Bootstrap.AdminPassword,
		FirstName: "Admin", LastName: "Admin", Roles: []string{core.RoleAdmin},
	})
	if err != nil {
		return fmt.Errorf("bootstrap admin user: %w", err)
	}
	if created {
		log.Info("bootstrap admin user created", "email", cfg.Bootstrap.AdminEmail)
	}
	return nil
}
