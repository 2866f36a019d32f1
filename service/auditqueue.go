package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// AuditQueue writes audit events to the audit port from one background
// goroutine, so recording an event on a hot path (every token issued) costs
// a channel send, not a store write. The queue is bounded: when it is full
// the event is dropped and counted, and a warning is logged, since an audit
// log that blocks token issuance would turn a slow database into an outage.
// Every event is also in the log line service.Audit writes before queueing.
// Close drains what is queued.
type AuditQueue struct {
	next    ports.AuditLog
	logger  *slog.Logger
	items   chan auditItem
	dropped atomic.Uint64
	stored  atomic.Uint64

	mu      sync.RWMutex
	closed  bool
	done    chan struct{}
	timeout time.Duration
}

// auditItem is an event, or a flush marker when flushed is set.
type auditItem struct {
	event   core.AuditEvent
	flushed chan struct{}
}

var _ ports.AuditLog = (*AuditQueue)(nil)

// DefaultAuditQueueSize is how many events may wait to be written.
const DefaultAuditQueueSize = 4096

// NewAuditQueue starts the writer for next with room for size events.
func NewAuditQueue(next ports.AuditLog, logger *slog.Logger, size int) *AuditQueue {
	if size < 1 {
		size = DefaultAuditQueueSize
	}
	q := &AuditQueue{next: next, logger: logger, items: make(chan auditItem, size), done: make(chan struct{}), timeout: 5 * time.Second}
	go q.run()
	return q
}

func (q *AuditQueue) run() {
	defer close(q.done)
	for it := range q.items {
		if it.flushed != nil {
			close(it.flushed)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
		err := q.next.RecordAudit(ctx, it.event)
		cancel()
		if err != nil {
			q.logger.LogAttrs(ctx, slog.LevelWarn, "audit event not stored", slog.String("event", it.event.Type),
				slog.String("request_id", it.event.RequestID), slog.String("error", err.Error()))
			continue
		}
		q.stored.Add(1)
	}
}

// RecordAudit implements ports.AuditLog: it queues e and returns at once.
// A full or closed queue drops the event and counts it.
func (q *AuditQueue) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if !q.closed {
		select {
		case q.items <- auditItem{event: e}:
			return nil
		default:
		}
	}
	if n := q.dropped.Add(1); n&(n-1) == 0 {
		// 1st, 2nd, 4th, 8th... drop: loud at first, quiet in a flood.
		q.logger.LogAttrs(ctx, slog.LevelWarn, "audit queue full; event dropped (it is in the log)",
			slog.String("event", e.Type), slog.Uint64("dropped_total", n))
	}
	return nil
}

// Flush waits until every event queued before it has been written, or ctx
// ends.
func (q *AuditQueue) Flush(ctx context.Context) error {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return nil
	}
	marker := make(chan struct{})
	select {
	case q.items <- auditItem{flushed: marker}:
	case <-ctx.Done():
		q.mu.RUnlock()
		return ctx.Err()
	}
	q.mu.RUnlock()
	select {
	case <-marker:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking events and waits until the queued ones are written,
// or ctx ends.
func (q *AuditQueue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.items)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if n := q.dropped.Load(); n > 0 {
		q.logger.LogAttrs(ctx, slog.LevelWarn, "audit events dropped while the queue was full", slog.Uint64("dropped_total", n))
	}
	return nil
}

// Dropped is how many events were dropped because the queue was full.
func (q *AuditQueue) Dropped() uint64 { return q.dropped.Load() }

// Stored is how many events were written to the audit port.
func (q *AuditQueue) Stored() uint64 { return q.stored.Load() }
