package memory

import (
	"context"
	"fmt"
	"sync"

	"github.com/identityd/identityd/ports"
)

// SigningKeys keeps generated signing keys for the life of the process.
type SigningKeys struct {
	mu   sync.Mutex
	keys map[string][]byte
}

var _ ports.SigningKeyStore = (*SigningKeys)(nil)

// NewSigningKeys returns an empty key store.
func NewSigningKeys() *SigningKeys { return &SigningKeys{keys: map[string][]byte{}} }

// SigningKey implements ports.SigningKeyStore. generate runs without the
// lock held; the first key stored wins.
func (s *SigningKeys) SigningKey(_ context.Context, alg string, generate func() ([]byte, error)) ([]byte, error) {
	if key, ok := s.get(alg); ok {
		return key, nil
	}
	key, err := generate()
	if err != nil {
		return nil, fmt.Errorf("generate %s signing key: %w", alg, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[alg]; !ok {
		s.keys[alg] = append([]byte(nil), key...)
	}
	return append([]byte(nil), s.keys[alg]...), nil
}

func (s *SigningKeys) get(alg string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.keys[alg]
	return append([]byte(nil), key...), ok
}
