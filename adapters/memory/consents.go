package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.ConsentRepository = (*Store)(nil)

type consentKey struct{ user, client string }

func cloneConsent(c core.Consent) core.Consent {
	c.Scopes = slices.Clone(c.Scopes)
	if c.Scopes == nil {
		c.Scopes = []string{}
	}
	return c
}

// GetConsent implements ports.ConsentRepository.
func (s *Store) GetConsent(_ context.Context, userID, clientID string) (core.Consent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.consents[consentKey{userID, clientID}]
	if !ok {
		return core.Consent{}, fmt.Errorf("consent of %q for %q: %w", userID, clientID, core.ErrNotFound)
	}
	return cloneConsent(c), nil
}

// UpdateConsent implements ports.ConsentRepository.
func (s *Store) UpdateConsent(_ context.Context, userID, clientID string, fn func(core.Consent) (core.Consent, error)) (core.Consent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return core.Consent{}, fmt.Errorf("user %q: %w", userID, core.ErrNotFound)
	}
	if _, ok := s.clients[clientID]; !ok {
		return core.Consent{}, fmt.Errorf("client %q: %w", clientID, core.ErrNotFound)
	}
	k := consentKey{userID, clientID}
	old, ok := s.consents[k]
	if !ok {
		old = core.Consent{UserID: userID, ClientID: clientID}
	}
	next, err := fn(cloneConsent(old))
	if err != nil {
		return core.Consent{}, err
	}
	next.UserID, next.ClientID = userID, clientID
	if s.consents == nil {
		s.consents = map[consentKey]core.Consent{}
	}
	s.consents[k] = cloneConsent(next)
	return cloneConsent(next), nil
}

// ListConsents implements ports.ConsentRepository.
func (s *Store) ListConsents(_ context.Context, userID string) ([]core.Consent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.Consent
	for k, c := range s.consents {
		if k.user == userID {
			out = append(out, cloneConsent(c))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ClientID < out[j].ClientID })
	return out, nil
}

// DeleteConsent implements ports.ConsentRepository.
func (s *Store) DeleteConsent(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := consentKey{userID, clientID}
	if _, ok := s.consents[k]; !ok {
		return fmt.Errorf("consent of %q for %q: %w", userID, clientID, core.ErrNotFound)
	}
	delete(s.consents, k)
	return nil
}

// forgetConsents deletes the consents of a deleted person or client; the
// caller holds s.mu.
func (s *Store) forgetConsents(userID, clientID string) {
	for k := range s.consents {
		if (userID != "" && k.user == userID) || (clientID != "" && k.client == clientID) {
			delete(s.consents, k)
		}
	}
}
