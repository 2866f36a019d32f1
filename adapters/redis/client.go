package redis

import (
	"context"
	"crypto/tls"
	"fmt"
	"github.com/redis/go-redis/extra/redisotel/v9"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/identityd/identityd/ports"
)

// Options configure the connection to Redis.
type Options struct {
	// URL is redis://[:password@]host:6379/0, or rediss:// for TLS (Azure
	// Cache for Redis listens on 6380 with TLS).
	URL string
	// Cluster makes URL one seed node of a Redis Cluster, further seeds
	// as ?addr=host:port&addr=... (go-redis ParseClusterURL). Every script
	// of this package touches keys of one hash slot, so it runs on a
	// cluster as on one node.
	Cluster bool
	// KeyPrefix starts every key this adapter writes (default "identityd:"),
	// so one Redis can serve several deployments or tests.
	KeyPrefix string
	// DialTimeout, ReadTimeout and WriteTimeout bound one connection
	// attempt and one socket read or write (defaults 2s, 500ms, 500ms).
	DialTimeout  time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// CommandTimeout bounds every call of this package, retries included
	// (default 500ms: Redis answers in well under a millisecond, and the
	// hot paths fall back to PostgreSQL when it does not).
	CommandTimeout time.Duration
	// PoolSize is the number of connections (default: go-redis's, 10 per
	// CPU).
	PoolSize int
	// TLSConfig, when set, replaces the TLS settings derived from a
	// rediss:// URL (for a private CA, say).
	TLSConfig *tls.Config
	// RetryInitial and RetryMax shape the exponential back-off with which
	// Open waits for Redis to answer (defaults 100ms, 5s). Open gives up
	// when its ctx ends.
	RetryInitial time.Duration
	RetryMax     time.Duration
	// Logger, when set, hears once that Open waits (with the first error)
	// and once that the dependency answers after a wait; never a line per
	// attempt.
	Logger *slog.Logger
	// TracerProvider, when set, traces every command (redisotel).
	TracerProvider trace.TracerProvider
}

func (o Options) withDefaults() Options {
	if o.KeyPrefix == "" {
		o.KeyPrefix = "identityd:"
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 2 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 500 * time.Millisecond
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 500 * time.Millisecond
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 500 * time.Millisecond
	}
	if o.RetryInitial <= 0 {
		o.RetryInitial = 100 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Second
	}
	return o
}

// Client is a connection pool to Redis with the key prefix and command
// timeout every cache of this package uses.
type Client struct {
	rdb     goredis.UniversalClient
	prefix  string
	timeout time.Duration
}

var _ ports.Pinger = (*Client)(nil)

// Open connects to Redis at opts.URL and returns once it answers a PING.
// While it does not, Open retries with exponential back-off until ctx ends;
// a malformed URL fails at once.
func Open(ctx context.Context, opts Options) (*Client, error) {
	opts = opts.withDefaults()
	rdb, err := newUniversal(opts)
	if err != nil {
		return nil, err
	}
	if opts.TracerProvider != nil {
		if err := redisotel.InstrumentTracing(rdb, redisotel.WithTracerProvider(opts.TracerProvider)); err != nil {
			_ = rdb.Close()
			return nil, fmt.Errorf("redis: instrument tracing: %w", err)
		}
	}
	c := &Client{rdb: rdb, prefix: opts.KeyPrefix, timeout: opts.CommandTimeout}
	delay := opts.RetryInitial
	var waitStart time.Time
	for attempt := 1; ; attempt++ {
		err := c.Ping(ctx)
		if err == nil {
			if attempt > 1 && opts.Logger != nil {
				opts.Logger.InfoContext(ctx, "redis answers", "waited", time.Since(waitStart).Round(time.Millisecond).String())
			}
			return c, nil
		}
		if attempt == 1 {
			// One line while waiting, however many attempts follow; the
			// caller reports the end.
			waitStart = time.Now()
			if opts.Logger != nil {
				opts.Logger.WarnContext(ctx, "waiting for redis", waitAttrs(ctx, err)...)
			}
		}
		select {
		case <-ctx.Done():
			_ = c.rdb.Close()
			return nil, fmt.Errorf("redis: gave up connecting after %s (%d attempts): %w", time.Since(waitStart).Round(time.Second), attempt, err)
		case <-time.After(delay):
		}
		delay = min(delay*2, opts.RetryMax)
	}
}

// newUniversal builds a single-node or a cluster client from opts.URL with
// the timeouts and TLS settings of opts; it does not connect.
func newUniversal(opts Options) (goredis.UniversalClient, error) {
	if opts.Cluster {
		co, err := goredis.ParseClusterURL(opts.URL)
		if err != nil {
			return nil, fmt.Errorf("redis: parse cluster URL: %w", err)
		}
		co.DialTimeout, co.ReadTimeout, co.WriteTimeout = opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout
		co.ContextTimeoutEnabled = true
		if opts.PoolSize > 0 {
			co.PoolSize = opts.PoolSize
		}
		co.TLSConfig = tlsConfig(co.TLSConfig, opts.TLSConfig)
		return goredis.NewClusterClient(co), nil
	}
	ro, err := goredis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis: parse URL: %w", err)
	}
	ro.DialTimeout, ro.ReadTimeout, ro.WriteTimeout = opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout
	ro.ContextTimeoutEnabled = true
	if opts.PoolSize > 0 {
		ro.PoolSize = opts.PoolSize
	}
	ro.TLSConfig = tlsConfig(ro.TLSConfig, opts.TLSConfig)
	return goredis.NewClient(ro), nil
}

// tlsConfig is nil for redis:// (fromURL nil), else TLS 1.2 or later with
// override's settings when given, keeping the URL's server name.
func tlsConfig(fromURL, override *tls.Config) *tls.Config {
	if fromURL == nil {
		return nil
	}
	fromURL.MinVersion = tls.VersionTLS12
	if override == nil {
		return fromURL
	}
	cfg := override.Clone()
	if cfg.ServerName == "" {
		cfg.ServerName = fromURL.ServerName
	}
	return cfg
}

// Ping implements ports.Pinger. On a cluster it pings every master, in
// parallel, and fails when any of them does not answer: a master away
// leaves the keys of its hash slots unusable, and one PING would reach
// whichever node the client happened to pick.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := c.bound(ctx)
	defer cancel()
	if cc, ok := c.rdb.(*goredis.ClusterClient); ok {
		return translate(ctx, cc.ForEachMaster(ctx, func(ctx context.Context, m *goredis.Client) error {
			return m.Ping(ctx).Err()
		}), "redis: ping")
	}
	return translate(ctx, c.rdb.Ping(ctx).Err(), "redis: ping")
}

// Close closes the pool.
func (c *Client) Close() error { return c.rdb.Close() }

// Prefix is the key prefix of every key this client writes.
func (c *Client) Prefix() string { return c.prefix }

func (c *Client) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// key joins the prefix, a namespace and an id.
func (c *Client) key(namespace, id string) string { return c.prefix + namespace + ":" + id }

// waitAttrs are the attributes of the one line logged while waiting for
// Redis: the first error and when the wait ends, if ctx says.
func waitAttrs(ctx context.Context, err error) []any {
	attrs := []any{"error", err.Error()}
	if d, ok := ctx.Deadline(); ok {
		attrs = append(attrs, "gives_up_in", time.Until(d).Round(time.Second).String())
	}
	return attrs
}
