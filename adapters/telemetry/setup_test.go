package telemetry_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/identityd/identityd/adapters/telemetry"
)

func TestSetupWithoutEndpointIsNoop(t *testing.T) {
	p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{ServiceName: "identityd"})
	require.NoError(t, err)
	assert.False(t, p.Enabled)

	_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
	assert.False(t, span.SpanContext().IsValid(), "a no-op tracer makes no real spans")
	span.End()
	assert.NotNil(t, p.Propagator)
	assert.NoError(t, shutdown(t.Context()))
}

func TestSetupRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		give telemetry.Options
		want string
	}{
		{"protocol", telemetry.Options{OTLPEndpoint: "http://127.0.0.1:4318", OTLPProtocol: "http/json"}, `OTLP protocol "http/json"`},
		{"temporality", telemetry.Options{OTLPEndpoint: "http://127.0.0.1:4318", MetricsTemporality: "sometimes"}, `temporality "sometimes"`},
		{"sampler", telemetry.Options{OTLPEndpoint: "http://127.0.0.1:4318", TracesSampler: "probabilistic"}, `sampler "probabilistic"`},
		{"sampler argument", telemetry.Options{OTLPEndpoint: "http://127.0.0.1:4318", TracesSampler: "traceidratio", TracesSamplerArg: "1.5"}, `argument "1.5"`},
		{"endpoint", telemetry.Options{OTLPEndpoint: "127.0.0.1:4318"}, "must be an http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := telemetry.Setup(t.Context(), tt.give)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestSetupProducesSpansAndMetrics(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	reader := sdkmetric.NewManualReader()
	p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{
		ServiceName: "identityd", Version: "1.2.3", Env: "test",
		SpanExporter: spans, MetricReader: reader,
	})
	require.NoError(t, err)
	assert.True(t, p.Enabled)

	_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "POST /oauth/token")
	span.End()

	m, err := telemetry.NewMetrics(p.MeterProvider)
	require.NoError(t, err)
	m.TokenIssued(t.Context(), "client_credentials")

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	// The in-memory exporter forgets its spans on shutdown: flush first.
	tp, ok := p.TracerProvider.(*sdktrace.TracerProvider)
	require.True(t, ok, "an SDK tracer provider")
	require.NoError(t, tp.ForceFlush(t.Context()))
	got := spans.GetSpans()
	require.NoError(t, shutdown(t.Context()))

	require.Len(t, got, 1)
	assert.Equal(t, "POST /oauth/token", got[0].Name)
	res := got[0].Resource.Set()
	for k, want := range map[attribute.Key]string{
		"service.name": "identityd", "service.version": "1.2.3", "deployment.environment": "test",
	} {
		v, ok := res.Value(k)
		assert.True(t, ok, k)
		assert.Equal(t, want, v.AsString(), k)
	}
	assert.NotNil(t, findMetric(rm, telemetry.MetricTokensIssued))
}

// TestSetupExportsOverOTLPHTTP runs the real OTLP/HTTP exporters against a
// local receiver: the signal paths are appended to the endpoint and the
// headers are sent.
func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	var (
		mu      sync.Mutex
		paths   = map[string]int{}
		apiKeys []string
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths[r.URL.Path]++
		apiKeys = append(apiKeys, r.Header.Get("Dd-Api-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(receiver.Close)

	p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{
		ServiceName:        "identityd",
		OTLPEndpoint:       receiver.URL + "/otlp/",
		OTLPProtocol:       telemetry.ProtocolHTTPProtobuf,
		OTLPHeaders:        map[string]string{"DD-API-KEY": "example"},
		MetricsTemporality: telemetry.TemporalityDelta,
	})
	require.NoError(t, err)
	_, span := p.TracerProvider.Tracer("test").Start(t.Context(), "op")
	span.End()
	m, err := telemetry.NewMetrics(p.MeterProvider)
	require.NoError(t, err)
	m.SignIn(t.Context(), telemetry.SignInFailed)
	require.NoError(t, shutdown(t.Context()))

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, 1, paths["/otlp/v1/traces"])
	assert.Equal(t, 1, paths["/otlp/v1/metrics"])
	for _, k := range apiKeys {
		assert.Equal(t, "example", k)
	}
}

// TestSetupGRPC only builds the gRPC exporters: nothing listens, and
// shutting down with an ended context must not hang.
func TestSetupGRPC(t *testing.T) {
	p, shutdown, err := telemetry.Setup(t.Context(), telemetry.Options{
		ServiceName:  "identityd",
		OTLPEndpoint: "http://127.0.0.1:1",
		OTLPProtocol: telemetry.ProtocolGRPC,
	})
	require.NoError(t, err)
	assert.True(t, p.Enabled)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_ = shutdown(ctx) // nothing to reach; the point is that it returns
}
