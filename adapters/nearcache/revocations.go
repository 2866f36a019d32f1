package nearcache

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Revocations is a ports.RevocationCache held in process: the ids of the
// revoked access tokens that have not expired, loaded from the
// access-token repository and kept current by a Follower. IsRevoked is a
// map lookup.
type Revocations struct {
	tokens   ports.AccessTokenRepository
	notifier ports.ChangeNotifier
	clock    ports.Clock

	mu    sync.RWMutex
	until map[string]time.Time // jti -> exp
	swept int                  // size after the last sweep of expired ids
}

var (
	_ ports.RevocationCache = (*Revocations)(nil)
	_ Applier               = (*Revocations)(nil)
)

// NewRevocations returns an empty set; a Follower's Start loads it.
// notifier may be nil.
func NewRevocations(tokens ports.AccessTokenRepository, notifier ports.ChangeNotifier, clock ports.Clock) *Revocations {
	return &Revocations{tokens: tokens, notifier: notifier, clock: clock, until: map[string]time.Time{}}
}

// RevokeJTI implements ports.RevocationCache. The caller has recorded the
// revocation in the repository, which wrote the change log; this instance
// sees it at once, and the others are told to read the log now. Telling
// them cannot fail the call: they read the log within a poll anyway.
func (r *Revocations) RevokeJTI(_ context.Context, jti string, until time.Time) error {
	r.add(jti, until)
	if r.notifier != nil {
		r.notifier.Notify()
	}
	return nil
}

// IsRevoked implements ports.RevocationCache.
func (r *Revocations) IsRevoked(_ context.Context, jti string) (bool, error) {
	r.mu.RLock()
	u, ok := r.until[jti]
	r.mu.RUnlock()
	return ok && r.clock.Now().Before(u), nil
}

// Apply implements Applier.
func (r *Revocations) Apply(c core.Change) {
	if c.Kind == core.ChangeTokenRevoked {
		r.add(c.Key, c.Until)
	}
}

// Reset implements Applier: it replaces the set with the repository's
// list of revoked, unexpired tokens.
func (r *Revocations) Reset(ctx context.Context) error {
	now := r.clock.Now()
	list, err := r.tokens.ListRevokedAccessTokens(ctx, now)
	if err != nil {
		return fmt.Errorf("load revocations: %w", err)
	}
	fresh := make(map[string]time.Time, len(list))
	for _, t := range list {
		fresh[t.JTI] = t.ExpiresAt
	}
	r.mu.Lock()
	// Keep what was added meanwhile: a revocation is never undone.
	for jti, u := range r.until {
		if _, ok := fresh[jti]; !ok && now.Before(u) {
			fresh[jti] = u
		}
	}
	r.until, r.swept = fresh, len(fresh)
	r.mu.Unlock()
	return nil
}

// Len is how many revoked ids are held.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.until)
}

func (r *Revocations) add(jti string, until time.Time) {
	now := r.clock.Now()
	if !now.Before(until) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if old, ok := r.until[jti]; ok && !old.Before(until) {
		return
	}
	r.until[jti] = until
	if len(r.until) > 2*r.swept+1024 {
		for k, u := range r.until {
			if !now.Before(u) {
				delete(r.until, k)
			}
		}
		r.swept = len(r.until)
	}
}
