package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
)

// errStoreClosed is returned by SaveAccessToken and CreateRefreshToken
// after Close.
var errStoreClosed = errors.New("store closed")

// saveRequest is one caller waiting for its row to be stored.
type saveRequest[T any] struct {
	ctx  context.Context
	row  T
	done chan error // buffered: the writer never blocks on a caller
}

// batcher group-commits rows of one table (access tokens, refresh
// tokens), each with a unique key: one collector goroutine gathers
// waiting rows, up to maxRows, hands the batch to one of at most
// maxInFlight INSERTs, and each INSERT answers its callers with their own
// outcome. While an INSERT is in flight the collector waits up to maxDelay
// for more rows; when none is, a batch leaves at once, so a lone caller
// pays no delay.
type batcher[T any] struct {
	what     string // "save access token": what a caller's error says
	maxRows  int
	maxDelay time.Duration
	timeout  time.Duration // bounds each caller's wait; 0: none
	key      func(T) string
	// insert writes rows (distinct keys) in one statement and reports the
	// keys that were new; the others already existed.
	insert func(context.Context, []T) (map[string]bool, error)

	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	reqs    chan saveRequest[T]
	slots   chan struct{}
	flushes sync.WaitGroup
	done    chan struct{}
}

func newBatcher[T any](what string, opts StoreOptions, timeout time.Duration, key func(T) string,
	insert func(context.Context, []T) (map[string]bool, error)) *batcher[T] {
	b := &batcher[T]{
		what:     what,
		timeout:  timeout,
		maxRows:  opts.BatchMaxRows,
		maxDelay: opts.BatchMaxDelay,
		key:      key,
		insert:   insert,
		reqs:     make(chan saveRequest[T], opts.BatchMaxRows*opts.BatchMaxInFlight),
		slots:    make(chan struct{}, opts.BatchMaxInFlight),
		done:     make(chan struct{}),
	}
	go b.run()
	return b
}

// save queues row and waits for its INSERT to commit, for ctx to end, or
// for the query timeout: a caller in flight when the database stalls
// gives up as soon as one arriving later would, rather than wait for the
// INSERTs ahead of it.
func (b *batcher[T]) save(ctx context.Context, row T) error {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	req := saveRequest[T]{ctx: ctx, row: row, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fmt.Errorf("%s: %w: %w", b.what, core.ErrUnavailable, errStoreClosed)
	}
	select {
	case b.reqs <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return waitErr(ctx, b.what)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The row may still be written; the caller gave up waiting.
		return waitErr(ctx, b.what)
	}
}

// waitErr is the error of a caller that stopped waiting: the store did not
// answer in time (core.ErrUnavailable), or the caller went away.
func waitErr(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", what, core.ErrUnavailable, ctx.Err())
	}
	return fmt.Errorf("%s: %w", what, ctx.Err())
}

// close refuses new rows, writes the queued ones and waits for every
// INSERT in flight.
func (b *batcher[T]) close() {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		<-b.done
		return
	}
	b.closed = true
	close(b.reqs)
	b.mu.Unlock()
	<-b.done
}

func (b *batcher[T]) run() {
	defer close(b.done)
	defer b.flushes.Wait()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		first, ok := <-b.reqs
		if !ok {
			return
		}
		batch := []saveRequest[T]{first}
		open := true
		// With no INSERT in flight, waiting would only add latency: take
		// what is queued and go. While one runs, rows pile up anyway;
		// gather them for up to maxDelay from the first.
		wait := len(b.slots) > 0
		if wait {
			timer.Reset(b.maxDelay)
		}
	collect:
		for len(batch) < b.maxRows {
			if !wait {
				select {
				case r, ok := <-b.reqs:
					if !ok {
						open = false
						break collect
					}
					batch = append(batch, r)
					continue
				default:
					break collect
				}
			}
			select {
			case r, ok := <-b.reqs:
				if !ok {
					open = false
					break collect
				}
				batch = append(batch, r)
			case <-timer.C:
				wait = false
				break collect
			}
		}
		if wait {
			// Since Go 1.23 a stopped timer delivers nothing stale, so
			// there is nothing to drain.
			timer.Stop()
		}
		b.slots <- struct{}{}
		b.flushes.Add(1)
		go func() {
			defer func() { <-b.slots; b.flushes.Done() }()
			b.flush(batch)
		}()
		if !open {
			return
		}
	}
}

// flush writes one batch and answers its callers.
func (b *batcher[T]) flush(batch []saveRequest[T]) {
	rows := make([]T, 0, len(batch))
	owner := make(map[string]int, len(batch)) // key -> index of the request that writes it
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- fmt.Errorf("%s: %w", b.what, err)
			continue
		}
		k := b.key(r.row)
		if _, dup := owner[k]; dup {
			r.done <- fmt.Errorf("%s: %w", b.what, core.ErrAlreadyExists)
			continue
		}
		owner[k] = i
		rows = append(rows, r.row)
	}
	if len(rows) == 0 {
		return
	}
	inserted, err := b.insert(context.Background(), rows)
	if err != nil && len(rows) > 1 && !errors.Is(err, core.ErrUnavailable) {
		// One bad row fails the statement: retry row by row so that
		// each caller gets its own outcome.
		for _, row := range rows {
			one, err := b.insert(context.Background(), []T{row})
			batch[owner[b.key(row)]].done <- b.outcome(one, err, b.key(row))
		}
		return
	}
	for _, row := range rows {
		batch[owner[b.key(row)]].done <- b.outcome(inserted, err, b.key(row))
	}
}

func (b *batcher[T]) outcome(inserted map[string]bool, err error, key string) error {
	switch {
	case err != nil:
		return err
	case !inserted[key]:
		return fmt.Errorf("%s: %w", b.what, core.ErrAlreadyExists)
	}
	return nil
}
