package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.uber.org/fx"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/system"
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
	SigningKeys ports.SigningKeyStore
	Readiness   Readiness
}

// Readiness lists what /readyz asks.
type Readiness []ports.Pinger

// StartTimeout bounds how long start-up waits for PostgreSQL and Redis.
const StartTimeout = 60 * time.Second

func storeModule(cfg Config) fx.Option {
	if cfg.InMemory() {
		return fx.Provide(memoryStores)
	}
	return fx.Provide(externalStores)
}

func memoryStores(clock ports.Clock) Stores {
	s := memory.NewStore()
	return Stores{
		Clients: s, Scopes: s, Users: s, Access: s, Refresh: s, Codes: s, Resets: s, Audit: s, Purger: s,
		Revocations: memory.NewRevocationCache(clock), RateLimits: memory.NewRateLimitStore(),
		SigningKeys: memory.NewSigningKeys(),
		Readiness:   Readiness{s},
	}
}

// externalStores opens PostgreSQL (migrating it unless AUTO_MIGRATE=false)
// and Redis. PostgreSQL holds everything that must last, revocations
// included; Redis caches clients and revocations and counts rate limits.
func externalStores(lc fx.Lifecycle, cfg Config, clock ports.Clock, log *slog.Logger) (Stores, error) {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	db, err := openDB(ctx, cfg, log)
	if err != nil {
		return Stores{}, err
	}
	if cfg.Database.AutoMigrate {
		if err := postgres.Migrate(ctx, db, postgres.MigrateUp, io.Discard); err != nil {
			_ = db.Close()
			return Stores{}, fmt.Errorf("migrate: %w", err)
		}
	}
	rc, err := redis.Open(ctx, redis.Options{URL: cfg.Redis.URL, KeyPrefix: cfg.Redis.KeyPrefix, Logger: log})
	if err != nil {
		_ = db.Close()
		return Stores{}, fmt.Errorf("redis: %w", err)
	}
	keys, err := postgres.NewSigningKeys(db, deriveKey(cfg.Tokens.RefreshSecret, "identityd signing key encryption v1"), clock)
	if err != nil {
		_ = rc.Close()
		_ = db.Close()
		return Stores{}, err
	}
	store := postgres.NewStore(db, postgres.StoreOptions{})
	lc.Append(fx.Hook{OnStop: func(context.Context) error {
		// The HTTP server's stop hook runs first (fx stops in reverse
		// order), so nothing writes any more when the store drains.
		err := store.Close()
		_ = rc.Close()
		_ = db.Close()
		return err
	}})
	return Stores{
		Clients: redis.NewCachedClients(store, redis.NewClientCache(rc, 0), 0),
		Scopes:  store, Users: store, Access: store, Refresh: store, Codes: store, Resets: store, Audit: store, Purger: store,
		Revocations: redis.NewDurableRevocations(rc, store, clock),
		RateLimits:  redis.NewRateLimitStore(rc),
		SigningKeys: keys,
		Readiness:   Readiness{store, rc},
	}, nil
}

func openDB(ctx context.Context, cfg Config, log *slog.Logger) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, postgres.Options{
		URL: cfg.Database.URL, MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime, ConnMaxIdleTime: cfg.Database.ConnMaxIdleTime, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return db, nil
}

// StoreOnly is the part of the graph that reaches the store, without the
// HTTP server: the janitor command runs it.
func StoreOnly(cfg Config, logger *slog.Logger, populate ...any) *fx.App {
	return fx.New(
		fx.Supply(cfg, logger),
		fx.NopLogger,
		fx.Provide(func() ports.Clock { return system.Clock{} }),
		storeModule(cfg),
		fx.Populate(populate...),
	)
}
