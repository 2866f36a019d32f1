package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// IdentityProviders keeps upstream identity providers and the links of
// people to them in memory. It does not know the people: a link whose
// person was deleted is found, and the caller (which looks the person up)
// treats it as gone.
type IdentityProviders struct {
	mu        sync.RWMutex
	providers map[string]core.IdentityProvider
	links     map[[2]string]core.IdentityLink // (issuer, subject) -> link
}

var (
	_ ports.IdentityProviderRepository = (*IdentityProviders)(nil)
	_ ports.IdentityLinkRepository     = (*IdentityProviders)(nil)
)

// NewIdentityProviders returns an empty repository.
func NewIdentityProviders() *IdentityProviders {
	return &IdentityProviders{providers: map[string]core.IdentityProvider{}, links: map[[2]string]core.IdentityLink{}}
}

func cloneProvider(p core.IdentityProvider) core.IdentityProvider {
	p.Scopes = clone(p.Scopes)
	p.ClientSecretSealed = append([]byte(nil), p.ClientSecretSealed...)
	return p
}

// CreateIdentityProvider implements ports.IdentityProviderRepository.
func (s *IdentityProviders) CreateIdentityProvider(_ context.Context, p core.IdentityProvider) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.providers[p.ID]; ok {
		return fmt.Errorf("identity provider %q: %w", p.ID, core.ErrAlreadyExists)
	}
	s.providers[p.ID] = cloneProvider(p)
	return nil
}

// GetIdentityProvider implements ports.IdentityProviderRepository.
func (s *IdentityProviders) GetIdentityProvider(_ context.Context, id string) (core.IdentityProvider, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, ok := s.providers[id]
	if !ok {
		return core.IdentityProvider{}, fmt.Errorf("identity provider %q: %w", id, core.ErrNotFound)
	}
	return cloneProvider(p), nil
}

// ListIdentityProviders implements ports.IdentityProviderRepository.
func (s *IdentityProviders) ListIdentityProviders(context.Context) ([]core.IdentityProvider, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]core.IdentityProvider, 0, len(s.providers))
	for _, p := range s.providers {
		out = append(out, cloneProvider(p))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// UpdateIdentityProvider implements ports.IdentityProviderRepository.
func (s *IdentityProviders) UpdateIdentityProvider(_ context.Context, id string, fn func(core.IdentityProvider) (core.IdentityProvider, error)) (core.IdentityProvider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.providers[id]
	if !ok {
		return core.IdentityProvider{}, fmt.Errorf("identity provider %q: %w", id, core.ErrNotFound)
	}
	next, err := fn(cloneProvider(p))
	if err != nil {
		return cloneProvider(p), err
	}
	next.ID, next.CreatedAt = p.ID, p.CreatedAt
	s.providers[id] = cloneProvider(next)
	return cloneProvider(next), nil
}

// DeleteIdentityProvider implements ports.IdentityProviderRepository.
func (s *IdentityProviders) DeleteIdentityProvider(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.providers[id]; !ok {
		return fmt.Errorf("identity provider %q: %w", id, core.ErrNotFound)
	}
	delete(s.providers, id)
	for k, l := range s.links {
		if l.ProviderID == id {
			delete(s.links, k)
		}
	}
	return nil
}

// CreateIdentityLink implements ports.IdentityLinkRepository.
func (s *IdentityProviders) CreateIdentityLink(_ context.Context, l core.IdentityLink) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.providers[l.ProviderID]; !ok {
		return fmt.Errorf("identity link to %q: %w", l.ProviderID, core.ErrConflict)
	}
	key := [2]string{l.Issuer, l.Subject}
	if _, ok := s.links[key]; ok {
		return fmt.Errorf("identity link: %w", core.ErrAlreadyExists)
	}
	for _, o := range s.links {
		if o.UserID == l.UserID && o.ProviderID == l.ProviderID {
			return fmt.Errorf("identity link: %w", core.ErrAlreadyExists)
		}
	}
	s.links[key] = l
	return nil
}

// GetIdentityLink implements ports.IdentityLinkRepository.
func (s *IdentityProviders) GetIdentityLink(_ context.Context, issuer, subject string) (core.IdentityLink, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.links[[2]string{issuer, subject}]
	if !ok {
		return core.IdentityLink{}, fmt.Errorf("identity link: %w", core.ErrNotFound)
	}
	return l, nil
}

// ListIdentityLinks implements ports.IdentityLinkRepository.
func (s *IdentityProviders) ListIdentityLinks(_ context.Context, userID string) ([]core.IdentityLink, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.IdentityLink
	for _, l := range s.links {
		if l.UserID == userID {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ProviderID < out[j].ProviderID })
	return out, nil
}

// DeleteIdentityLink implements ports.IdentityLinkRepository.
func (s *IdentityProviders) DeleteIdentityLink(_ context.Context, userID, providerID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, l := range s.links {
		if l.UserID == userID && l.ProviderID == providerID {
			delete(s.links, k)
			return nil
		}
	}
	return fmt.Errorf("identity link: %w", core.ErrNotFound)
}
