package jwt

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/identityd/identityd/ports"
)

// SecretWatch bounds what a retired secret verifies. Every instance marks
// the secrets it signs or hashes with (JWT_SECRET's kid, JWT_REFRESH_SECRET's
// key id) in a store all instances share, at start and every MarkEvery; and
// reads, every ReadEvery, the latest mark of the secret it holds as
// previous. A token under the previous secret is then accepted only when it
// is dated at or before Until: the last moment any instance may have
// signed with that secret. After the last instance switched, the previous
// secret verifies what it signed before, and nothing minted later, even
// with a short exp (issue 24 §8).
//
// Until is the later of the watch's start (this instance signed with the
// previous secret at most until then) and the last mark plus
// MarkEvery + ReadEvery + the clock skew allowed between instances: an
// instance that signs at t has marked at or after t - MarkEvery, and this
// instance read the store at or after now - ReadEvery. On an in-memory
// server no other instance marks, and Until is the start.
type SecretWatch struct {
	store    ports.SecretUseStore
	clock    ports.Clock
	log      *slog.Logger
	mark     []string
	previous string
	started  time.Time
	last     atomic.Int64 // unix nanoseconds of the previous secret's last mark; 0: none
}

// Intervals of SecretWatch.
const (
	// MarkEvery is how often an instance marks its current secrets.
	MarkEvery = 30 * time.Second
	// ReadEvery is how often an instance reads the previous secret's
	// last use.
	ReadEvery = 10 * time.Second
	// secretSkew is the clock difference allowed between instances.
	secretSkew = 30 * time.Second
)

// NewSecretWatch returns a watch that marks the secrets named by the key ids
// in mark and follows the secret named previous (empty: none).
func NewSecretWatch(store ports.SecretUseStore, clock ports.Clock, log *slog.Logger, mark []string, previous string) *SecretWatch {
	return &SecretWatch{store: store, clock: clock, log: log, mark: mark, previous: previous, started: clock.Now()}
}

// Until is the latest iat a token under the previous secret may carry.
func (w *SecretWatch) Until() time.Time {
	until := w.started
	if n := w.last.Load(); n != 0 {
		if t := time.Unix(0, n).Add(MarkEvery + ReadEvery + secretSkew); t.After(until) {
			until = t
		}
	}
	return until
}

// Mark records the current secrets as in use now.
func (w *SecretWatch) Mark(ctx context.Context) error {
	now := w.clock.Now()
	for _, kid := range w.mark {
		if err := w.store.MarkSecretUse(ctx, kid, now); err != nil {
			return err
		}
	}
	return nil
}

// Read learns the previous secret's last use.
func (w *SecretWatch) Read(ctx context.Context) error {
	if w.previous == "" {
		return nil
	}
	at, err := w.store.SecretLastUsed(ctx, w.previous)
	if err != nil {
		return err
	}
	if !at.IsZero() {
		w.last.Store(at.UnixNano())
	}
	return nil
}

// Run marks and reads at their intervals until ctx ends; errors are
// logged, and the last known bound stays.
func (w *SecretWatch) Run(ctx context.Context) {
	mark := time.NewTicker(MarkEvery)
	defer mark.Stop()
	read := time.NewTicker(ReadEvery)
	defer read.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-mark.C:
			err = w.Mark(ctx)
		case <-read.C:
			err = w.Read(ctx)
		}
		if err != nil && ctx.Err() == nil && w.log != nil {
			w.log.Warn("secret use", "error", err.Error())
		}
	}
}
