package http

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// Observer receives the measurements of the HTTP edge; the telemetry
// adapter's Metrics implements it.
type Observer interface {
	RecordRequest(ctx context.Context, route, method string, status int, d time.Duration)
	TokenIssued(ctx context.Context, grantType string)
	RateLimited(ctx context.Context, limit string)
}

// nopObserver records nothing.
type nopObserver struct{}

func (nopObserver) RecordRequest(context.Context, string, string, int, time.Duration) {}
func (nopObserver) TokenIssued(context.Context, string)                               {}
func (nopObserver) RateLimited(context.Context, string)                               {}

// Telemetry is how the edge traces and measures requests.
type Telemetry struct {
	Tracer     trace.Tracer
	Propagator propagation.TextMapPropagator
	Observer   Observer
}

func (t Telemetry) withDefaults() Telemetry {
	if t.Tracer == nil {
		t.Tracer = tracenoop.NewTracerProvider().Tracer("identityd")
	}
	if t.Propagator == nil {
		t.Propagator = propagation.TraceContext{}
	}
	if t.Observer == nil {
		t.Observer = nopObserver{}
	}
	return t
}

// startSpan continues the caller's trace (W3C traceparent) in a server
// span; its name gets the route template once routing is done.
func (h *Handler) startSpan(ctx context.Context, r *http.Request) (context.Context, trace.Span) {
	ctx = h.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
	return h.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer))
}

func (h *Handler) endSpan(span trace.Span, method, route string, status int) {
	if span.IsRecording() {
		span.SetName(method + " " + route)
		span.SetAttributes(
			attribute.String("http.request.method", method),
			attribute.String("http.route", route),
			attribute.Int("http.response.status_code", status),
		)
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
	span.End()
}

// annotate adds attributes to the request's span; never a secret or token.
func annotate(ctx context.Context, attrs ...attribute.KeyValue) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		span.SetAttributes(attrs...)
	}
}
