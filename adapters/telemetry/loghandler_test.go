package telemetry_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/identityd/identityd/adapters/telemetry"
)

func TestLogHandler(t *testing.T) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	ctx, span := tp.Tracer("test").Start(t.Context(), "op")
	defer span.End()

	tests := []struct {
		name      string
		giveSpan  bool
		wantTrace string
		wantSpan  string
	}{
		{"with span", true, span.SpanContext().TraceID().String(), span.SpanContext().SpanID().String()},
		{"without span", false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil), telemetry.Identity{})).With("component", "test")
			logCtx := t.Context()
			if tt.giveSpan {
				logCtx = ctx
			}
			log.InfoContext(logCtx, "hello")

			var line map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &line))
			assert.Equal(t, "hello", line["msg"])
			assert.Equal(t, "test", line["component"])
			if tt.wantTrace == "" {
				assert.NotContains(t, line, telemetry.LogKeyTraceID)
				assert.NotContains(t, line, telemetry.LogKeySpanID)
				return
			}
			assert.Equal(t, tt.wantTrace, line[telemetry.LogKeyTraceID])
			assert.Equal(t, tt.wantSpan, line[telemetry.LogKeySpanID])
		})
	}
}

// Datadog links a log line to its trace by dd.trace_id and dd.span_id: the
// low 64 bits of the trace id and the span id, in decimal; the unified
// service tags come along where known. They stay at the top level under
// WithGroup, and lines without a span carry none.
func TestLogHandlerDatadogFields(t *testing.T) {
	tid, err := trace.TraceIDFromHex("0af7651916cd43dd8448eb211c80319c")
	require.NoError(t, err)
	sid, err := trace.SpanIDFromHex("b7ad6b7169203331")
	require.NoError(t, err)
	ctx := trace.ContextWithSpanContext(t.Context(), trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	id := telemetry.Identity{Service: "identityd", Env: "staging", Version: "1.4.0"}

	tests := []struct {
		name string
		give func(*slog.Logger) *slog.Logger
	}{
		{"plain", func(l *slog.Logger) *slog.Logger { return l }},
		{"with attributes", func(l *slog.Logger) *slog.Logger { return l.With("component", "http") }},
		{"in a group", func(l *slog.Logger) *slog.Logger { return l.WithGroup("req").With("path", "/x") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := tt.give(slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil), id)))
			log.InfoContext(ctx, "hello", "k", "v")
			var line map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
			// 0x8448eb211c80319c and 0xb7ad6b7169203331 in decimal.
			assert.Equal(t, "9532127138774266268", line["dd.trace_id"])
			assert.Equal(t, "13235353014750950193", line["dd.span_id"])
			assert.Equal(t, "identityd", line["dd.service"])
			assert.Equal(t, "staging", line["dd.env"])
			assert.Equal(t, "1.4.0", line["dd.version"])
			if tt.name == "in a group" {
				group, ok := line["req"].(map[string]any)
				require.True(t, ok, buf.String())
				assert.Equal(t, "/x", group["path"])
				assert.Equal(t, "v", group["k"])
			}

			buf.Reset()
			log.InfoContext(t.Context(), "no span")
			assert.NotContains(t, buf.String(), "dd.")
		})
	}
}

func TestLogHandlerRespectsLevel(t *testing.T) {
	var buf bytes.Buffer
	h := telemetry.NewLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}), telemetry.Identity{})
	assert.False(t, h.Enabled(t.Context(), slog.LevelInfo))
	assert.True(t, h.Enabled(t.Context(), slog.LevelError))
	slog.New(h).WithGroup("g").Info("dropped")
	assert.Empty(t, buf.String())
}
