package service

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// MailQueueConfig bounds the mail queue.
type MailQueueConfig struct {
	// Size is how many jobs may wait; a job beyond it is dropped with a
	// warning (the person can ask again).
	Size int
	// Workers run jobs concurrently.
	Workers int
	// Attempts is how often a failing send is tried in all.
	Attempts int
	// Timeout bounds one attempt.
	Timeout time.Duration
	// Backoff is the wait before the second attempt; it doubles after.
	Backoff time.Duration
	// Inline runs each job in the goroutine that enqueues it, before
	// enqueue returns: for tests that read the mail right after the
	// request. Never in a server.
	Inline bool
}

// DefaultMailQueueConfig: 1000 waiting jobs, 4 workers, 3 attempts of at
// most 20 s each, 2 s then 4 s apart.
var DefaultMailQueueConfig = MailQueueConfig{Size: 1000, Workers: 4, Attempts: 3, Timeout: 20 * time.Second, Backoff: 2 * time.Second}

// mailJob is one piece of work done off the request path: it looks up
// what it needs and sends at most one mail through send.
type mailJob struct {
	name string
	run  func(ctx context.Context, send func(func(context.Context) error) error)
}

// MailQueue runs the work behind "send a mail" (lookups, tokens, the SMTP
// conversation) on its own workers, so a request that asks for a mail
// answers in the same time whatever the work costs, and a slow or absent
// mail server never holds a request. A send is retried with back-off.
type MailQueue struct {
	cfg     MailQueueConfig
	log     *slog.Logger
	jobs    chan mailJob
	pending sync.WaitGroup
	workers sync.WaitGroup
	closing atomic.Bool
	mu      sync.RWMutex
	dropped atomic.Uint64
	ctx     context.Context
	cancel  context.CancelFunc
}

// NewMailQueue starts the workers.
func NewMailQueue(cfg MailQueueConfig, logger *slog.Logger) *MailQueue {
	q := &MailQueue{cfg: cfg, log: logger, jobs: make(chan mailJob, cfg.Size)}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	if cfg.Inline {
		return q
	}
	for range max(cfg.Workers, 1) {
		q.workers.Add(1)
		go q.work()
	}
	return q
}

func (q *MailQueue) work() {
	defer q.workers.Done()
	for j := range q.jobs {
		q.runJob(j)
		q.pending.Done()
	}
}

func (q *MailQueue) runJob(j mailJob) {
	defer func() {
		if p := recover(); p != nil {
			q.log.Error("mail job panicked", "job", j.name, "panic", p)
		}
	}()
	j.run(q.ctx, func(send func(context.Context) error) error {
		var err error
		wait := q.cfg.Backoff
		for attempt := 1; attempt <= max(q.cfg.Attempts, 1); attempt++ {
			ctx, cancel := context.WithTimeout(q.ctx, q.cfg.Timeout)
			err = send(ctx)
			cancel()
			if err == nil {
				return nil
			}
			q.log.Warn("mail not sent", "job", j.name, "attempt", attempt, "error", err.Error())
			if attempt == q.cfg.Attempts {
				break
			}
			select {
			case <-q.ctx.Done():
				return err
			case <-time.After(wait):
			}
			wait *= 2
		}
		return err
	})
}

// enqueue adds a job without waiting; it reports false when the queue is
// full or closed, and the job is dropped.
func (q *MailQueue) enqueue(name string, run func(ctx context.Context, send func(func(context.Context) error) error)) bool {
	if q.cfg.Inline {
		q.runJob(mailJob{name: name, run: run})
		return true
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closing.Load() {
		return false
	}
	q.pending.Add(1)
	select {
	case q.jobs <- mailJob{name: name, run: run}:
		return true
	default:
		q.pending.Done()
		q.dropped.Add(1)
		q.log.Warn("mail queue full: job dropped", "job", name, "size", q.cfg.Size)
		return false
	}
}

// Flush waits until every job queued before it has finished, or ctx ends.
func (q *MailQueue) Flush(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		q.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking jobs and waits for the queued ones until ctx ends;
// then the jobs still running are cancelled.
func (q *MailQueue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closing.Swap(true) {
		close(q.jobs)
	}
	q.mu.Unlock()
	err := q.Flush(ctx)
	q.cancel()
	q.workers.Wait()
	return err
}

// Dropped counts the jobs refused because the queue was full.
func (q *MailQueue) Dropped() uint64 { return q.dropped.Load() }
