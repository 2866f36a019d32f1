package nearcache

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Applier is a cache a Follower keeps current.
type Applier interface {
	// Apply applies one change; it must be idempotent.
	Apply(c core.Change)
	// Reset reloads the whole cache from the store (or empties it, for a
	// read-through cache).
	Reset(ctx context.Context) error
}

// Options tune a Follower. Zero values take the defaults.
type Options struct {
	// PollInterval is how often the log is read without a notice
	// (default 1s).
	PollInterval time.Duration
	// GapTimeout is how long an id missing below the highest seen is
	// asked for again (default 30s): longer than any transaction that
	// writes the log stays open (the store bounds each at its query
	// timeout), so a change that commits late is never skipped.
	GapTimeout time.Duration
	// ResyncAfter: when the log could not be read for this long, the
	// caches reload instead (default 10m; the log keeps rows for an hour).
	ResyncAfter time.Duration
	// BatchSize is how many changes one read returns (default 1000).
	BatchSize int
	// StartWindow is how many ids below the newest the first read checks
	// for changes still uncommitted at start (default 256).
	StartWindow int64
	// MaxMissing caps the ids remembered as missing; a larger gap reloads
	// the caches now and once more after GapTimeout (default 10000).
	MaxMissing int
	Logger     *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.GapTimeout <= 0 {
		o.GapTimeout = 30 * time.Second
	}
	if o.ResyncAfter <= 0 {
		o.ResyncAfter = 10 * time.Minute
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.StartWindow <= 0 {
		o.StartWindow = 256
	}
	if o.MaxMissing <= 0 {
		o.MaxMissing = 10000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// minPollGap spaces reads triggered by notices, so a burst of notices
// costs one read per instance rather than one each.
const minPollGap = 5 * time.Millisecond

// Follower reads the change log and applies it to its caches.
type Follower struct {
	log      ports.ChangeLog
	notifier ports.ChangeNotifier
	appliers []Applier
	opts     Options

	mu       sync.Mutex // one read at a time; guards the fields below
	maxSeen  int64
	missing  map[int64]time.Time // id -> when first missed
	resyncAt time.Time           // a second reload is due (after a huge gap)
	failing  bool

	lastSync atomic.Int64 // unix nanoseconds of the last successful read
	wake     chan struct{}
	cancel   context.CancelFunc
	done     chan struct{}
}

// NewFollower returns a follower of log that keeps appliers current;
// notifier may be nil (then only polling applies).
func NewFollower(log ports.ChangeLog, notifier ports.ChangeNotifier, opts Options, appliers ...Applier) *Follower {
	return &Follower{log: log, notifier: notifier, appliers: appliers, opts: opts.withDefaults(),
		missing: map[int64]time.Time{}, wake: make(chan struct{}, 1)}
}

// Start loads every cache and then follows the log in the background
// until Stop. It fails when the first load does.
func (f *Follower) Start(ctx context.Context) error {
	if err := f.reload(ctx, true); err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f.cancel, f.done = cancel, make(chan struct{})
	if f.notifier != nil {
		go f.notifier.Listen(runCtx, f.Poke)
	}
	go f.run(runCtx)
	return nil
}

// Stop ends the background reads.
func (f *Follower) Stop() {
	if f.cancel != nil {
		f.cancel()
		<-f.done
	}
}

// Poke asks for a read now (a notice arrived, or a test wants one).
func (f *Follower) Poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// LastSync is when the log was last read successfully.
func (f *Follower) LastSync() time.Time { return time.Unix(0, f.lastSync.Load()) }

func (f *Follower) run(ctx context.Context) {
	defer close(f.done)
	t := time.NewTicker(f.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-f.wake:
		}
		_ = f.Sync(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(minPollGap):
		}
	}
}

// Sync reads what the log holds beyond what was applied, and applies it.
func (f *Follower) Sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	now := time.Now()
	switch {
	case now.Sub(f.LastSync()) > f.opts.ResyncAfter:
		// Rows may have been purged since: start over.
		err = f.reloadLocked(ctx, true)
	case !f.resyncAt.IsZero() && !now.Before(f.resyncAt):
		err = f.reloadLocked(ctx, false)
	default:
		err = f.readLocked(ctx)
	}
	f.report(ctx, err)
	return err
}

// report logs the first failure and the recovery, not every poll.
func (f *Follower) report(ctx context.Context, err error) {
	switch {
	case err != nil && !f.failing:
		f.failing = true
		f.opts.Logger.LogAttrs(ctx, slog.LevelWarn, "change log not readable; caches keep their last state", slog.String("error", err.Error()))
	case err == nil && f.failing:
		f.failing = false
		f.opts.Logger.LogAttrs(ctx, slog.LevelInfo, "change log readable again; caches caught up")
	}
}

func (f *Follower) reload(ctx context.Context, position bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reloadLocked(ctx, position)
}

// reloadLocked resets every cache. With position it first finds where the
// log stands, remembering the ids missing just below it (changes still
// uncommitted), so that whatever commits after the caches loaded is read
// from the log.
func (f *Follower) reloadLocked(ctx context.Context, position bool) error {
	if position {
		latest, err := f.log.LatestChangeID(ctx)
		if err != nil {
			return err
		}
		from := max(latest-f.opts.StartWindow, 0)
		changes, err := f.log.ReadChanges(ctx, from, nil, int(f.opts.StartWindow)+f.opts.BatchSize)
		if err != nil {
			return err
		}
		f.maxSeen, f.missing = from, map[int64]time.Time{}
		f.absorb(changes, time.Now(), false)
		for id := f.maxSeen + 1; id <= latest; id++ {
			f.missing[id] = time.Now()
		}
		f.maxSeen = max(f.maxSeen, latest)
	}
	for _, a := range f.appliers {
		if err := a.Reset(ctx); err != nil {
			return err
		}
	}
	f.resyncAt = time.Time{}
	f.lastSync.Store(time.Now().UnixNano())
	return nil
}

// readLocked reads past maxSeen and the missing ids, page by page.
func (f *Follower) readLocked(ctx context.Context) error {
	for {
		now := time.Now()
		also := make([]int64, 0, len(f.missing))
		for id, since := range f.missing {
			if now.Sub(since) > f.opts.GapTimeout {
				// Rolled back, or its sequence value was never used.
				delete(f.missing, id)
				continue
			}
			also = append(also, id)
		}
		slices.Sort(also)
		changes, err := f.log.ReadChanges(ctx, f.maxSeen, also, f.opts.BatchSize)
		if err != nil {
			return err
		}
		if f.absorb(changes, now, true) {
			// A gap too large to remember id by id: reload now, and
			// again once whatever was in flight has committed.
			if err := f.reloadLocked(ctx, false); err != nil {
				return err
			}
			f.resyncAt = now.Add(f.opts.GapTimeout)
		}
		f.lastSync.Store(now.UnixNano())
		if len(changes) < f.opts.BatchSize {
			return nil
		}
	}
}

// absorb applies changes (in id order) and records the ids skipped over.
// It reports whether more ids went missing than it may remember.
func (f *Follower) absorb(changes []core.Change, now time.Time, apply bool) (overflow bool) {
	for _, c := range changes {
		if apply {
			for _, a := range f.appliers {
				a.Apply(c)
			}
		}
		delete(f.missing, c.ID)
		if c.ID <= f.maxSeen {
			continue
		}
		if c.ID-f.maxSeen-1 > int64(f.opts.MaxMissing-len(f.missing)) {
			overflow = true
		} else {
			for id := f.maxSeen + 1; id < c.ID; id++ {
				f.missing[id] = now
			}
		}
		f.maxSeen = c.ID
	}
	return overflow
}
