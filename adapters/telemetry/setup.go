package telemetry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// OTLP protocols (OTEL_EXPORTER_OTLP_PROTOCOL).
const (
	ProtocolGRPC         = "grpc"
	ProtocolHTTPProtobuf = "http/protobuf"
)

// Metric temporalities (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE).
const (
	TemporalityCumulative = "cumulative"
	TemporalityDelta      = "delta"
)

// Options configures Setup. The OTLP fields carry the values of the
// standard variables named beside them; the caller reads the environment.
type Options struct {
	// ServiceName, Version and Env become the resource attributes
	// service.name, service.version and deployment.environment.
	ServiceName string
	Version     string
	Env         string

	// OTLPEndpoint (OTEL_EXPORTER_OTLP_ENDPOINT) is the collector's base
	// URL, such as http://localhost:4318; for http/protobuf the signal
	// paths /v1/traces and /v1/metrics are appended. An http:// URL means
	// no TLS. Empty: no exporter and no-op providers.
	OTLPEndpoint string
	// OTLPProtocol (OTEL_EXPORTER_OTLP_PROTOCOL) is "grpc" or
	// "http/protobuf"; empty means "http/protobuf", the specification's
	// default.
	OTLPProtocol string
	// OTLPHeaders (OTEL_EXPORTER_OTLP_HEADERS) are sent with every export,
	// for example an API key.
	OTLPHeaders map[string]string
	// OTLPTimeout (OTEL_EXPORTER_OTLP_TIMEOUT) bounds each export; zero
	// keeps the exporter's default of 10s.
	OTLPTimeout time.Duration
	// MetricsTemporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE)
	// is "cumulative" (default) or "delta" (what Datadog prefers).
	MetricsTemporality string
	// MetricInterval (OTEL_METRIC_EXPORT_INTERVAL) is how often metrics are
	// exported; zero keeps the SDK's default of 60s.
	MetricInterval time.Duration
	// TraceSampleRatio (OTEL_TRACES_SAMPLER_ARG with parentbased_traceidratio)
	// is the share of new traces sampled; zero or at least 1 samples all.
	TraceSampleRatio float64
	// ResourceAttributes (OTEL_RESOURCE_ATTRIBUTES) are added to the
	// resource.
	ResourceAttributes map[string]string

	// SpanExporter and MetricReader replace the OTLP exporters when set,
	// for tests (tracetest.NewInMemoryExporter, sdkmetric.NewManualReader)
	// and custom pipelines. Either one turns the SDK providers on.
	SpanExporter sdktrace.SpanExporter
	MetricReader sdkmetric.Reader
}

// Providers are the tracer and meter providers and the propagator to hand
// to instrumented code.
type Providers struct {
	// TracerProvider is an SDK provider, or a no-op one without exporter.
	TracerProvider trace.TracerProvider
	// MeterProvider is an SDK provider, or a no-op one without exporter.
	MeterProvider metric.MeterProvider
	// Propagator reads and writes W3C trace context and baggage headers.
	Propagator propagation.TextMapPropagator
	// Enabled reports whether anything is exported.
	Enabled bool
}

// Setup builds the providers described by opts. Call shutdown before the
// process exits: it flushes pending spans and metrics.
func Setup(ctx context.Context, opts Options) (*Providers, func(context.Context) error, error) {
	propagator := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	if opts.OTLPEndpoint == "" && opts.SpanExporter == nil && opts.MetricReader == nil {
		p := &Providers{
			TracerProvider: tracenoop.NewTracerProvider(),
			MeterProvider:  metricnoop.NewMeterProvider(),
			Propagator:     propagator,
		}
		return p, func(context.Context) error { return nil }, nil
	}
	if err := opts.validate(); err != nil {
		return nil, nil, err
	}

	res, err := newResource(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	spans, err := spanExporter(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	reader, err := metricReader(ctx, opts)
	if err != nil {
		_ = spans.Shutdown(ctx)
		return nil, nil, err
	}

	sampler := sdktrace.AlwaysSample()
	if r := opts.TraceSampleRatio; r > 0 && r < 1 {
		sampler = sdktrace.TraceIDRatioBased(r)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		sdktrace.WithBatcher(spans),
		sdktrace.WithSampler(sdktrace.ParentBased(sampler)),
	)
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(reader),
	)
	shutdown := func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}
	return &Providers{TracerProvider: tp, MeterProvider: mp, Propagator: propagator, Enabled: true}, shutdown, nil
}

func (o Options) validate() error {
	var errs []error
	switch o.OTLPProtocol {
	case "", ProtocolGRPC, ProtocolHTTPProtobuf:
	default:
		errs = append(errs, fmt.Errorf("telemetry: OTLP protocol %q is not supported (want %q or %q)", o.OTLPProtocol, ProtocolGRPC, ProtocolHTTPProtobuf))
	}
	switch o.MetricsTemporality {
	case "", TemporalityCumulative, TemporalityDelta:
	default:
		errs = append(errs, fmt.Errorf("telemetry: metrics temporality %q is not supported (want %q or %q)", o.MetricsTemporality, TemporalityCumulative, TemporalityDelta))
	}
	if o.OTLPEndpoint != "" && !strings.HasPrefix(o.OTLPEndpoint, "http://") && !strings.HasPrefix(o.OTLPEndpoint, "https://") {
		errs = append(errs, fmt.Errorf("telemetry: OTLP endpoint %q must be an http:// or https:// URL", o.OTLPEndpoint))
	}
	return errors.Join(errs...)
}

// newResource describes this process. It deliberately avoids
// resource.Default and resource.WithFromEnv, which read the environment.
func newResource(ctx context.Context, opts Options) (*resource.Resource, error) {
	attrs := make([]attribute.KeyValue, 0, len(opts.ResourceAttributes)+4)
	for k, v := range opts.ResourceAttributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs,
		attribute.String("service.name", opts.ServiceName),
		attribute.String("service.version", opts.Version),
		attribute.String("deployment.environment", opts.Env),
		attribute.String("deployment.environment.name", opts.Env),
	)
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, fmt.Errorf("telemetry: build the resource: %w", err)
	}
	return res, nil
}

func spanExporter(ctx context.Context, opts Options) (sdktrace.SpanExporter, error) {
	if opts.SpanExporter != nil {
		return opts.SpanExporter, nil
	}
	if opts.OTLPEndpoint == "" {
		return discardSpans{}, nil
	}
	var (
		exp sdktrace.SpanExporter
		err error
	)
	if opts.OTLPProtocol == ProtocolGRPC {
		o := []otlptracegrpc.Option{otlptracegrpc.WithEndpointURL(opts.OTLPEndpoint)}
		if len(opts.OTLPHeaders) > 0 {
			o = append(o, otlptracegrpc.WithHeaders(opts.OTLPHeaders))
		}
		if opts.OTLPTimeout > 0 {
			o = append(o, otlptracegrpc.WithTimeout(opts.OTLPTimeout))
		}
		exp, err = otlptracegrpc.New(ctx, o...)
	} else {
		o := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(signalURL(opts.OTLPEndpoint, "/v1/traces"))}
		if len(opts.OTLPHeaders) > 0 {
			o = append(o, otlptracehttp.WithHeaders(opts.OTLPHeaders))
		}
		if opts.OTLPTimeout > 0 {
			o = append(o, otlptracehttp.WithTimeout(opts.OTLPTimeout))
		}
		exp, err = otlptracehttp.New(ctx, o...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: create the OTLP trace exporter: %w", err)
	}
	return exp, nil
}

func metricReader(ctx context.Context, opts Options) (sdkmetric.Reader, error) {
	if opts.MetricReader != nil {
		return opts.MetricReader, nil
	}
	if opts.OTLPEndpoint == "" {
		// Only a span exporter was given: collect metrics nowhere.
		return sdkmetric.NewManualReader(), nil
	}
	temporality := sdkmetric.DefaultTemporalitySelector
	if opts.MetricsTemporality == TemporalityDelta {
		temporality = deltaTemporality
	}
	var (
		exp sdkmetric.Exporter
		err error
	)
	if opts.OTLPProtocol == ProtocolGRPC {
		o := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpointURL(opts.OTLPEndpoint), otlpmetricgrpc.WithTemporalitySelector(temporality)}
		if len(opts.OTLPHeaders) > 0 {
			o = append(o, otlpmetricgrpc.WithHeaders(opts.OTLPHeaders))
		}
		if opts.OTLPTimeout > 0 {
			o = append(o, otlpmetricgrpc.WithTimeout(opts.OTLPTimeout))
		}
		exp, err = otlpmetricgrpc.New(ctx, o...)
	} else {
		o := []otlpmetrichttp.Option{otlpmetrichttp.WithEndpointURL(signalURL(opts.OTLPEndpoint, "/v1/metrics")), otlpmetrichttp.WithTemporalitySelector(temporality)}
		if len(opts.OTLPHeaders) > 0 {
			o = append(o, otlpmetrichttp.WithHeaders(opts.OTLPHeaders))
		}
		if opts.OTLPTimeout > 0 {
			o = append(o, otlpmetrichttp.WithTimeout(opts.OTLPTimeout))
		}
		exp, err = otlpmetrichttp.New(ctx, o...)
	}
	if err != nil {
		return nil, fmt.Errorf("telemetry: create the OTLP metric exporter: %w", err)
	}
	var ro []sdkmetric.PeriodicReaderOption
	if opts.MetricInterval > 0 {
		ro = append(ro, sdkmetric.WithInterval(opts.MetricInterval))
	}
	return sdkmetric.NewPeriodicReader(exp, ro...), nil
}

// signalURL appends a signal path to the base endpoint, as the
// specification says for OTEL_EXPORTER_OTLP_ENDPOINT over HTTP.
func signalURL(base, path string) string {
	return strings.TrimRight(base, "/") + path
}

// deltaTemporality is the "delta" preference of the specification:
// delta for counters and histograms, cumulative for up-down counters.
func deltaTemporality(kind sdkmetric.InstrumentKind) metricdata.Temporality {
	switch kind {
	case sdkmetric.InstrumentKindUpDownCounter, sdkmetric.InstrumentKindObservableUpDownCounter:
		return metricdata.CumulativeTemporality
	default:
		return metricdata.DeltaTemporality
	}
}

// discardSpans drops spans; used when only a metric reader was supplied.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }
