package nearcache

import (
	"context"
	"fmt"
	"sync"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// IdentityProviders is a ports.IdentityProviderRepository that keeps the
// whole list of providers in process (there are few, and the sign-in page
// shows them all). A Follower drops the list when the change log says any
// provider changed; this instance's own changes drop it at once and tell
// the other instances to read the log. Returned values are copies.
type IdentityProviders struct {
	repo     ports.IdentityProviderRepository
	notifier ports.ChangeNotifier

	mu     sync.RWMutex
	list   []core.IdentityProvider
	loaded bool
	epoch  uint64
}

var (
	_ ports.IdentityProviderRepository = (*IdentityProviders)(nil)
	_ Applier                          = (*IdentityProviders)(nil)
)

// NewIdentityProviders wraps repo; notifier may be nil.
func NewIdentityProviders(repo ports.IdentityProviderRepository, notifier ports.ChangeNotifier) *IdentityProviders {
	return &IdentityProviders{repo: repo, notifier: notifier}
}

func copyProvider(p core.IdentityProvider) core.IdentityProvider {
	p.Scopes = append([]string(nil), p.Scopes...)
	p.ClientSecretSealed = append([]byte(nil), p.ClientSecretSealed...)
	return p
}

// all returns the cached list, reading it through when it is not loaded.
func (c *IdentityProviders) all(ctx context.Context) ([]core.IdentityProvider, error) {
	c.mu.RLock()
	list, loaded, epoch := c.list, c.loaded, c.epoch
	c.mu.RUnlock()
	if loaded {
		return list, nil
	}
	list, err := c.repo.ListIdentityProviders(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.epoch == epoch {
		c.list, c.loaded = list, true
	}
	c.mu.Unlock()
	return list, nil
}

// ListIdentityProviders implements ports.IdentityProviderRepository.
func (c *IdentityProviders) ListIdentityProviders(ctx context.Context) ([]core.IdentityProvider, error) {
	list, err := c.all(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]core.IdentityProvider, len(list))
	for i, p := range list {
		out[i] = copyProvider(p)
	}
	return out, nil
}

// GetIdentityProvider implements ports.IdentityProviderRepository.
func (c *IdentityProviders) GetIdentityProvider(ctx context.Context, id string) (core.IdentityProvider, error) {
	list, err := c.all(ctx)
	if err != nil {
		return core.IdentityProvider{}, err
	}
	for _, p := range list {
		if p.ID == id {
			return copyProvider(p), nil
		}
	}
	return core.IdentityProvider{}, fmt.Errorf("identity provider %q: %w", id, core.ErrNotFound)
}

// CreateIdentityProvider implements ports.IdentityProviderRepository.
func (c *IdentityProviders) CreateIdentityProvider(ctx context.Context, p core.IdentityProvider) error {
	err := c.repo.CreateIdentityProvider(ctx, p)
	c.changed()
	return err
}

// UpdateIdentityProvider implements ports.IdentityProviderRepository.
func (c *IdentityProviders) UpdateIdentityProvider(ctx context.Context, id string, fn func(core.IdentityProvider) (core.IdentityProvider, error)) (core.IdentityProvider, error) {
	p, err := c.repo.UpdateIdentityProvider(ctx, id, fn)
	c.changed()
	return p, err
}

// DeleteIdentityProvider implements ports.IdentityProviderRepository.
func (c *IdentityProviders) DeleteIdentityProvider(ctx context.Context, id string) error {
	err := c.repo.DeleteIdentityProvider(ctx, id)
	c.changed()
	return err
}

// changed drops the list after a write, whatever its outcome.
func (c *IdentityProviders) changed() {
	c.drop()
	if c.notifier != nil {
		c.notifier.Notify()
	}
}

// Apply implements Applier.
func (c *IdentityProviders) Apply(ch core.Change) {
	if ch.Kind == core.ChangeIdentityProvider {
		c.drop()
	}
}

// Reset implements Applier: the list is read again when next needed.
func (c *IdentityProviders) Reset(context.Context) error {
	c.drop()
	return nil
}

func (c *IdentityProviders) drop() {
	c.mu.Lock()
	c.list, c.loaded = nil, false
	c.epoch++
	c.mu.Unlock()
}
