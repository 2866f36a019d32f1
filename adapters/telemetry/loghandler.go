package telemetry

import (
	"context"
	"encoding/binary"
	"log/slog"
	"strconv"

	"go.opentelemetry.io/otel/trace"
)

// Log attribute keys added by LogHandler: the OpenTelemetry ids in hex, and
// Datadog's log–trace correlation fields ("Correlating OpenTelemetry Traces
// and Logs": the trace id's low 64 bits and the span id, as decimal
// strings, with the unified service tags).
const (
	LogKeyTraceID   = "trace_id"
	LogKeySpanID    = "span_id"
	LogKeyDDTraceID = "dd.trace_id"
	LogKeyDDSpanID  = "dd.span_id"
	LogKeyDDService = "dd.service"
	LogKeyDDEnv     = "dd.env"
	LogKeyDDVersion = "dd.version"
)

// LogHandler is a slog.Handler that adds, to each record whose context
// holds a valid span, trace_id and span_id and Datadog's dd.trace_id,
// dd.span_id, dd.service, dd.env and dd.version (the last three when
// known), and hands the record on. The fields stay at the top level of the
// line even under WithGroup, where Datadog looks for them.
type LogHandler struct {
	next slog.Handler
	dd   []slog.Attr
	// root is the handler before any WithGroup, and chain replays the
	// WithGroup and WithAttrs calls since; both nil without a group.
	root  slog.Handler
	chain []func(slog.Handler) slog.Handler
}

var _ slog.Handler = (*LogHandler)(nil)

// NewLogHandler wraps next; id's non-empty fields become dd.service,
// dd.env and dd.version.
func NewLogHandler(next slog.Handler, id Identity) *LogHandler {
	var dd []slog.Attr
	for _, kv := range [][2]string{{LogKeyDDService, id.Service}, {LogKeyDDEnv, id.Env}, {LogKeyDDVersion, id.Version}} {
		if kv[1] != "" {
			dd = append(dd, slog.String(kv[0], kv[1]))
		}
	}
	return &LogHandler{next: next, dd: dd}
}

// Enabled implements slog.Handler.
func (h *LogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle implements slog.Handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return h.next.Handle(ctx, r)
	}
	attrs := correlation(sc, h.dd)
	if h.root == nil {
		r = r.Clone()
		r.AddAttrs(attrs...)
		return h.next.Handle(ctx, r)
	}
	next := h.root.WithAttrs(attrs)
	for _, f := range h.chain {
		next = f(next)
	}
	return next.Handle(ctx, r)
}

// correlation returns the attributes that tie a line to the span sc.
func correlation(sc trace.SpanContext, dd []slog.Attr) []slog.Attr {
	tid, sid := sc.TraceID(), sc.SpanID()
	out := make([]slog.Attr, 0, 4+len(dd))
	out = append(out,
		slog.String(LogKeyTraceID, tid.String()),
		slog.String(LogKeySpanID, sid.String()),
		slog.String(LogKeyDDTraceID, strconv.FormatUint(binary.BigEndian.Uint64(tid[8:]), 10)),
		slog.String(LogKeyDDSpanID, strconv.FormatUint(binary.BigEndian.Uint64(sid[:]), 10)),
	)
	return append(out, dd...)
}

// WithAttrs implements slog.Handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := &LogHandler{next: h.next.WithAttrs(attrs), dd: h.dd, root: h.root}
	if h.root != nil {
		c.chain = append(h.chain[:len(h.chain):len(h.chain)], func(n slog.Handler) slog.Handler { return n.WithAttrs(attrs) })
	}
	return c
}

// WithGroup implements slog.Handler. Attributes added after it land inside
// the group; the correlation fields do not.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	c := &LogHandler{next: h.next.WithGroup(name), dd: h.dd, root: h.root, chain: h.chain}
	if c.root == nil {
		c.root = h.next
	}
	c.chain = append(c.chain[:len(c.chain):len(c.chain)], func(n slog.Handler) slog.Handler { return n.WithGroup(name) })
	return c
}
