package memory

import (
	"context"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Clock is the clock the in-memory caches read expiry against.
type Clock = ports.Clock

// RevocationCache keeps revoked jtis until their exp.
type RevocationCache struct {
	clock Clock
	mu    sync.RWMutex
	until map[string]time.Time
}

var _ ports.RevocationCache = (*RevocationCache)(nil)

// NewRevocationCache returns an empty revocation cache.
func NewRevocationCache(clock Clock) *RevocationCache {
	return &RevocationCache{clock: clock, until: map[string]time.Time{}}
}

// RevokeJTI implements ports.RevocationCache.
func (c *RevocationCache) RevokeJTI(_ context.Context, jti string, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.clock.Now()
	if len(c.until) > 1024 && len(c.until)%1024 == 0 {
		for k, u := range c.until {
			if !now.Before(u) {
				delete(c.until, k)
			}
		}
	}
	if now.Before(until) {
		c.until[jti] = until
	}
	return nil
}

// IsRevoked implements ports.RevocationCache.
func (c *RevocationCache) IsRevoked(_ context.Context, jti string) (bool, error) {
	c.mu.RLock()
	u, ok := c.until[jti]
	c.mu.RUnlock()
	return ok && c.clock.Now().Before(u), nil
}

// RateLimitStore counts requests in fixed windows per key.
type RateLimitStore struct {
	mu      sync.Mutex
	windows map[string]window
}

type window struct {
	start time.Time
	end   time.Time
	count int
}

var _ ports.RateLimitStore = (*RateLimitStore)(nil)

// NewRateLimitStore returns an empty rate-limit store.
func NewRateLimitStore() *RateLimitStore {
	return &RateLimitStore{windows: map[string]window{}}
}

// Allow implements ports.RateLimitStore.
func (s *RateLimitStore) Allow(_ context.Context, key string, l core.RateLimit, now time.Time) (core.RateLimitResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.windows[key]
	if !ok || !now.Before(w.end) {
		if len(s.windows) > 10000 {
			for k, v := range s.windows {
				if !now.Before(v.end) {
					delete(s.windows, k)
				}
			}
		}
		w = window{start: now, end: now.Add(l.Window)}
	}
	res := core.RateLimitResult{Limit: l.Limit, Reset: w.end.Sub(now)}
	if w.count >= l.Limit {
		return res, nil
	}
	w.count++
	s.windows[key] = w
	res.Allowed = true
	res.Remaining = l.Limit - w.count
	return res, nil
}
