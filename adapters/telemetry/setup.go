package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelruntime "go.opentelemetry.io/contrib/instrumentation/runtime"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
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

// Metric temporalities (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE),
// as the OpenTelemetry specification defines them for the OTLP metric
// exporter.
const (
	TemporalityCumulative = "cumulative"
	TemporalityDelta      = "delta"
	TemporalityLowMemory  = "lowmemory"
)

// DefaultServiceName is service.name when neither OTEL_SERVICE_NAME nor
// OTEL_RESOURCE_ATTRIBUTES names one.
const DefaultServiceName = "identityd"

// Options configures Setup. The OTLP fields carry the values of the
// standard variables named beside them; the caller reads the environment.
type Options struct {
	// ServiceName (OTEL_SERVICE_NAME) becomes service.name; empty takes
	// service.name of ResourceAttributes, else DefaultServiceName.
	ServiceName string
	// Version is the binary's version: service.version unless
	// ResourceAttributes sets one.
	Version string
	// Env is the default of deployment.environment (and of its newer name
	// deployment.environment.name) when ResourceAttributes sets neither:
	// staging running APP_ENV=production says so with
	// OTEL_RESOURCE_ATTRIBUTES=deployment.environment=staging.
	Env string

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
	// is "cumulative" (default), "delta" (what Datadog recommends) or
	// "lowmemory", case-insensitive. It shapes OTLP only: Prometheus
	// scrapes are cumulative by nature.
	MetricsTemporality string
	// MetricInterval (OTEL_METRIC_EXPORT_INTERVAL) is how often metrics are
	// exported; zero keeps the SDK's default of 60s.
	MetricInterval time.Duration
	// TracesSampler (OTEL_TRACES_SAMPLER) and TracesSamplerArg
	// (OTEL_TRACES_SAMPLER_ARG) choose the sampler; see ParseSampler.
	TracesSampler    string
	TracesSamplerArg string
	// ResourceAttributes (OTEL_RESOURCE_ATTRIBUTES, see
	// ParseResourceAttributes) are added to the resource; they win over
	// Version and Env, and lose to ServiceName.
	ResourceAttributes map[string]string

	// Prometheus (METRICS_ADDR set) turns the metric SDK on with the
	// OpenTelemetry Prometheus exporter as a reader; Providers.MetricsHandler
	// then serves its text format.
	Prometheus bool

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
	// MeterProvider is an SDK provider, or a no-op one without exporter
	// or Prometheus endpoint.
	MeterProvider metric.MeterProvider
	// Propagator reads and writes W3C trace context and baggage headers.
	Propagator propagation.TextMapPropagator
	// Enabled reports whether spans are exported (OTLP or SpanExporter).
	Enabled bool
	// MetricsHandler serves GET /metrics in the Prometheus text format when
	// Options.Prometheus was set; nil otherwise.
	MetricsHandler http.Handler
}

// Setup builds the providers described by opts. Call shutdown before the
// process exits: it flushes pending spans and metrics. The meter provider
// also reports the Go runtime (go.memory.*, go.goroutine.count, ...)
// whenever it is an SDK one.
func Setup(ctx context.Context, opts Options) (*Providers, func(context.Context) error, error) {
	propagator := propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	exporting := opts.OTLPEndpoint != "" || opts.SpanExporter != nil || opts.MetricReader != nil
	if !exporting && !opts.Prometheus {
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
	sampler, err := ParseSampler(opts.TracesSampler, opts.TracesSamplerArg)
	if err != nil {
		return nil, nil, err
	}

	res, err := newResource(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	p := &Providers{TracerProvider: tracenoop.NewTracerProvider(), Propagator: propagator, Enabled: exporting}
	mopts := []sdkmetric.Option{sdkmetric.WithResource(res)}
	var stops []func(context.Context) error
	if exporting {
		spans, err := spanExporter(ctx, opts)
		if err != nil {
			return nil, nil, err
		}
		reader, err := metricReader(ctx, opts)
		if err != nil {
			_ = spans.Shutdown(ctx)
			return nil, nil, err
		}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithBatcher(spans),
			sdktrace.WithSampler(sampler),
		)
		p.TracerProvider = tp
		stops = append(stops, tp.Shutdown)
		mopts = append(mopts, sdkmetric.WithReader(reader))
	}
	if opts.Prometheus {
		reg := prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, nil, errors.Join(fmt.Errorf("telemetry: create the Prometheus exporter: %w", err), shutdownAll(ctx, stops))
		}
		mopts = append(mopts, sdkmetric.WithReader(exp))
		p.MetricsHandler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	mp := sdkmetric.NewMeterProvider(mopts...)
	p.MeterProvider = mp
	stops = append(stops, mp.Shutdown)
	if err := otelruntime.Start(otelruntime.WithMeterProvider(mp)); err != nil {
		return nil, nil, errors.Join(fmt.Errorf("telemetry: Go runtime metrics: %w", err), shutdownAll(ctx, stops))
	}
	return p, func(ctx context.Context) error { return shutdownAll(ctx, stops) }, nil
}

func shutdownAll(ctx context.Context, stops []func(context.Context) error) error {
	var errs []error
	for _, stop := range stops {
		errs = append(errs, stop(ctx))
	}
	return errors.Join(errs...)
}

// ParseSampler returns the sampler named by OTEL_TRACES_SAMPLER with the
// argument OTEL_TRACES_SAMPLER_ARG, as the OpenTelemetry specification's
// "General SDK Configuration" defines them: always_on, always_off,
// traceidratio, parentbased_always_on (the default, also for an empty
// name), parentbased_always_off and parentbased_traceidratio. The ratio
// samplers take the argument as the share of traces sampled, 0 to 1
// (empty: 1); 0 samples nothing. Other values are an error.
func ParseSampler(name, arg string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		if strings.TrimSpace(arg) == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(strings.TrimSpace(arg), 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("telemetry: traces sampler argument %q is not a ratio from 0 to 1", arg)
		}
		return r, nil
	}
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.TraceIDRatioBased(r), nil
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	default:
		return nil, fmt.Errorf("telemetry: traces sampler %q is not supported (want always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio)", name)
	}
}

// ParseResourceAttributes reads OTEL_RESOURCE_ATTRIBUTES: key=value pairs
// separated by commas, values percent-encoded (the W3C Baggage format the
// specification names). An empty key or a pair without "=" is an error.
func ParseResourceAttributes(s string) (map[string]string, error) {
	out := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("telemetry: resource attributes: %q is not key=value", strings.TrimSpace(kv))
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("telemetry: resource attributes: the value of %q is not percent-encoded", k)
		}
		out[k] = dv
	}
	return out, nil
}

// Identity is what this process is known by in traces, metrics and logs:
// the resource's service.name, service.version and deployment environment.
type Identity struct {
	Service string
	Version string
	Env     string
}

// Identity resolves the names the resource will carry, with the
// precedence Options describes.
func (o Options) Identity() Identity {
	id := Identity{Service: o.ServiceName, Version: o.Version, Env: o.Env}
	if id.Service == "" {
		id.Service = o.ResourceAttributes["service.name"]
	}
	if id.Service == "" {
		id.Service = DefaultServiceName
	}
	if v := o.ResourceAttributes["service.version"]; v != "" {
		id.Version = v
	}
	if v := o.ResourceAttributes["deployment.environment.name"]; v != "" {
		id.Env = v
	}
	if v := o.ResourceAttributes["deployment.environment"]; v != "" {
		id.Env = v
	}
	return id
}

func (o Options) validate() error {
	var errs []error
	switch o.OTLPProtocol {
	case "", ProtocolGRPC, ProtocolHTTPProtobuf:
	default:
		errs = append(errs, fmt.Errorf("telemetry: OTLP protocol %q is not supported (want %q or %q)", o.OTLPProtocol, ProtocolGRPC, ProtocolHTTPProtobuf))
	}
	switch strings.ToLower(o.MetricsTemporality) {
	case "", TemporalityCumulative, TemporalityDelta, TemporalityLowMemory:
	default:
		errs = append(errs, fmt.Errorf("telemetry: metrics temporality %q is not supported (want %q, %q or %q)", o.MetricsTemporality, TemporalityCumulative, TemporalityDelta, TemporalityLowMemory))
	}
	if o.OTLPEndpoint != "" && !strings.HasPrefix(o.OTLPEndpoint, "http://") && !strings.HasPrefix(o.OTLPEndpoint, "https://") {
		errs = append(errs, fmt.Errorf("telemetry: OTLP endpoint %q must be an http:// or https:// URL", o.OTLPEndpoint))
	}
	return errors.Join(errs...)
}

// newResource describes this process. It deliberately avoids
// resource.Default and resource.WithFromEnv, which read the environment.
func newResource(ctx context.Context, opts Options) (*resource.Resource, error) {
	id := opts.Identity()
	attrs := make([]attribute.KeyValue, 0, len(opts.ResourceAttributes)+4)
	for k, v := range opts.ResourceAttributes {
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs,
		attribute.String("service.name", id.Service),
		attribute.String("service.version", id.Version),
		attribute.String("deployment.environment", id.Env),
		attribute.String("deployment.environment.name", id.Env),
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
	switch strings.ToLower(opts.MetricsTemporality) {
	case TemporalityDelta:
		temporality = deltaTemporality
	case TemporalityLowMemory:
		temporality = lowMemoryTemporality
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

// lowMemoryTemporality is the "lowmemory" preference of the specification:
// delta for synchronous counters and histograms, cumulative for the rest.
func lowMemoryTemporality(kind sdkmetric.InstrumentKind) metricdata.Temporality {
	switch kind {
	case sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindHistogram:
		return metricdata.DeltaTemporality
	default:
		return metricdata.CumulativeTemporality
	}
}

// discardSpans drops spans; used when only a metric reader was supplied.
type discardSpans struct{}

func (discardSpans) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardSpans) Shutdown(context.Context) error                             { return nil }
