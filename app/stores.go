package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/fx"

	httpadapter "github.com/identityd/identityd/adapters/http"
	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/nearcache"
	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/redis"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/adapters/telemetry"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Stores is every storage-backed port, provided together by the selected
// backend.
type Stores struct {
	fx.Out

	Clients     ports.ClientRepository
	SecretKeys  ports.ClientSecretKeys
	Scopes      ports.ScopeRepository
	Users       ports.UserRepository
	Devices     ports.LoginDeviceRepository
	Access      ports.AccessTokenRepository
	Refresh     ports.RefreshTokenRepository
	Codes       ports.AuthCodeRepository
	DeviceCodes ports.DeviceCodeRepository
	Resets      ports.PasswordResetRepository
	Factors     ports.FactorRepository
	Audit       ports.AuditLog
	AuditReader ports.AuditReader
	Names       ports.ClientNameFinder
	UserTokens  ports.UserTokenLister
	Consents    ports.ConsentRepository
	Purger      ports.Purger
	Revocations ports.RevocationCache
	RateLimits  ports.RateLimitStore
	SigningKeys ports.SigningKeyStore
	SecretUses  ports.SecretUseStore
	Readiness   Readiness
	// IdentityProviders are cached in process and follow the change log;
	// IdentityLinks are read from the store.
	IdentityProviders ports.IdentityProviderRepository
	IdentityLinks     ports.IdentityLinkRepository
}

// Readiness lists what /readyz asks: PostgreSQL (or the in-memory store)
// decides readiness; Redis only degrades it, since requests still succeed
// without it.
type Readiness []httpadapter.ReadinessCheck

// StartTimeout bounds how long start-up waits for PostgreSQL and Redis.
const StartTimeout = 60 * time.Second

func storeModule(cfg Config) fx.Option {
	if cfg.InMemory() {
		return fx.Provide(memoryStores)
	}
	return fx.Provide(externalStores)
}

func memoryStores(cfg Config, clock ports.Clock) Stores {
	s := memory.NewStore()
	devices := memory.NewDeviceCodes()
	idps := memory.NewIdentityProviders()
	return Stores{
		IdentityProviders: idps, IdentityLinks: idps,
		Clients: s, SecretKeys: s, Scopes: s, Users: s, Devices: s, Access: s, Refresh: s, Codes: s, Resets: s, Audit: s, AuditReader: s, Names: s, UserTokens: s, Consents: s,
		Purger:      purgers{s, devices, auditRetention{s, cfg.Audit.Retention}},
		Factors:     s,
		DeviceCodes: devices,
		Revocations: memory.NewRevocationCache(clock), RateLimits: memory.NewRateLimitStore(),
		SigningKeys: memory.NewSigningKeys(),
		SecretUses:  memory.NewSecretUses(),
		Readiness:   Readiness{{Name: "store", Pinger: s}},
	}
}

// externalStores opens PostgreSQL (migrating it unless AUTO_MIGRATE=false)
// and Redis. PostgreSQL holds everything that must last, revocations
// included, and the change log that the in-process caches of clients and
// revocations follow; Redis counts rate limits and carries the change
// notices.
func externalStores(lc fx.Lifecycle, cfg Config, clock ports.Clock, log *slog.Logger, tel *telemetry.Providers, metrics *telemetry.Metrics) (Stores, error) {
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	var tp trace.TracerProvider
	if tel.Enabled {
		tp = tel.TracerProvider
	}
	db, err := openDB(ctx, cfg, log, tp)
	if err != nil {
		return Stores{}, err
	}
	if err := prepareSchema(ctx, cfg, db, log); err != nil {
		_ = db.Close()
		return Stores{}, err
	}
	rc, err := redis.Open(ctx, redis.Options{URL: cfg.Redis.URL, Cluster: cfg.Redis.Cluster, KeyPrefix: cfg.Redis.KeyPrefix, Logger: log, TracerProvider: tp})
	if err != nil {
		_ = db.Close()
		return Stores{}, fmt.Errorf("redis: %w", err)
	}
	keys, err := postgres.NewSigningKeys(db, signingKeyEncryptionKey(cfg.Tokens.RefreshSecret), signingKeyEncryptionKey(cfg.Tokens.PreviousRefreshSecret), clock)
	if err == nil {
		keys, err = keys.WithNext(signingKeyEncryptionKey(cfg.Tokens.NextRefreshSecret))
	}
	if err != nil {
		_ = rc.Close()
		_ = db.Close()
		return Stores{}, err
	}
	store := postgres.NewStore(db, postgres.StoreOptions{})
	noteKeyRotation(ctx, cfg, clock, keys, store, log)
	unregister, err := metrics.RegisterPool("postgres", func() telemetry.PoolStats {
		st := db.SQL().Stats()
		return telemetry.PoolStats{InUse: st.InUse, Idle: st.Idle, Max: st.MaxOpenConnections}
	})
	if err != nil {
		_ = db.Close()
		_ = rc.Close()
		return Stores{}, fmt.Errorf("pool metrics: %w", err)
	}
	// The caches the hot paths read live in this process and follow
	// PostgreSQL's change log; Redis pub/sub only wakes them sooner.
	notifier := redis.NewChangeNotifier(rc, log)
	revocations := nearcache.NewRevocations(store, notifier, clock)
	clients := nearcache.NewClients(store, notifier, 0)
	idps := nearcache.NewIdentityProviders(store, notifier)
	unregisterCache, err := metrics.RegisterCache("clients", func() telemetry.CacheStats {
		h, m := clients.Stats()
		return telemetry.CacheStats{Hits: h, Misses: m}
	})
	if err != nil {
		_ = unregister()
		_ = db.Close()
		_ = rc.Close()
		return Stores{}, fmt.Errorf("cache metrics: %w", err)
	}
	follower := nearcache.NewFollower(store, notifier, nearcache.Options{Logger: log}, revocations, clients, idps)
	lc.Append(fx.Hook{OnStart: func(ctx context.Context) error {
		// After the bootstrap's writes (fx runs invokes first), so
		// their echo in the log drops nothing a request has cached.
		if err := follower.Start(ctx); err != nil {
			return fmt.Errorf("load caches: %w", err)
		}
		return nil
	}, OnStop: func(context.Context) error {
		// The HTTP server's stop hook runs first (fx stops in reverse
		// order), so nothing writes any more when the store drains.
		follower.Stop()
		notifier.Close()
		err := store.Close()
		_ = unregister()
		_ = unregisterCache()
		_ = rc.Close()
		_ = db.Close()
		return err
	}})
	return Stores{
		Clients: clients, SecretKeys: store,
		Scopes: store, Users: store, Devices: store, Access: store, Refresh: store, Codes: store, Resets: store, Audit: store, AuditReader: store, Names: store, UserTokens: store, Consents: store,
		Purger:      purgers{store, auditRetention{store, cfg.Audit.Retention}},
		DeviceCodes: store, Factors: store,
		Revocations: revocations,
		RateLimits:  redis.NewRateLimitStore(rc),
		SigningKeys: keys,
		SecretUses:  keys,
		Readiness:   Readiness{{Name: "store", Pinger: store}, {Name: "cache", Pinger: rc, Degrading: true}},

		IdentityProviders: idps, IdentityLinks: store,
	}, nil
}

func openDB(ctx context.Context, cfg Config, log *slog.Logger, tp trace.TracerProvider) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, postgres.Options{TracerProvider: tp,
		URL: cfg.Database.URL, MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns,
		ConnMaxLifetime: cfg.Database.ConnMaxLifetime, ConnMaxIdleTime: cfg.Database.ConnMaxIdleTime, Logger: log,
	})
	if err != nil {
		return nil, err // already says "postgres: ..."
	}
	return db, nil
}

// prepareSchema checks that this binary may serve the database's schema
// (README, "Upgrades": expand, then contract) and, with AUTO_MIGRATE,
// applies its pending migrations, logging each. Without AUTO_MIGRATE a
// pending migration stops the start: `identityd migrate up` is a step of
// its own.
func prepareSchema(ctx context.Context, cfg Config, db *postgres.DB, log *slog.Logger) error {
	st, err := postgres.ReadSchemaState(ctx, db)
	if err != nil {
		return err
	}
	if !st.Compatible() {
		return fmt.Errorf("schema: the database is at migration %d, and the release that applied it serves only binaries that know migration %d or later; this binary knows up to %d. Deploy that release or a newer one; to run this binary again, first roll the schema back with the newer binary (`identityd migrate down` until `identityd migrate status` shows %d as the newest applied), after a backup",
			st.Current, st.OldestBinary, st.Known, st.Known)
	}
	if st.Current > st.Known {
		log.Info("schema is newer than this binary and compatible with it", "schema_version", st.Current, "binary_version", st.Known, "oldest_binary_version", st.OldestBinary)
	}
	if !cfg.Database.AutoMigrate {
		if st.Pending {
			return fmt.Errorf("schema: this binary's migrations up to %d are not all applied (the database is at %d) and AUTO_MIGRATE=false: run `identityd migrate up` with this binary first", st.Known, st.Current)
		}
		return nil
	}
	if !st.Pending {
		return nil
	}
	log.Info("applying migrations at start (AUTO_MIGRATE=true)", "schema_version", st.Current, "binary_version", st.Known)
	if err := postgres.Migrate(ctx, db, postgres.MigrateUp, lineLog{log}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// lineLog logs each line written to it at Info, as one "migrate" record.
type lineLog struct{ log *slog.Logger }

func (l lineLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimSpace(string(p)), "\n") {
		if line != "" {
			l.log.Info("migrate", "applied", line)
		}
	}
	return len(p), nil
}

// purgers runs several in-memory purgers as one.
type purgers []ports.Purger

// PurgeExpired implements ports.Purger.
func (ps purgers) PurgeExpired(ctx context.Context, now time.Time, batchSize int) (core.PurgeStats, error) {
	var total core.PurgeStats
	for _, p := range ps {
		st, err := p.PurgeExpired(ctx, now, batchSize)
		total.AccessTokens += st.AccessTokens
		total.RefreshTokens += st.RefreshTokens
		total.AuthCodes += st.AuthCodes
		total.PasswordResets += st.PasswordResets
		total.DeviceCodes += st.DeviceCodes
		total.Changes += st.Changes
		total.AuditEvents += st.AuditEvents
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// auditRetention deletes the audit events older than AUDIT_RETENTION when
// the janitor runs.
type auditRetention struct {
	reader    ports.AuditReader
	retention time.Duration
}

// PurgeExpired implements ports.Purger: audit events expire retention
// after they happened.
func (a auditRetention) PurgeExpired(ctx context.Context, now time.Time, batchSize int) (core.PurgeStats, error) {
	n, err := a.reader.PurgeAuditEvents(ctx, now.Add(-a.retention), batchSize)
	if err != nil {
		err = fmt.Errorf("purge audit events: %w", err)
	}
	return core.PurgeStats{AuditEvents: n}, err
}

// StoreOnly is the part of the graph that reaches the store, without the
// HTTP server: the janitor command runs it.
func StoreOnly(cfg Config, logger *slog.Logger, populate ...any) *fx.App {
	return fx.New(
		fx.Supply(cfg, logger),
		fx.NopLogger,
		fx.Provide(func() ports.Clock { return system.Clock{} }, newTelemetryProviders, newMetrics),
		storeModule(cfg),
		fx.Populate(populate...),
	)
}
