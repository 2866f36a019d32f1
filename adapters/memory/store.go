package memory

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Store implements every repository port in memory. Entities are copied in
// and out, so callers never share slices with the store.
type Store struct {
	mu      sync.RWMutex
	clients map[string]core.Client
	scopes  map[string]core.Scope
	users   map[string]core.User
	emails  map[string]string // email -> user id
	refresh map[string]core.RefreshToken
	codes   map[string]core.AuthCode
	resets  map[string]core.PasswordReset
	devices map[string]map[string]core.LoginDevice // user id -> key -> device
	factors map[string]core.Factors                // user id -> second factors
	audit   auditLog
	// consents are people's remembered consents (consents.go).
	consents map[consentKey]core.Consent

	// Access tokens are written on every issuance; they get their own lock
	// so the token endpoint does not contend with management reads.
	atMu     sync.RWMutex
	tokens   tokenTable
	interned *interner
}

var (
	_ ports.ClientRepository        = (*Store)(nil)
	_ ports.ClientSecretKeys        = (*Store)(nil)
	_ ports.ScopeRepository         = (*Store)(nil)
	_ ports.UserRepository          = (*Store)(nil)
	_ ports.AccessTokenRepository   = (*Store)(nil)
	_ ports.RefreshTokenRepository  = (*Store)(nil)
	_ ports.AuthCodeRepository      = (*Store)(nil)
	_ ports.PasswordResetRepository = (*Store)(nil)
	_ ports.LoginDeviceRepository   = (*Store)(nil)
	_ ports.AuditLog                = (*Store)(nil)
	_ ports.Purger                  = (*Store)(nil)
	_ ports.Pinger                  = (*Store)(nil)
)

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{
		clients:  map[string]core.Client{},
		scopes:   map[string]core.Scope{},
		users:    map[string]core.User{},
		emails:   map[string]string{},
		refresh:  map[string]core.RefreshToken{},
		codes:    map[string]core.AuthCode{},
		resets:   map[string]core.PasswordReset{},
		devices:  map[string]map[string]core.LoginDevice{},
		factors:  map[string]core.Factors{},
		tokens:   newTokenTable(),
		interned: newInterner(),
	}
}

// Ping always succeeds.
func (s *Store) Ping(context.Context) error { return nil }

func clone(v []string) []string {
	if v == nil {
		return nil
	}
	return append([]string(nil), v...)
}

func cloneClient(c core.Client) core.Client {
	c.RedirectURIs, c.GrantTypes, c.Scopes = clone(c.RedirectURIs), clone(c.GrantTypes), clone(c.Scopes)
	return c
}

// page returns the sorted keys of m after p.After, at most p.Limit of them.
func page[V any](m map[string]V, p core.Page) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k > p.After {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if p.Limit > 0 && len(keys) > p.Limit {
		keys = keys[:p.Limit]
	}
	return keys
}

// CreateClient implements ports.ClientRepository.
func (s *Store) CreateClient(_ context.Context, c core.Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return fmt.Errorf("client %q: %w", c.ID, core.ErrAlreadyExists)
	}
	s.clients[c.ID] = cloneClient(c)
	return nil
}

// CountClientSecretsNotUnder implements ports.ClientSecretKeys.
func (s *Store) CountClientSecretsNotUnder(_ context.Context, keyID string) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.clients {
		if c.SecretHash != "" && c.SecretHashKey != keyID ||
			c.PreviousSecretHash != "" && c.PreviousSecretHashKey != keyID && time.Now().Before(c.PreviousSecretExpiresAt) {
			n++
		}
	}
	return n, nil
}

// GetClient implements ports.ClientRepository.
func (s *Store) GetClient(_ context.Context, id string) (core.Client, error) {
	s.mu.RLock()
	c, ok := s.clients[id]
	s.mu.RUnlock()
	if !ok {
		return core.Client{}, fmt.Errorf("client %q: %w", id, core.ErrNotFound)
	}
	return cloneClient(c), nil
}

// ListClients implements ports.ClientRepository.
func (s *Store) ListClients(_ context.Context, p core.Page) ([]core.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := page(s.clients, p)
	out := make([]core.Client, len(keys))
	for i, k := range keys {
		out[i] = cloneClient(s.clients[k])
	}
	return out, nil
}

// UpdateClient implements ports.ClientRepository.
func (s *Store) UpdateClient(_ context.Context, id string, fn func(core.Client) (core.Client, error)) (core.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.clients[id]
	if !ok {
		return core.Client{}, fmt.Errorf("client %q: %w", id, core.ErrNotFound)
	}
	c, err := fn(cloneClient(old))
	if err != nil {
		return core.Client{}, err
	}
	c.ID = id
	s.clients[id] = cloneClient(c)
	return cloneClient(c), nil
}

// DeleteClient implements ports.ClientRepository.
func (s *Store) DeleteClient(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return fmt.Errorf("client %q: %w", id, core.ErrNotFound)
	}
	delete(s.clients, id)
	s.forgetConsents("", id)
	for k, t := range s.refresh {
		if t.ClientID == id {
			delete(s.refresh, k)
		}
	}
	for k, c := range s.codes {
		if c.ClientID == id {
			delete(s.codes, k)
		}
	}
	return nil
}

func (s *Store) scopeInUse(name string) bool {
	for _, c := range s.clients {
		for _, n := range c.Scopes {
			if n == name {
				return true
			}
		}
	}
	return false
}

func (s *Store) scopeByName(name string) (core.Scope, bool) {
	for _, sc := range s.scopes {
		if sc.Name == name {
			return sc, true
		}
	}
	return core.Scope{}, false
}

// CreateScope implements ports.ScopeRepository.
func (s *Store) CreateScope(_ context.Context, sc core.Scope) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.scopes[sc.ID]; ok {
		return fmt.Errorf("scope %q: %w", sc.ID, core.ErrAlreadyExists)
	}
	if _, ok := s.scopeByName(sc.Name); ok {
		return fmt.Errorf("scope name %q: %w", sc.Name, core.ErrAlreadyExists)
	}
	s.scopes[sc.ID] = sc
	return nil
}

// GetScope implements ports.ScopeRepository.
func (s *Store) GetScope(_ context.Context, id string) (core.Scope, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sc, ok := s.scopes[id]
	if !ok {
		return core.Scope{}, fmt.Errorf("scope %q: %w", id, core.ErrNotFound)
	}
	return sc, nil
}

// FindScopes implements ports.ScopeRepository.
func (s *Store) FindScopes(_ context.Context, names []string) ([]core.Scope, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.Scope
	for _, n := range names {
		if sc, ok := s.scopeByName(n); ok {
			out = append(out, sc)
		}
	}
	return out, nil
}

// ListScopes implements ports.ScopeRepository.
func (s *Store) ListScopes(_ context.Context, p core.Page) ([]core.Scope, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	keys := page(s.scopes, p)
	out := make([]core.Scope, len(keys))
	for i, k := range keys {
		out[i] = s.scopes[k]
	}
	return out, nil
}

// UpdateScope implements ports.ScopeRepository.
func (s *Store) UpdateScope(_ context.Context, id string, fn func(core.Scope) (core.Scope, error)) (core.Scope, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.scopes[id]
	if !ok {
		return core.Scope{}, fmt.Errorf("scope %q: %w", id, core.ErrNotFound)
	}
	sc, err := fn(old)
	if err != nil {
		return core.Scope{}, err
	}
	sc.ID = id
	if sc.Name != old.Name {
		if _, taken := s.scopeByName(sc.Name); taken {
			return core.Scope{}, fmt.Errorf("scope name %q: %w", sc.Name, core.ErrAlreadyExists)
		}
		if s.scopeInUse(old.Name) {
			return core.Scope{}, fmt.Errorf("scope %q is held by a client and cannot be renamed: %w", old.Name, core.ErrConflict)
		}
	}
	s.scopes[id] = sc
	return sc, nil
}

// DeleteScope implements ports.ScopeRepository.
func (s *Store) DeleteScope(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, ok := s.scopes[id]
	if !ok {
		return fmt.Errorf("scope %q: %w", id, core.ErrNotFound)
	}
	if s.scopeInUse(sc.Name) {
		return fmt.Errorf("scope %q is held by a client: %w", sc.Name, core.ErrConflict)
	}
	delete(s.scopes, id)
	return nil
}

// RecordAudit implements ports.AuditLog.
func (s *Store) RecordAudit(_ context.Context, e core.AuditEvent) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.audit.add(e)
	return nil
}

// AuditEvents returns the recorded audit events in order.
func (s *Store) AuditEvents() []core.AuditEvent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.audit.events()
}

// PurgeExpired implements ports.Purger.
func (s *Store) PurgeExpired(_ context.Context, now time.Time, _ int) (core.PurgeStats, error) {
	var st core.PurgeStats
	s.atMu.Lock()
	s.tokens.each(func(_ tokenKey, r *accessRecord) (bool, bool) {
		if now.Before(r.expiresAt()) {
			return false, false
		}
		st.AccessTokens++
		return false, true
	})
	s.atMu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.refresh {
		if !now.Before(t.ExpiresAt) {
			delete(s.refresh, k)
			st.RefreshTokens++
		}
	}
	for k, c := range s.codes {
		if !now.Before(c.ExpiresAt) {
			delete(s.codes, k)
			st.AuthCodes++
		}
	}
	for k, r := range s.resets {
		if !now.Before(r.ExpiresAt) {
			delete(s.resets, k)
			st.PasswordResets++
		}
	}
	return st, nil
}
