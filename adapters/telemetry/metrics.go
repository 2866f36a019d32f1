package telemetry

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// InstrumentationName names the meter of identityd's own instruments.
const InstrumentationName = "github.com/identityd/identityd"

// Metric names. The HTTP and connection-pool ones follow the OpenTelemetry
// semantic conventions.
const (
	MetricHTTPServerDuration  = "http.server.request.duration"
	MetricTokensIssued        = "identityd.tokens.issued"
	MetricSignIns             = "identityd.signins"
	MetricRateLimitRejections = "identityd.ratelimit.rejections"
	MetricDBConnectionCount   = "db.client.connection.count"
	MetricDBConnectionMax     = "db.client.connection.max"
	MetricAuditPending        = "identityd.audit.pending"
	MetricAuditDropped        = "identityd.audit.dropped"
	MetricCacheRequests       = "identityd.cache.requests"
	MetricReadiness           = "identityd.readiness"
)

// Sign-in results (the identityd.signin.result attribute of MetricSignIns).
const (
	SignInSucceeded = "succeeded"
	// SignInFailed is a wrong password or an unknown e-mail address.
	SignInFailed = "failed"
	// SignInLocked is an attempt refused because the account (or the
	// device) is in its login back-off: the lockout monitors count these.
	SignInLocked = "locked"
	// SignInSecondFactorFailed is a wrong second factor.
	SignInSecondFactorFailed = "mfa_failed"
)

// Attribute keys.
const (
	attrPoolName               = "db.client.connection.pool.name"
	attrPoolState              = "db.client.connection.state"
	attrRoute                  = "http.route"
	attrMethod                 = "http.request.method"
	attrStatus                 = "http.response.status_code"
	attrGrantType              = "oauth.grant_type"
	attrRateLimit              = "identityd.ratelimit.name"
	attrSignInResult           = "identityd.signin.result"
	attrCacheName              = "identityd.cache.name"
	attrCacheResult            = "identityd.cache.result"
	defaultDurationDescription = "Duration of HTTP server requests."
)

// durationBuckets returns the semantic conventions' advised boundaries for
// http.server.request.duration, in seconds.
func durationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
}

// Metrics holds identityd's instruments. Its methods are safe for
// concurrent use and cheap with a no-op provider.
type Metrics struct {
	meter           metric.Meter
	requestDuration metric.Float64Histogram
	tokensIssued    metric.Int64Counter
	signIns         metric.Int64Counter
	rateLimited     metric.Int64Counter
	connCount       metric.Int64ObservableUpDownCounter
	connMax         metric.Int64ObservableUpDownCounter
	auditPending    metric.Int64ObservableUpDownCounter
	auditDropped    metric.Int64ObservableCounter
	cacheRequests   metric.Int64ObservableCounter
	readiness       metric.Int64ObservableGauge
}

// NewMetrics creates the instruments from mp.
func NewMetrics(mp metric.MeterProvider) (*Metrics, error) {
	m := &Metrics{meter: mp.Meter(InstrumentationName)}
	var err error
	if m.requestDuration, err = m.meter.Float64Histogram(MetricHTTPServerDuration,
		metric.WithUnit("s"),
		metric.WithDescription(defaultDurationDescription),
		metric.WithExplicitBucketBoundaries(durationBuckets()...),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricHTTPServerDuration, err)
	}
	if m.tokensIssued, err = m.meter.Int64Counter(MetricTokensIssued,
		metric.WithUnit("{token}"),
		metric.WithDescription("Access tokens issued, by grant type."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricTokensIssued, err)
	}
	if m.signIns, err = m.meter.Int64Counter(MetricSignIns,
		metric.WithUnit("{attempt}"),
		metric.WithDescription("Password sign-ins by result: succeeded, failed, locked (refused in login back-off), mfa_failed."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricSignIns, err)
	}
	if m.rateLimited, err = m.meter.Int64Counter(MetricRateLimitRejections,
		metric.WithUnit("{request}"),
		metric.WithDescription("Requests rejected by a rate limit, by limit."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricRateLimitRejections, err)
	}
	if m.connCount, err = m.meter.Int64ObservableUpDownCounter(MetricDBConnectionCount,
		metric.WithUnit("{connection}"),
		metric.WithDescription("Connections in the pool, by state (used, idle)."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricDBConnectionCount, err)
	}
	if m.connMax, err = m.meter.Int64ObservableUpDownCounter(MetricDBConnectionMax,
		metric.WithUnit("{connection}"),
		metric.WithDescription("The most open connections the pool allows."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricDBConnectionMax, err)
	}
	if m.auditPending, err = m.meter.Int64ObservableUpDownCounter(MetricAuditPending,
		metric.WithUnit("{event}"),
		metric.WithDescription("Audit events waiting to be stored (the spool while the store is down)."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricAuditPending, err)
	}
	if m.auditDropped, err = m.meter.Int64ObservableCounter(MetricAuditDropped,
		metric.WithUnit("{event}"),
		metric.WithDescription("Audit events never stored: over the queue's bound, or unwritten at shutdown."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricAuditDropped, err)
	}
	if m.cacheRequests, err = m.meter.Int64ObservableCounter(MetricCacheRequests,
		metric.WithUnit("{request}"),
		metric.WithDescription("Reads of an in-process cache, by cache and result (hit, miss)."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricCacheRequests, err)
	}
	if m.readiness, err = m.meter.Int64ObservableGauge(MetricReadiness,
		metric.WithDescription("What /readyz answers: 2 ok, 1 degraded (Redis away, requests still succeed), 0 unavailable or draining."),
	); err != nil {
		return nil, fmt.Errorf("telemetry: create %s: %w", MetricReadiness, err)
	}
	return m, nil
}

// RecordRequest records one HTTP request. route is the route template
// (such as /api/scopes/{id}), never the raw path, to keep cardinality low.
func (m *Metrics) RecordRequest(ctx context.Context, route, method string, status int, d time.Duration) {
	if !m.requestDuration.Enabled(ctx) {
		return
	}
	m.requestDuration.Record(ctx, d.Seconds(), metric.WithAttributes(
		attribute.String(attrRoute, route),
		attribute.String(attrMethod, method),
		attribute.Int(attrStatus, status),
	))
}

// TokenIssued counts an access token issued under grantType.
func (m *Metrics) TokenIssued(ctx context.Context, grantType string) {
	if !m.tokensIssued.Enabled(ctx) {
		return
	}
	m.tokensIssued.Add(ctx, 1, metric.WithAttributes(attribute.String(attrGrantType, grantType)))
}

// SignIn counts one sign-in attempt with result, one of the SignIn*
// constants.
func (m *Metrics) SignIn(ctx context.Context, result string) {
	if !m.signIns.Enabled(ctx) {
		return
	}
	m.signIns.Add(ctx, 1, metric.WithAttributes(attribute.String(attrSignInResult, result)))
}

// RateLimited counts a request rejected by the rate limit named limit
// (such as "ip", "auth", "token", "scopes", "clients").
func (m *Metrics) RateLimited(ctx context.Context, limit string) {
	if !m.rateLimited.Enabled(ctx) {
		return
	}
	m.rateLimited.Add(ctx, 1, metric.WithAttributes(attribute.String(attrRateLimit, limit)))
}

// PoolStats is a snapshot of a connection pool, as database/sql's DBStats
// or go-redis's PoolStats give it.
type PoolStats struct {
	InUse int
	Idle  int
	// Max is the most open connections allowed; zero or less for no limit.
	Max int
}

// RegisterPool reports the pool named pool (such as "postgres" or "redis")
// on every collection, by calling stats. The returned func unregisters it.
func (m *Metrics) RegisterPool(pool string, stats func() PoolStats) (func() error, error) {
	name := attribute.String(attrPoolName, pool)
	used := metric.WithAttributeSet(attribute.NewSet(name, attribute.String(attrPoolState, "used")))
	idle := metric.WithAttributeSet(attribute.NewSet(name, attribute.String(attrPoolState, "idle")))
	only := metric.WithAttributeSet(attribute.NewSet(name))
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats()
		o.ObserveInt64(m.connCount, int64(s.InUse), used)
		o.ObserveInt64(m.connCount, int64(s.Idle), idle)
		if s.Max > 0 {
			o.ObserveInt64(m.connMax, int64(s.Max), only)
		}
		return nil
	}, m.connCount, m.connMax)
	if err != nil {
		return nil, fmt.Errorf("telemetry: register the %s pool callback: %w", pool, err)
	}
	return reg.Unregister, nil
}

// RegisterAudit reports the audit queue on every collection: pending
// events and the total dropped. The returned func unregisters it.
func (m *Metrics) RegisterAudit(pending func() int, dropped func() uint64) (func() error, error) {
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(m.auditPending, int64(pending()))
		o.ObserveInt64(m.auditDropped, int64(dropped()))
		return nil
	}, m.auditPending, m.auditDropped)
	if err != nil {
		return nil, fmt.Errorf("telemetry: register the audit callback: %w", err)
	}
	return reg.Unregister, nil
}

// CacheStats are the totals of reads of a cache since the process started.
type CacheStats struct {
	Hits   uint64
	Misses uint64
}

// RegisterCache reports the cache named cache (such as "clients") on
// every collection, by calling stats. The returned func unregisters it.
func (m *Metrics) RegisterCache(cache string, stats func() CacheStats) (func() error, error) {
	name := attribute.String(attrCacheName, cache)
	hit := metric.WithAttributeSet(attribute.NewSet(name, attribute.String(attrCacheResult, "hit")))
	miss := metric.WithAttributeSet(attribute.NewSet(name, attribute.String(attrCacheResult, "miss")))
	reg, err := m.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := stats()
		o.ObserveInt64(m.cacheRequests, int64(s.Hits), hit)
		o.ObserveInt64(m.cacheRequests, int64(s.Misses), miss)
		return nil
	}, m.cacheRequests)
	if err != nil {
		return nil, fmt.Errorf("telemetry: register the %s cache callback: %w", cache, err)
	}
	return reg.Unregister, nil
}

// Readiness levels of MetricReadiness.
const (
	ReadinessUnavailable = 0
	ReadinessDegraded    = 1
	ReadinessOK          = 2
)

// RegisterReadiness reports, on every collection, the level ready returns
// (ReadinessOK, ReadinessDegraded or ReadinessUnavailable). The returned
// func unregisters it.
func (m *Metrics) RegisterReadiness(ready func(context.Context) int) (func() error, error) {
	reg, err := m.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		o.ObserveInt64(m.readiness, int64(ready(ctx)))
		return nil
	}, m.readiness)
	if err != nil {
		return nil, fmt.Errorf("telemetry: register the readiness callback: %w", err)
	}
	return reg.Unregister, nil
}
