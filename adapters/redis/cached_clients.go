package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// DefaultClientTTL is how long CachedClients keeps a client when it is
// given no TTL.
const DefaultClientTTL = 3 * time.Minute

// CachedClients is a ports.ClientRepository that reads clients through a
// ports.ClientCache and drops the cached entry after every change commits,
// so every instance sees a rotated secret or a deleted client at once.
//
// The cache is an optimisation: when it fails on a read, the repository
// answers. When it fails to drop an entry after a change, the change stays
// committed and the error (wrapping core.ErrUnavailable) is returned with
// the result, because other instances may keep the old entry until its TTL
// ends.
type CachedClients struct {
	repo  ports.ClientRepository
	cache ports.ClientCache
	ttl   time.Duration
}

var _ ports.ClientRepository = (*CachedClients)(nil)

// NewCachedClients wraps repo with cache; ttl bounds how long an entry
// lives (DefaultClientTTL when 0).
func NewCachedClients(repo ports.ClientRepository, cache ports.ClientCache, ttl time.Duration) *CachedClients {
	if ttl <= 0 {
		ttl = DefaultClientTTL
	}
	return &CachedClients{repo: repo, cache: cache, ttl: ttl}
}

// CreateClient implements ports.ClientRepository.
func (c *CachedClients) CreateClient(ctx context.Context, cl core.Client) error {
	return c.repo.CreateClient(ctx, cl)
}

// GetClient implements ports.ClientRepository: a cache hit answers; a miss
// reads the repository and fills the cache.
func (c *CachedClients) GetClient(ctx context.Context, id string) (core.Client, error) {
	cl, cacheErr := c.cache.GetCachedClient(ctx, id)
	if cacheErr == nil {
		return cl, nil
	}
	cl, err := c.repo.GetClient(ctx, id)
	if err != nil {
		return core.Client{}, err
	}
	if !errors.Is(cacheErr, core.ErrUnavailable) {
		// Best effort: a cache that cannot store only costs the next
		// read. A cache that just failed to answer is not asked again.
		_ = c.cache.CacheClient(ctx, cl, c.ttl)
	}
	return cl, nil
}

// ListClients implements ports.ClientRepository; lists are not cached.
func (c *CachedClients) ListClients(ctx context.Context, p core.Page) ([]core.Client, error) {
	return c.repo.ListClients(ctx, p)
}

// UpdateClient implements ports.ClientRepository.
func (c *CachedClients) UpdateClient(ctx context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error) {
	cl, err := c.repo.UpdateClient(ctx, id, fn)
	if err != nil {
		return cl, err
	}
	return cl, c.invalidate(ctx, id)
}

// DeleteClient implements ports.ClientRepository.
func (c *CachedClients) DeleteClient(ctx context.Context, id string) error {
	if err := c.repo.DeleteClient(ctx, id); err != nil {
		return err
	}
	return c.invalidate(ctx, id)
}

func (c *CachedClients) invalidate(ctx context.Context, id string) error {
	err := c.cache.InvalidateClient(ctx, id)
	if err == nil {
		return nil
	}
	if errors.Is(err, core.ErrUnavailable) {
		return fmt.Errorf("client %q changed but its cache entry could not be dropped: %w", id, err)
	}
	return fmt.Errorf("client %q changed but its cache entry could not be dropped: %w: %w", id, core.ErrUnavailable, err)
}
