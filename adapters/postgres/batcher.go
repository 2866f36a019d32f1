package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
)

// errStoreClosed is returned by SaveAccessToken after Close.
var errStoreClosed = errors.New("store closed")

// saveRequest is one caller waiting for its access token to be stored.
type saveRequest struct {
	ctx   context.Context
	token core.AccessToken
	done  chan error // buffered: the writer never blocks on a caller
}

// batcher group-commits access tokens: one collector goroutine gathers
// waiting rows, up to maxRows, hands the batch to one of at most
// maxInFlight INSERTs, and each INSERT answers its callers with their own
// outcome. While an INSERT is in flight the collector waits up to maxDelay
// for more rows; when none is, a batch leaves at once, so a lone caller
// pays no delay.
type batcher struct {
	maxRows  int
	maxDelay time.Duration
	timeout  time.Duration // bounds each caller's wait; 0: none
	insert   func(context.Context, []core.AccessToken) (map[string]bool, error)

	mu      sync.RWMutex // guards closed against sends on reqs
	closed  bool
	reqs    chan saveRequest
	slots   chan struct{}
	flushes sync.WaitGroup
	done    chan struct{}
}

func newBatcher(opts StoreOptions, timeout time.Duration, insert func(context.Context, []core.AccessToken) (map[string]bool, error)) *batcher {
	b := &batcher{
		timeout:  timeout,
		maxRows:  opts.BatchMaxRows,
		maxDelay: opts.BatchMaxDelay,
		insert:   insert,
		reqs:     make(chan saveRequest, opts.BatchMaxRows*opts.BatchMaxInFlight),
		slots:    make(chan struct{}, opts.BatchMaxInFlight),
		done:     make(chan struct{}),
	}
	go b.run()
	return b
}

// save queues t and waits for its INSERT to commit, for ctx to end, or
// for the query timeout: a caller in flight when the database stalls
// gives up as soon as one arriving later would, rather than wait for the
// INSERTs ahead of it.
func (b *batcher) save(ctx context.Context, t core.AccessToken) error {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	req := saveRequest{ctx: ctx, token: t, done: make(chan error, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return fmt.Errorf("save access token: %w: %w", core.ErrUnavailable, errStoreClosed)
	}
	select {
	case b.reqs <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return waitErr(ctx)
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The row may still be written; the caller gave up waiting.
		return waitErr(ctx)
	}
}

// waitErr is the error of a caller that stopped waiting: the store did not
// answer in time (core.ErrUnavailable), or the caller went away.
func waitErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("save access token: %w: %w", core.ErrUnavailable, ctx.Err())
	}
	return fmt.Errorf("save access token: %w", ctx.Err())
}

// close refuses new rows, writes the queued ones and waits for every
// INSERT in flight.
func (b *batcher) close() {
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

func (b *batcher) run() {
	defer close(b.done)
	defer b.flushes.Wait()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		first, ok := <-b.reqs
		if !ok {
			return
		}
		batch := []saveRequest{first}
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
func (b *batcher) flush(batch []saveRequest) {
	rows := make([]core.AccessToken, 0, len(batch))
	owner := make(map[string]int, len(batch)) // jti -> index of the request that writes it
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			r.done <- fmt.Errorf("save access token: %w", err)
			continue
		}
		if _, dup := owner[r.token.JTI]; dup {
			r.done <- fmt.Errorf("save access token: %w", core.ErrAlreadyExists)
			continue
		}
		owner[r.token.JTI] = i
		rows = append(rows, r.token)
	}
	if len(rows) == 0 {
		return
	}
	inserted, err := b.insert(context.Background(), rows)
	if err != nil && len(rows) > 1 && !errors.Is(err, core.ErrUnavailable) {
		// One bad row fails the statement: retry row by row so that
		// each caller gets its own outcome.
		for _, t := range rows {
			one, err := b.insert(context.Background(), []core.AccessToken{t})
			batch[owner[t.JTI]].done <- outcome(one, err, t.JTI)
		}
		return
	}
	for _, t := range rows {
		batch[owner[t.JTI]].done <- outcome(inserted, err, t.JTI)
	}
}

func outcome(inserted map[string]bool, err error, jti string) error {
	switch {
	case err != nil:
		return err
	case !inserted[jti]:
		return fmt.Errorf("save access token: %w", core.ErrAlreadyExists)
	}
	return nil
}
