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
			log := slog.New(telemetry.NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
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

func TestLogHandlerRespectsLevel(t *testing.T) {
	var buf bytes.Buffer
	h := telemetry.NewLogHandler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	assert.False(t, h.Enabled(t.Context(), slog.LevelInfo))
	assert.True(t, h.Enabled(t.Context(), slog.LevelError))
	slog.New(h).WithGroup("g").Info("dropped")
	assert.Empty(t, buf.String())
}
