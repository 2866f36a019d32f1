package telemetry_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/identityd/identityd/adapters/telemetry"
)

func findMetric(rm metricdata.ResourceMetrics, name string) *metricdata.Metrics {
	for _, sm := range rm.ScopeMetrics {
		for i := range sm.Metrics {
			if sm.Metrics[i].Name == name {
				return &sm.Metrics[i]
			}
		}
	}
	return nil
}

func newMetrics(t *testing.T) (*telemetry.Metrics, *sdkmetric.ManualReader) {
	t.Helper()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = mp.Shutdown(t.Context()) })
	m, err := telemetry.NewMetrics(mp)
	require.NoError(t, err)
	return m, reader
}

func collect(t *testing.T, r *sdkmetric.ManualReader) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(t.Context(), &rm))
	return rm
}

func TestRecordRequest(t *testing.T) {
	m, r := newMetrics(t)
	m.RecordRequest(t.Context(), "/api/scopes/{id}", "GET", 200, 30*time.Millisecond)
	m.RecordRequest(t.Context(), "/api/scopes/{id}", "GET", 200, 70*time.Millisecond)
	m.RecordRequest(t.Context(), "/oauth/token", "POST", 400, 5*time.Millisecond)

	got := findMetric(collect(t, r), telemetry.MetricHTTPServerDuration)
	require.NotNil(t, got)
	assert.Equal(t, "s", got.Unit)
	h, ok := got.Data.(metricdata.Histogram[float64])
	require.True(t, ok)
	require.Len(t, h.DataPoints, 2)
	for _, dp := range h.DataPoints {
		route, _ := dp.Attributes.Value("http.route")
		if route.AsString() != "/api/scopes/{id}" {
			continue
		}
		assert.Equal(t, uint64(2), dp.Count)
		assert.InDelta(t, 0.1, dp.Sum, 1e-9)
		status, _ := dp.Attributes.Value("http.response.status_code")
		assert.Equal(t, int64(200), status.AsInt64())
		method, _ := dp.Attributes.Value("http.request.method")
		assert.Equal(t, "GET", method.AsString())
	}
}

func TestCounters(t *testing.T) {
	m, r := newMetrics(t)
	m.TokenIssued(t.Context(), "client_credentials")
	m.TokenIssued(t.Context(), "client_credentials")
	m.TokenIssued(t.Context(), "refresh_token")
	m.SignIn(t.Context(), telemetry.SignInFailed)
	m.SignIn(t.Context(), telemetry.SignInLocked)
	m.SignIn(t.Context(), telemetry.SignInLocked)
	m.RateLimited(t.Context(), "auth")
	unregister, err := m.RegisterCache("clients", func() telemetry.CacheStats { return telemetry.CacheStats{Hits: 7, Misses: 2} })
	require.NoError(t, err)
	t.Cleanup(func() { _ = unregister() })
	rm := collect(t, r)

	tests := []struct {
		name      string
		giveAttrs attribute.Set
		want      int64
	}{
		{telemetry.MetricTokensIssued, attribute.NewSet(attribute.String("oauth.grant_type", "client_credentials")), 2},
		{telemetry.MetricTokensIssued, attribute.NewSet(attribute.String("oauth.grant_type", "refresh_token")), 1},
		{telemetry.MetricSignIns, attribute.NewSet(attribute.String("identityd.signin.result", "failed")), 1},
		{telemetry.MetricSignIns, attribute.NewSet(attribute.String("identityd.signin.result", "locked")), 2},
		{telemetry.MetricCacheRequests, attribute.NewSet(attribute.String("identityd.cache.name", "clients"), attribute.String("identityd.cache.result", "hit")), 7},
		{telemetry.MetricCacheRequests, attribute.NewSet(attribute.String("identityd.cache.name", "clients"), attribute.String("identityd.cache.result", "miss")), 2},
		{telemetry.MetricRateLimitRejections, attribute.NewSet(attribute.String("identityd.ratelimit.name", "auth")), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name+" "+tt.giveAttrs.Encoded(attribute.DefaultEncoder()), func(t *testing.T) {
			got := findMetric(rm, tt.name)
			require.NotNil(t, got)
			sum, ok := got.Data.(metricdata.Sum[int64])
			require.True(t, ok)
			assert.True(t, sum.IsMonotonic)
			var found bool
			for _, dp := range sum.DataPoints {
				if dp.Attributes.Equals(&tt.giveAttrs) {
					found = true
					assert.Equal(t, tt.want, dp.Value)
				}
			}
			assert.True(t, found, "no data point with %v", tt.giveAttrs)
		})
	}
}

func TestRegisterPool(t *testing.T) {
	m, r := newMetrics(t)
	unregister, err := m.RegisterPool("postgres", func() telemetry.PoolStats {
		return telemetry.PoolStats{InUse: 3, Idle: 2, Max: 25}
	})
	require.NoError(t, err)

	rm := collect(t, r)
	count := findMetric(rm, telemetry.MetricDBConnectionCount)
	require.NotNil(t, count)
	sum, ok := count.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	byState := map[string]int64{}
	for _, dp := range sum.DataPoints {
		state, _ := dp.Attributes.Value("db.client.connection.state")
		pool, _ := dp.Attributes.Value("db.client.connection.pool.name")
		assert.Equal(t, "postgres", pool.AsString())
		byState[state.AsString()] = dp.Value
	}
	assert.Equal(t, map[string]int64{"used": 3, "idle": 2}, byState)
	maxConns := findMetric(rm, telemetry.MetricDBConnectionMax)
	require.NotNil(t, maxConns)
	assert.Equal(t, int64(25), maxConns.Data.(metricdata.Sum[int64]).DataPoints[0].Value)

	require.NoError(t, unregister())
	rm = collect(t, r)
	if got := findMetric(rm, telemetry.MetricDBConnectionCount); got != nil {
		assert.Empty(t, got.Data.(metricdata.Sum[int64]).DataPoints)
	}
}

func TestMetricsOnNoopProvider(t *testing.T) {
	m, err := telemetry.NewMetrics(metricnoop.NewMeterProvider())
	require.NoError(t, err)
	m.RecordRequest(t.Context(), "/healthz", "GET", 200, time.Millisecond)
	m.TokenIssued(t.Context(), "client_credentials")
	m.SignIn(t.Context(), telemetry.SignInSucceeded)
	m.RateLimited(t.Context(), "ip")
	unregister, err := m.RegisterPool("redis", func() telemetry.PoolStats { return telemetry.PoolStats{} })
	require.NoError(t, err)
	assert.NoError(t, unregister())
}

func BenchmarkRecordRequestNoop(b *testing.B) {
	m, err := telemetry.NewMetrics(metricnoop.NewMeterProvider())
	require.NoError(b, err)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		m.RecordRequest(ctx, "/api/scopes/{id}", "GET", 200, time.Millisecond)
	}
}

func BenchmarkRecordRequestSDK(b *testing.B) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	m, err := telemetry.NewMetrics(mp)
	require.NoError(b, err)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		m.RecordRequest(ctx, "/api/scopes/{id}", "GET", 200, time.Millisecond)
	}
}
