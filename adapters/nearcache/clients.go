package nearcache

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// DefaultMaxClients caps the clients one instance keeps in memory.
const DefaultMaxClients = 200_000

// Clients is a ports.ClientRepository that keeps the clients it has read
// in process, so client authentication needs no network round trip. A
// Follower drops an entry when the change log says the client changed
// (secret, scopes, anything, or deleted); this instance's own changes drop
// it at once and tell the other instances to read the log.
//
// The clients it returns share their slices with the cache: callers treat
// them as values and never write into RedirectURIs, GrantTypes or Scopes.
type Clients struct {
	repo     ports.ClientRepository
	notifier ports.ChangeNotifier
	max      int

	mu      sync.RWMutex
	entries map[string]core.Client
	// epoch grows with every drop: a read that began before a drop must
	// not put what it read into the cache.
	epoch uint64

	hits, misses atomic.Uint64
}

var (
	_ ports.ClientRepository = (*Clients)(nil)
	_ Applier                = (*Clients)(nil)
)

// NewClients wraps repo; notifier may be nil, max <= 0 means
// DefaultMaxClients.
func NewClients(repo ports.ClientRepository, notifier ports.ChangeNotifier, max int) *Clients {
	if max <= 0 {
		max = DefaultMaxClients
	}
	return &Clients{repo: repo, notifier: notifier, max: max, entries: map[string]core.Client{}}
}

// GetClient implements ports.ClientRepository: from memory, or read
// through to the repository.
func (c *Clients) GetClient(ctx context.Context, id string) (core.Client, error) {
	c.mu.RLock()
	cl, ok := c.entries[id]
	epoch := c.epoch
	c.mu.RUnlock()
	if ok {
		c.hits.Add(1)
		return cl, nil
	}
	c.misses.Add(1)
	cl, err := c.repo.GetClient(ctx, id)
	if err != nil {
		return core.Client{}, err
	}
	cl.RedirectURIs, cl.GrantTypes, cl.Scopes = slices.Clip(cl.RedirectURIs), slices.Clip(cl.GrantTypes), slices.Clip(cl.Scopes)
	c.mu.Lock()
	if c.epoch == epoch {
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
		c.entries[id] = cl
	}
	c.mu.Unlock()
	return cl, nil
}

// Stats returns how many GetClient calls were answered from memory (hits)
// and read through to the repository (misses) since NewClients.
func (c *Clients) Stats() (hits, misses uint64) {
	return c.hits.Load(), c.misses.Load()
}

// CreateClient implements ports.ClientRepository.
func (c *Clients) CreateClient(ctx context.Context, cl core.Client) error {
	err := c.repo.CreateClient(ctx, cl)
	c.changed(cl.ID)
	return err
}

// ListClients implements ports.ClientRepository; lists are not cached.
func (c *Clients) ListClients(ctx context.Context, p core.Page) ([]core.Client, error) {
	return c.repo.ListClients(ctx, p)
}

// UpdateClient implements ports.ClientRepository.
func (c *Clients) UpdateClient(ctx context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error) {
	cl, err := c.repo.UpdateClient(ctx, id, fn)
	c.changed(id)
	return cl, err
}

// DeleteClient implements ports.ClientRepository.
func (c *Clients) DeleteClient(ctx context.Context, id string) error {
	err := c.repo.DeleteClient(ctx, id)
	c.changed(id)
	return err
}

// changed drops id after a write, whatever its outcome: a write that
// failed on the way back may still have committed.
func (c *Clients) changed(id string) {
	c.drop(id)
	if c.notifier != nil {
		c.notifier.Notify()
	}
}

// Apply implements Applier.
func (c *Clients) Apply(ch core.Change) {
	if ch.Kind == core.ChangeClient {
		c.drop(ch.Key)
	}
}

// Reset implements Applier: it empties the cache.
func (c *Clients) Reset(context.Context) error {
	c.mu.Lock()
	clear(c.entries)
	c.epoch++
	c.mu.Unlock()
	return nil
}

func (c *Clients) drop(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.epoch++
	c.mu.Unlock()
}
