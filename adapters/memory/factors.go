package memory

import (
	"context"
	"fmt"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.FactorRepository = (*Store)(nil)

func cloneFactors(f core.Factors) core.Factors {
	f.TOTPSealed = append([]byte(nil), f.TOTPSealed...)
	f.RecoveryCodes = clone(f.RecoveryCodes)
	return f
}

// GetFactors implements ports.FactorRepository.
func (s *Store) GetFactors(_ context.Context, userID string) (core.Factors, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	f, ok := s.factors[userID]
	if !ok {
		return core.Factors{}, fmt.Errorf("factors of %q: %w", userID, core.ErrNotFound)
	}
	return cloneFactors(f), nil
}

// UpdateFactors implements ports.FactorRepository under the store's lock.
func (s *Store) UpdateFactors(_ context.Context, userID string, fn func(core.Factors) (core.Factors, error)) (core.Factors, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return core.Factors{}, fmt.Errorf("user %q: %w", userID, core.ErrNotFound)
	}
	old, ok := s.factors[userID]
	if !ok {
		old = core.Factors{UserID: userID}
	}
	f, err := fn(cloneFactors(old))
	if err != nil {
		return old, err
	}
	f.UserID = userID
	if f.Empty() {
		delete(s.factors, userID)
		return core.Factors{UserID: userID}, nil
	}
	s.factors[userID] = cloneFactors(f)
	return cloneFactors(f), nil
}
