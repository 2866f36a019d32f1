package telemetry_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	metricpb "go.opentelemetry.io/proto/otlp/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/identityd/identityd/adapters/telemetry"
)

// otlpReceiver is an OTLP/HTTP receiver: it keeps the metric export
// requests and counts the trace exports.
type otlpReceiver struct {
	mu      sync.Mutex
	traces  int
	metrics []*colmetricpb.ExportMetricsServiceRequest
}

func newOTLPReceiver(t *testing.T) (*otlpReceiver, string) {
	rec := &otlpReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		defer rec.mu.Unlock()
		switch r.URL.Path {
		case "/v1/traces":
			rec.traces++
		case "/v1/metrics":
			var req colmetricpb.ExportMetricsServiceRequest
			if err := proto.Unmarshal(body, &req); err == nil {
				rec.metrics = append(rec.metrics, &req)
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// temporality returns the aggregation temporality with which metric name
// was exported.
func (r *otlpReceiver) temporality(name string) metricpb.AggregationTemporality {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, req := range r.metrics {
		for _, rm := range req.GetResourceMetrics() {
			for _, sm := range rm.GetScopeMetrics() {
				for _, m := range sm.GetMetrics() {
					if m.GetName() != name {
						continue
					}
					if s := m.GetSum(); s != nil {
						return s.GetAggregationTemporality()
					}
					if h := m.GetHistogram(); h != nil {
						return h.GetAggregationTemporality()
					}
				}
			}
		}
	}
	return metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_UNSPECIFIED
}

// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE reaches the OTLP
// exporter as the specification defines each value, per instrument kind.
func TestMetricsTemporalityPreference(t *testing.T) {
	const (
		delta      = metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_DELTA
		cumulative = metricpb.AggregationTemporality_AGGREGATION_TEMPORALITY_CUMULATIVE
	)
	tests := []struct {
		give            string
		wantCounter     metricpb.AggregationTemporality
		wantHistogram   metricpb.AggregationTemporality
		wantObservedSum metricpb.AggregationTemporality
	}{
		{"", cumulative, cumulative, cumulative},
		{"cumulative", cumulative, cumulative, cumulative},
		{"delta", delta, delta, delta},
		{"DELTA", delta, delta, delta},
		{"lowmemory", delta, delta, cumulative},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			rec, url := newOTLPReceiver(t)
			p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{
				OTLPEndpoint: url, MetricsTemporality: tt.give,
			})
			require.NoError(t, err)
			m, err := telemetry.NewMetrics(p.MeterProvider)
			require.NoError(t, err)
			m.TokenIssued(t.Context(), "client_credentials")
			m.RecordRequest(t.Context(), "/oauth/token", "POST", 200, 0)
			_, err = m.RegisterCache("clients", func() telemetry.CacheStats { return telemetry.CacheStats{Hits: 1} })
			require.NoError(t, err)
			require.NoError(t, shutdown(t.Context()))

			assert.Equal(t, tt.wantCounter, rec.temporality(telemetry.MetricTokensIssued), "counter")
			assert.Equal(t, tt.wantHistogram, rec.temporality(telemetry.MetricHTTPServerDuration), "histogram")
			assert.Equal(t, tt.wantObservedSum, rec.temporality(telemetry.MetricCacheRequests), "asynchronous counter")
		})
	}
}

// OTEL_TRACES_SAMPLER=traceidratio with OTEL_TRACES_SAMPLER_ARG=0 exports
// nothing, through the real OTLP exporter; always_on exports.
func TestTraceIDRatioZeroExportsNothing(t *testing.T) {
	tests := []struct {
		giveSampler, giveArg string
		wantExports          bool
	}{
		{"traceidratio", "0", false},
		{"parentbased_traceidratio", "0", false},
		{"always_off", "", false},
		{"traceidratio", "1", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.giveSampler+"="+tt.giveArg, func(t *testing.T) {
			rec, url := newOTLPReceiver(t)
			p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{
				OTLPEndpoint: url, TracesSampler: tt.giveSampler, TracesSamplerArg: tt.giveArg,
			})
			require.NoError(t, err)
			for range 20 {
				_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
				span.End()
			}
			require.NoError(t, shutdown(t.Context()))
			rec.mu.Lock()
			defer rec.mu.Unlock()
			assert.Equal(t, tt.wantExports, rec.traces > 0, "trace exports: %d", rec.traces)
		})
	}
}

// The parent-based samplers follow a sampled parent and the plain ones
// decide alone, as the specification defines them.
func TestParseSampler(t *testing.T) {
	sampledParent := trace.ContextWithRemoteSpanContext(t.Context(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
	tests := []struct {
		giveName, giveArg    string
		wantRoot, wantParent bool
	}{
		{"", "", true, true},
		{"always_on", "", true, true},
		{"always_off", "", false, false},
		{"traceidratio", "0", false, false},
		{"traceidratio", "1", true, true},
		{"parentbased_always_on", "", true, true},
		{"parentbased_always_off", "", false, true},
		{"parentbased_traceidratio", "0", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.giveName+"="+tt.giveArg, func(t *testing.T) {
			s, err := telemetry.ParseSampler(tt.giveName, tt.giveArg)
			require.NoError(t, err)
			root := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: t.Context(), TraceID: trace.TraceID{2}, Name: "op"})
			assert.Equal(t, tt.wantRoot, root.Decision == sdktrace.RecordAndSample, "root span")
			child := s.ShouldSample(sdktrace.SamplingParameters{ParentContext: sampledParent, TraceID: trace.TraceID{1}, Name: "op"})
			assert.Equal(t, tt.wantParent, child.Decision == sdktrace.RecordAndSample, "child of a sampled parent")
		})
	}
	for _, bad := range [][2]string{{"traceidratio", "-0.1"}, {"traceidratio", "x"}, {"jaeger_remote", ""}} {
		_, err := telemetry.ParseSampler(bad[0], bad[1])
		assert.Error(t, err, bad)
	}
}

// deployment.environment is APP_ENV only when OTEL_RESOURCE_ATTRIBUTES
// does not set it: staging, which runs APP_ENV=production, reports as
// staging. OTEL_SERVICE_NAME wins over service.name in the attributes.
func TestResourceFromOTELVariables(t *testing.T) {
	attrs, err := telemetry.ParseResourceAttributes("deployment.environment=staging, service.name=from-attrs,team=id%20platform")
	require.NoError(t, err)
	tests := []struct {
		name        string
		give        telemetry.Options
		wantService string
		wantEnv     string
	}{
		{"attributes win over APP_ENV", telemetry.Options{Env: "production", ResourceAttributes: attrs}, "from-attrs", "staging"},
		{"OTEL_SERVICE_NAME wins", telemetry.Options{ServiceName: "svc", Env: "production", ResourceAttributes: attrs}, "svc", "staging"},
		{"APP_ENV is the default", telemetry.Options{Env: "production"}, "identityd", "production"},
		{"the newer key counts too", telemetry.Options{Env: "production", ResourceAttributes: map[string]string{"deployment.environment.name": "qa"}}, "identityd", "qa"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewInMemoryExporter()
			opts := tt.give
			opts.SpanExporter, opts.MetricReader = spans, sdkmetric.NewManualReader()
			p, shutdown, err := telemetry.Setup(t.Context(), opts)
			require.NoError(t, err)
			_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
			span.End()
			require.NoError(t, p.TracerProvider.(*sdktrace.TracerProvider).ForceFlush(t.Context()))
			got := spans.GetSpans()
			require.NoError(t, shutdown(t.Context()))
			require.Len(t, got, 1)
			res := got[0].Resource.Set()
			for k, want := range map[attribute.Key]string{
				"service.name": tt.wantService, "deployment.environment": tt.wantEnv, "deployment.environment.name": tt.wantEnv,
			} {
				v, _ := res.Value(k)
				assert.Equal(t, want, v.AsString(), k)
			}
			assert.Equal(t, telemetry.Identity{Service: tt.wantService, Env: tt.wantEnv, Version: opts.Identity().Version}, opts.Identity())
		})
	}
	assert.Equal(t, "id platform", attrs["team"], "values are percent-decoded")
	for _, bad := range []string{"novalue", "=x", "k=%zz"} {
		_, err := telemetry.ParseResourceAttributes(bad)
		assert.Error(t, err, bad)
	}
}

// With Prometheus set, the handler serves the existing instruments and
// the Go runtime in the Prometheus text format, without any OTLP endpoint
// and with no tracing.
func TestPrometheusHandler(t *testing.T) {
	p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{Prometheus: true, Env: "test"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = shutdown(t.Context()) })
	require.NotNil(t, p.MetricsHandler)
	assert.False(t, p.Enabled, "no spans are exported")
	m, err := telemetry.NewMetrics(p.MeterProvider)
	require.NoError(t, err)
	m.TokenIssued(t.Context(), "client_credentials")
	m.RecordRequest(t.Context(), "/oauth/token", "POST", 200, 0)
	m.SignIn(t.Context(), telemetry.SignInLocked)
	m.RateLimited(t.Context(), "auth")
	_, err = m.RegisterAudit(func() int { return 4 }, func() uint64 { return 0 })
	require.NoError(t, err)

	rr := httptest.NewRecorder()
	p.MetricsHandler.ServeHTTP(rr, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rr.Code)
	assert.Contains(t, rr.Header().Get("Content-Type"), "text/plain")
	body := rr.Body.String()
	for _, want := range []string{
		`identityd_tokens_issued_total{oauth_grant_type="client_credentials"`,
		`http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="200",http_route="/oauth/token"`,
		`identityd_signins_total{identityd_signin_result="locked"`,
		`identityd_ratelimit_rejections_total{identityd_ratelimit_name="auth"`,
		`identityd_audit_pending{`,
		`go_goroutine_count`,
	} {
		assert.True(t, strings.Contains(body, want), "missing %s in\n%s", want, body)
	}
}
