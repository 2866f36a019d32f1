package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

var managementScopeDescriptions = map[string]string{
	core.ScopeScopesRead:   "Read scopes",
	core.ScopeScopesWrite:  "Create, change and delete scopes",
	core.ScopeClientsRead:  "Read OAuth clients",
	core.ScopeClientsWrite: "Create, change and delete OAuth clients",
}

// bootstrap makes what the server needs to be usable: the management
// scopes, and the bootstrap admin client when configured. A development
// server on in-memory adapters with no bootstrap client gets a generated
// one, whose credentials are shown once on the banner.
func bootstrap(cfg Config, scopes *service.Scopes, clients *service.Clients, log *slog.Logger, banner Banner) error {
	ctx := context.Background()
	for _, name := range core.ManagementScopes() {
		if err := scopes.Ensure(ctx, name, managementScopeDescriptions[name]); err != nil {
			return fmt.Errorf("bootstrap scope %s: %w", name, err)
		}
	}
	id, secret := cfg.Bootstrap.AdminClientID, cfg.Bootstrap.AdminClientSecret
	generated := false
	if id == "" {
		if cfg.Env != EnvDevelopment || !cfg.InMemory() {
			return nil
		}
		id, generated = "dev-admin", true
	}
	_, err := clients.Get(ctx, id)
	switch {
	case err == nil:
		if err := clients.EnsureSecret(ctx, id, secret); err != nil {
			return fmt.Errorf("bootstrap client %s: %w", id, err)
		}
		return nil
	case !errors.Is(err, core.ErrNotFound):
		return fmt.Errorf("bootstrap client %s: %w", id, err)
	}
	public := false
	_, secret, err = clients.Create(ctx, service.ClientInput{
		ID: id, Name: "Bootstrap admin", GrantTypes: []string{core.GrantClientCredentials},
		Scopes: core.ManagementScopes(), Public: &public, Secret: secret,
	})
	if err != nil {
		return fmt.Errorf("bootstrap client %s: %w", id, err)
	}
	log.Info("bootstrap client created", "client_id", id)
	if generated {
		fmt.Fprintf(banner, "\nDevelopment admin client (in memory, shown once):\n  client_id:     %s\n  client_secret: %s\n  try: curl -s -u '%s:%s' -d grant_type=client_credentials %s/oauth/token\n\n",
			id, secret, id, secret, cfg.IssuerURL)
	}
	return nil
}
