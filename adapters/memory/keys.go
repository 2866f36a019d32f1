package memory

import (
	"context"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// SigningKeys keeps generated signing keys for the life of the process.
type SigningKeys struct {
	mu   sync.Mutex
	keys []core.SigningKey // oldest first
}

var _ ports.SigningKeyStore = (*SigningKeys)(nil)

// NewSigningKeys returns an empty key store.
func NewSigningKeys() *SigningKeys { return &SigningKeys{} }

func copyKey(k core.SigningKey) core.SigningKey {
	k.PEM = append([]byte(nil), k.PEM...)
	return k
}

// SigningKeys implements ports.SigningKeyStore.
func (s *SigningKeys) SigningKeys(_ context.Context, since time.Time) ([]core.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []core.SigningKey
	for _, k := range s.keys {
		if k.Active() || k.RetiredAt.After(since) {
			out = append(out, copyKey(k))
		}
	}
	return out, nil
}

// AddSigningKey implements ports.SigningKeyStore.
func (s *SigningKeys) AddSigningKey(_ context.Context, k core.SigningKey) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, have := range s.keys {
		if have.Alg == k.Alg && have.Active() {
			return false, nil
		}
	}
	k.RetiredAt = time.Time{}
	s.keys = append(s.keys, copyKey(k))
	return true, nil
}

// RetireSigningKeys implements ports.SigningKeyStore.
func (s *SigningKeys) RetireSigningKeys(_ context.Context, createdBefore, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for i, k := range s.keys {
		if k.Active() && !k.CreatedAt.After(createdBefore) {
			s.keys[i].RetiredAt = at
			n++
		}
	}
	return n, nil
}

// SecretUses records secret uses for the life of the process.
type SecretUses struct {
	mu   sync.Mutex
	last map[string]time.Time
}

var _ ports.SecretUseStore = (*SecretUses)(nil)

// NewSecretUses returns an empty record.
func NewSecretUses() *SecretUses { return &SecretUses{last: map[string]time.Time{}} }

// MarkSecretUse implements ports.SecretUseStore.
func (s *SecretUses) MarkSecretUse(_ context.Context, kid string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at.After(s.last[kid]) {
		s.last[kid] = at
	}
	return nil
}

// SecretLastUsed implements ports.SecretUseStore.
func (s *SecretUses) SecretLastUsed(_ context.Context, kid string) (time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[kid], nil
}
