// Package telemetry sets up OpenTelemetry tracing and metrics for identityd,
// exported over OTLP (which Datadog, Azure Monitor and most collectors take).
//
// Setup follows the semantics of the standard OTEL_EXPORTER_OTLP_*
// variables, but reads no environment itself: the caller's configuration
// fills Options. With no endpoint it installs no exporter and hands out
// no-op providers, so instrumented code costs next to nothing.
//
// Setup does not touch the otel package's globals; the caller decides
// whether to call otel.SetTracerProvider and friends.
//
// Metrics holds the service's instruments; LogHandler adds the trace and
// span ids of a record's context to each log line.
package telemetry
