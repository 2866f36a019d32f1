package service

import (
	"context"
	"log/slog"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// AuditQueue writes audit events to the audit port from one background
// goroutine, so recording an event on a hot path (every token issued)
// costs an append under a lock, not a store write. The writer takes what
// has gathered, up to a batch at a time, in one round trip when the port
// is a ports.AuditBatchLog, so it keeps up with any load the store can
// take.
//
// When the store fails, the events stay in the queue, in order, and the
// writer tries again with back-off until it answers: the queue is the spool
// that outlives a PostgreSQL outage. It is bounded (size events, queued
// and in flight): an event beyond the bound is dropped, counted (Dropped,
// and the identityd.audit.dropped metric), and logged, at the 1st, 2nd,
// 4th, 8th... drop. Every event is also in the log line service.Audit
// writes before queueing. A retried write may repeat a write that did
// commit; the store ignores an event id it already holds.
type AuditQueue struct {
	next      ports.AuditLog
	batch     ports.AuditBatchLog // nil when next cannot take batches
	logger    *slog.Logger
	size      int
	batchSize int
	timeout   time.Duration
	retryMin  time.Duration
	retryMax  time.Duration

	mu       sync.Mutex
	buf      []core.AuditEvent // waiting, oldest first
	inFlight int               // taken by the writer, not yet stored
	queued   uint64            // events ever accepted
	done     uint64            // events stored or lost for good
	changed  chan struct{}     // closed and replaced whenever done grows
	closed   bool

	wake    chan struct{}
	stop    chan struct{} // closed when Close gives up waiting
	stopped chan struct{}

	dropped atomic.Uint64
	stored  atomic.Uint64
}

var _ ports.AuditLog = (*AuditQueue)(nil)

// DefaultAuditQueueSize is how many events may wait to be written: at a
// few thousand tokens a second, tens of seconds of a PostgreSQL outage.
const DefaultAuditQueueSize = 100_000

// auditBatchSize is the most events one write takes.
const auditBatchSize = 500

// NewAuditQueue starts the writer for next with room for size events.
func NewAuditQueue(next ports.AuditLog, logger *slog.Logger, size int) *AuditQueue {
	if size < 1 {
		size = DefaultAuditQueueSize
	}
	q := &AuditQueue{next: next, logger: logger, size: size, batchSize: auditBatchSize,
		timeout: 5 * time.Second, retryMin: 50 * time.Millisecond, retryMax: 2 * time.Second,
		changed: make(chan struct{}), wake: make(chan struct{}, 1), stop: make(chan struct{}), stopped: make(chan struct{})}
	q.batch, _ = next.(ports.AuditBatchLog)
	go q.run()
	return q
}

// RecordAudit implements ports.AuditLog: it queues e and returns at once.
// A full or closed queue drops the event, counts and logs it.
func (q *AuditQueue) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	q.mu.Lock()
	if q.closed || len(q.buf)+q.inFlight >= q.size {
		q.mu.Unlock()
		q.drop(ctx, e.Type, 1, false, "audit queue full; event dropped (it is in the log)")
		return nil
	}
	q.buf = append(q.buf, e)
	q.queued++
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

// drop counts n dropped events and logs at the 1st, 2nd, 4th, 8th...
// (loud at first, quiet in a flood), and always when always is set.
func (q *AuditQueue) drop(ctx context.Context, typ string, n uint64, always bool, msg string) {
	total := q.dropped.Add(n)
	if always || bits.Len64(total-n) != bits.Len64(total) {
		q.logger.LogAttrs(ctx, slog.LevelError, msg, slog.String("event", typ), slog.Uint64("dropped", n), slog.Uint64("dropped_total", total))
	}
}

func (q *AuditQueue) run() {
	defer close(q.stopped)
	delay := q.retryMin
	failing := false
	for {
		q.mu.Lock()
		for len(q.buf) == 0 {
			if q.closed {
				q.mu.Unlock()
				return
			}
			q.mu.Unlock()
			select {
			case <-q.wake:
			case <-q.stop:
				return
			}
			q.mu.Lock()
		}
		n := min(len(q.buf), q.batchSize)
		batch := slices.Clone(q.buf[:n])
		q.buf = slices.Delete(q.buf, 0, n)
		q.inFlight = n
		q.mu.Unlock()

		err := q.write(batch)

		q.mu.Lock()
		q.inFlight = 0
		if err != nil {
			// Back to the front, in order, for the next attempt.
			q.buf = append(batch, q.buf...)
			pending := len(q.buf)
			q.mu.Unlock()
			if !failing {
				failing = true
				q.logger.LogAttrs(context.Background(), slog.LevelWarn, "audit events not stored yet; kept in the queue and retried",
					slog.Int("pending", pending), slog.String("error", err.Error()))
			}
			select {
			case <-time.After(delay):
			case <-q.stop:
				return
			}
			delay = min(delay*2, q.retryMax)
			continue
		}
		// Counted before Flush's waiters are woken, so that what they read
		// of Stored includes the batch they waited for.
		q.stored.Add(uint64(n))
		q.resolveLocked(uint64(n))
		pending := len(q.buf)
		q.mu.Unlock()
		delay = q.retryMin
		if failing {
			failing = false
			q.logger.LogAttrs(context.Background(), slog.LevelInfo, "audit events stored again", slog.Int("pending", pending))
		}
	}
}

func (q *AuditQueue) resolveLocked(n uint64) {
	q.done += n
	close(q.changed)
	q.changed = make(chan struct{})
}

func (q *AuditQueue) write(batch []core.AuditEvent) error {
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	defer cancel()
	if q.batch != nil {
		return q.batch.RecordAudits(ctx, batch)
	}
	for _, e := range batch {
		// On a failure the whole batch is sent again; the store
		// ignores the ids it already holds.
		if err := q.next.RecordAudit(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Flush waits until every event queued before it has been written, or ctx
// ends.
func (q *AuditQueue) Flush(ctx context.Context) error {
	q.mu.Lock()
	target := q.queued
	for q.done < target {
		ch := q.changed
		q.mu.Unlock()
		select {
		case <-ch:
		case <-q.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
		q.mu.Lock()
	}
	q.mu.Unlock()
	return nil
}

// Close stops taking events and waits until the queued ones are written.
// When ctx ends first, the writer stops, and the events not written are
// counted as dropped and logged.
func (q *AuditQueue) Close(ctx context.Context) error {
	q.mu.Lock()
	first := !q.closed
	q.closed = true
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	var err error
	select {
	case <-q.stopped:
	case <-ctx.Done():
		if first {
			close(q.stop)
		}
		<-q.stopped
		err = ctx.Err()
	}
	q.mu.Lock()
	lost := uint64(len(q.buf) + q.inFlight)
	q.buf, q.inFlight = nil, 0
	if lost > 0 {
		q.resolveLocked(lost)
	}
	q.mu.Unlock()
	if lost > 0 {
		q.drop(ctx, "", lost, true, "audit events not stored at shutdown; the store did not answer (they are in the log)")
	}
	return err
}

// Dropped is how many events were dropped: over the bound, or still
// unwritten when Close gave up.
func (q *AuditQueue) Dropped() uint64 { return q.dropped.Load() }

// Stored is how many events were written to the audit port.
func (q *AuditQueue) Stored() uint64 { return q.stored.Load() }

// Pending is how many events wait to be written.
func (q *AuditQueue) Pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf) + q.inFlight
}
