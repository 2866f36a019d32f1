package app

import (
	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/ports"
)

// Stores is every storage-backed port, provided together by the selected
// backend.
type Stores struct {
	fx.Out

	Clients     ports.ClientRepository
	Scopes      ports.ScopeRepository
	Users       ports.UserRepository
	Access      ports.AccessTokenRepository
	Refresh     ports.RefreshTokenRepository
	Codes       ports.AuthCodeRepository
	Resets      ports.PasswordResetRepository
	Audit       ports.AuditLog
	Purger      ports.Purger
	Revocations ports.RevocationCache
	RateLimits  ports.RateLimitStore
	Readiness   Readiness
}

// Readiness lists what /readyz asks.
type Readiness []ports.Pinger

func storeModule(Config) fx.Option {
	return fx.Provide(memoryStores)
}

func memoryStores(clock ports.Clock) Stores {
	s := memory.NewStore()
	return Stores{
		Clients: s, Scopes: s, Users: s, Access: s, Refresh: s, Codes: s, Resets: s, Audit: s, Purger: s,
		Revocations: memory.NewRevocationCache(clock), RateLimits: memory.NewRateLimitStore(),
		Readiness: Readiness{s},
	}
}

// OnlyStore builds just enough of the graph to reach the store: the janitor
// command uses it.
func OnlyStore(purger *ports.Purger) fx.Option {
	return fx.Populate(purger)
}
