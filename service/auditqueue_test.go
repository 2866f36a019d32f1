package service_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// gatedLog records events, each only once the gate lets it through.
type gatedLog struct {
	gate   chan struct{}
	mu     sync.Mutex
	events []core.AuditEvent
}

func (l *gatedLog) RecordAudit(_ context.Context, e core.AuditEvent) error {
	if l.gate != nil {
		<-l.gate
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
	return nil
}

func (l *gatedLog) types() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.events))
	for i, e := range l.events {
		out[i] = e.Type
	}
	return out
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestAuditQueueWritesInOrderAndFlushes(t *testing.T) {
	t.Parallel()
	log := &gatedLog{}
	q := service.NewAuditQueue(log, discard(), 16)
	for _, typ := range []string{"a", "b", "c"} {
		require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{Type: typ}))
	}
	require.NoError(t, q.Flush(t.Context()))
	assert.Equal(t, []string{"a", "b", "c"}, log.types())
	assert.Equal(t, uint64(3), q.Stored())
	require.NoError(t, q.Close(t.Context()))
}

func TestAuditQueueDropsWhenFullAndDrainsOnClose(t *testing.T) {
	t.Parallel()
	log := &gatedLog{gate: make(chan struct{})}
	q := service.NewAuditQueue(log, discard(), 2)
	// The writer takes the first event and blocks on the gate; two more
	// fill the queue; the rest are dropped without blocking the caller.
	require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{Type: "first"}))
	for q.Dropped() < 2 {
		require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{Type: "more"}))
	}

	close(log.gate)
	require.NoError(t, q.Close(t.Context()))
	got := log.types()
	require.NotEmpty(t, got)
	assert.Equal(t, "first", got[0])
	assert.LessOrEqual(t, len(got), 3, "one in the writer and two queued")
	assert.Equal(t, uint64(len(got)), q.Stored())

	require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{Type: "late"}), "a closed queue drops, never panics")
	assert.NoError(t, q.Flush(t.Context()))
}

func TestAuditRecordFillsRequestInfoAndIsNilSafe(t *testing.T) {
	t.Parallel()
	log := &gatedLog{}
	a := service.NewAudit(log, discard(), fixedClock{}, seqRandom{})
	ctx := service.WithRequestInfo(t.Context(), service.RequestInfo{IP: "198.51.100.1", UserAgent: "ua", RequestID: "req-1"})
	a.Record(ctx, core.AuditEvent{Type: core.AuditScopeCreated, ActorID: "admin"})
	require.Len(t, log.events, 1)
	e := log.events[0]
	assert.Equal(t, "198.51.100.1", e.IP)
	assert.Equal(t, "ua", e.UserAgent)
	assert.Equal(t, "req-1", e.RequestID)
	assert.Equal(t, "id", e.ID)

	var none *service.Audit
	assert.NotPanics(t, func() { none.Record(ctx, core.AuditEvent{Type: "x"}) })
}

type fixedClock struct{}

func (fixedClock) Now() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

type seqRandom struct{}

func (seqRandom) NewID() string     { return "id" }
func (seqRandom) NewToken() string  { return "token" }
func (seqRandom) NewTimeID() string { return "time-id" }

// flakyLog fails every write while down is set, and stores batches.
type flakyLog struct {
	mu     sync.Mutex
	down   bool
	delay  time.Duration
	events []core.AuditEvent
	calls  int
}

func (l *flakyLog) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	return l.RecordAudits(ctx, []core.AuditEvent{e})
}

func (l *flakyLog) RecordAudits(_ context.Context, events []core.AuditEvent) error {
	time.Sleep(l.delay)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.down {
		return core.ErrUnavailable
	}
	l.events = append(l.events, events...)
	return nil
}

func (l *flakyLog) setDown(down bool) {
	l.mu.Lock()
	l.down = down
	l.mu.Unlock()
}

func (l *flakyLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// While the store is down the events wait in the queue; when it is back
// they are written, in order, none lost.
func TestAuditQueueSpoolsWhileTheStoreIsDown(t *testing.T) {
	t.Parallel()
	log := &flakyLog{down: true}
	q := service.NewAuditQueue(log, discard(), 1000)
	for i := range 60 {
		require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{ID: string(rune('a' + i%26)), Type: "token.issued"}))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, q.Flush(ctx), context.DeadlineExceeded, "nothing is stored while the store is down")
	assert.Equal(t, 60, q.Pending())

	log.setDown(false)
	require.NoError(t, q.Flush(t.Context()))
	assert.Equal(t, 60, log.count())
	assert.Zero(t, q.Dropped())
	assert.Equal(t, uint64(60), q.Stored())
	require.NoError(t, q.Close(t.Context()))
}

// Past its bound the queue drops, counts, and says so; what is still
// unwritten when Close gives up is counted too.
func TestAuditQueueCountsWhatItCannotKeep(t *testing.T) {
	t.Parallel()
	log := &flakyLog{down: true}
	q := service.NewAuditQueue(log, discard(), 10)
	for range 15 {
		require.NoError(t, q.RecordAudit(t.Context(), core.AuditEvent{Type: "token.issued"}))
	}
	assert.Equal(t, uint64(5), q.Dropped())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	assert.Error(t, q.Close(ctx))
	assert.Equal(t, uint64(15), q.Dropped())
	assert.Zero(t, q.Pending())
}

// Ordinary load: many request goroutines record at once against a store
// that takes a millisecond per write. Batching keeps up; nothing drops.
func TestAuditQueueKeepsUpUnderConcurrentLoad(t *testing.T) {
	t.Parallel()
	log := &flakyLog{delay: time.Millisecond}
	q := service.NewAuditQueue(log, discard(), service.DefaultAuditQueueSize)
	const workers, each = 16, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				_ = q.RecordAudit(t.Context(), core.AuditEvent{Type: "token.issued"})
			}
		})
	}
	wg.Wait()
	require.NoError(t, q.Flush(t.Context()))
	assert.Zero(t, q.Dropped())
	assert.Equal(t, workers*each, log.count())
	log.mu.Lock()
	calls := log.calls
	log.mu.Unlock()
	assert.Less(t, calls, workers*each/10, "events go in batches")
	require.NoError(t, q.Close(t.Context()))
}
