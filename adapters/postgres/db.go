package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Options configure the connection pool.
type Options struct {
	// URL is the connection string, postgres://user:pass@host:5432/db?sslmode=...
	URL string
	// MaxOpenConns bounds the pool (default 25).
	MaxOpenConns int
	// MaxIdleConns is how many connections stay open while idle (default
	// MaxOpenConns, so bursts on the token endpoint do not reconnect).
	MaxIdleConns int
	// ConnMaxLifetime recycles connections (default 30m), so a fail-over
	// or a server-side limit is picked up.
	ConnMaxLifetime time.Duration
	// ConnMaxIdleTime closes connections idle this long (default 5m).
	ConnMaxIdleTime time.Duration
	// QueryTimeout bounds every store call, including the wait for a
	// pooled connection (default 5s).
	QueryTimeout time.Duration
	// IOTimeout bounds each read from and write to a connection (default
	// QueryTimeout + 1s). The driver cancels a query that outlives its
	// context by asking the server to, over a second connection, and keeps
	// waiting for the server's answer on the first; when the network drops
	// packets no answer comes, and only this bound ends the wait: the
	// connection is closed and the call fails with core.ErrUnavailable.
	// Migrate lifts it while it runs, so a long migration is not cut.
	IOTimeout time.Duration
	// RetryInitial and RetryMax shape the exponential back-off with which
	// Open waits for the database to become reachable (defaults 100ms, 5s).
	// Open gives up when its ctx ends.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// Logger, when set, hears once that Open waits (with the first error)
	// and once that the dependency answers after a wait; never a line per
	// attempt.
	Logger *slog.Logger
	// TracerProvider, when set, traces every query (otelsql).
	TracerProvider trace.TracerProvider
}

func (o Options) withDefaults() Options {
	if o.MaxOpenConns <= 0 {
		o.MaxOpenConns = 25
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = o.MaxOpenConns
	}
	if o.ConnMaxLifetime <= 0 {
		o.ConnMaxLifetime = 30 * time.Minute
	}
	if o.ConnMaxIdleTime <= 0 {
		o.ConnMaxIdleTime = 5 * time.Minute
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 5 * time.Second
	}
	if o.IOTimeout <= 0 {
		o.IOTimeout = o.QueryTimeout + time.Second
	}
	if o.RetryInitial <= 0 {
		o.RetryInitial = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Second
	}
	return o
}

// DB is a pool of connections to PostgreSQL.
type DB struct {
	db           *sqlx.DB
	queryTimeout time.Duration
	// conns is shared with every connection the pool dials.
	conns *deadlines
	// connector dials a connection outside the pool, for Ping.
	connector driver.Connector
	maxIdle   int
	resetMu   sync.Mutex
}

// Open connects to the database at opts.URL and returns once it answers a
// ping. While it does not, Open retries with exponential back-off until ctx
// ends; a malformed URL fails at once.
func Open(ctx context.Context, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if opts.URL == "" {
		return nil, errors.New("postgres: no connection URL")
	}
	cfg, err := pq.NewConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection URL: %w", err)
	}
	// A statement with parameters goes out as Parse, Bind, Execute and
	// Sync in one write: one round trip instead of two (a Parse and
	// Describe first, then the rest). []byte parameters are then sent in
	// binary, which only bytea columns receive here.
	cfg.BinaryParameters = true
	connector, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse connection URL: %w", err)
	}
	conns := &deadlines{}
	conns.timeout.Store(int64(opts.IOTimeout))
	connector.Dialer(deadlineDialer{conns: conns})
	var sqlDB *sql.DB
	if opts.TracerProvider != nil {
		sqlDB = otelsql.OpenDB(connector, otelsql.WithTracerProvider(opts.TracerProvider),
			otelsql.WithAttributes(attribute.String("db.system", "postgresql")))
	} else {
		sqlDB = sql.OpenDB(connector)
	}
	sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(opts.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(opts.ConnMaxIdleTime)
	db := &DB{db: sqlx.NewDb(sqlDB, "postgres"), queryTimeout: opts.QueryTimeout, conns: conns, connector: connector, maxIdle: opts.MaxIdleConns}

	delay := opts.RetryInitial
	var waitStart time.Time
	for attempt := 1; ; attempt++ {
		err := db.Ping(ctx)
		if err == nil {
			if attempt > 1 && opts.Logger != nil {
				opts.Logger.InfoContext(ctx, "postgres answers", "waited", time.Since(waitStart).Round(time.Millisecond).String())
			}
			return db, nil
		}
		var pqErr *pq.Error
		if errors.As(err, &pqErr) && pqErr.Code.Class() == "28" {
			// Wrong credentials do not get better by waiting.
			_ = sqlDB.Close()
			return nil, fmt.Errorf("postgres: connect: %w", err)
		}
		if attempt == 1 {
			// One line while waiting, however many attempts follow; the
			// caller reports the end.
			waitStart = time.Now()
			if opts.Logger != nil {
				opts.Logger.WarnContext(ctx, "waiting for postgres", waitAttrs(ctx, err)...)
			}
		}
		select {
		case <-ctx.Done():
			_ = sqlDB.Close()
			return nil, fmt.Errorf("postgres: gave up connecting after %s (%d attempts): %w", time.Since(waitStart).Round(time.Second), attempt, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, opts.RetryMax)
	}
}

// Ping implements ports.Pinger: it checks that the database answers within
// the query timeout. It reports the database, not one pooled connection:
// when a pooled connection fails (one that died in a restart, say), it asks
// again over a connection of its own, and drops the idle ones, which are
// likely dead too.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.queryTimeout)
	defer cancel()
	err := d.db.PingContext(ctx)
	if err == nil || ctx.Err() != nil {
		return translate(ctx, err, "postgres: ping")
	}
	if ferr := d.pingFresh(ctx); ferr != nil {
		return translate(ctx, ferr, "postgres: ping")
	}
	d.resetIdle()
	return nil
}

// pingFresh dials a connection outside the pool, pings and closes it.
func (d *DB) pingFresh(ctx context.Context) error {
	conn, err := d.connector.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if p, ok := conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// resetIdle closes the pool's idle connections; new ones are dialled as
// needed.
func (d *DB) resetIdle() {
	d.resetMu.Lock()
	defer d.resetMu.Unlock()
	d.db.SetMaxIdleConns(0)
	d.db.SetMaxIdleConns(d.maxIdle)
}

// SQL returns the underlying *sql.DB, for migrations and diagnostics.
func (d *DB) SQL() *sql.DB { return d.db.DB }

// Close closes every connection of the pool.
func (d *DB) Close() error { return d.db.Close() }

// waitAttrs are the attributes of the one line logged while waiting for
// a dependency: the first error and when the wait ends, if ctx says.
func waitAttrs(ctx context.Context, err error) []any {
	attrs := []any{"error", err.Error()}
	if d, ok := ctx.Deadline(); ok {
		attrs = append(attrs, "gives_up_in", time.Until(d).Round(time.Second).String())
	}
	return attrs
}
