package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/identityd/identityd/core"
)

func cloneUser(u core.User) core.User {
	u.Roles = clone(u.Roles)
	return u
}

// CreateUser implements ports.UserRepository.
func (s *Store) CreateUser(_ context.Context, u core.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.ID]; ok {
		return fmt.Errorf("user %q: %w", u.ID, core.ErrAlreadyExists)
	}
	if _, ok := s.emails[u.Email]; ok {
		return fmt.Errorf("email: %w", core.ErrAlreadyExists)
	}
	s.users[u.ID] = cloneUser(u)
	s.emails[u.Email] = u.ID
	return nil
}

// GetUser implements ports.UserRepository.
func (s *Store) GetUser(_ context.Context, id string) (core.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.users[id]
	if !ok {
		return core.User{}, fmt.Errorf("user %q: %w", id, core.ErrNotFound)
	}
	return cloneUser(u), nil
}

// GetUserByEmail implements ports.UserRepository.
func (s *Store) GetUserByEmail(_ context.Context, email string) (core.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	id, ok := s.emails[email]
	if !ok {
		return core.User{}, fmt.Errorf("user: %w", core.ErrNotFound)
	}
	return cloneUser(s.users[id]), nil
}

// UpdateUser implements ports.UserRepository.
func (s *Store) UpdateUser(_ context.Context, id string, fn func(core.User) (core.User, error)) (core.User, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.users[id]
	if !ok {
		return core.User{}, fmt.Errorf("user %q: %w", id, core.ErrNotFound)
	}
	u, err := fn(cloneUser(old))
	if err != nil {
		return core.User{}, err
	}
	u.ID = id
	if u.Email != old.Email {
		if _, taken := s.emails[u.Email]; taken {
			return core.User{}, fmt.Errorf("email: %w", core.ErrAlreadyExists)
		}
		delete(s.emails, old.Email)
		s.emails[u.Email] = id
	}
	s.users[id] = cloneUser(u)
	return cloneUser(u), nil
}

// DeleteUser implements ports.UserRepository.
func (s *Store) DeleteUser(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return fmt.Errorf("user %q: %w", id, core.ErrNotFound)
	}
	delete(s.users, id)
	delete(s.emails, u.Email)
	delete(s.devices, id)
	delete(s.factors, id)
	s.forgetConsents(id, "")
	for k, t := range s.refresh {
		if t.UserID == id {
			delete(s.refresh, k)
		}
	}
	for k, c := range s.codes {
		if c.UserID == id {
			delete(s.codes, k)
		}
	}
	for k, r := range s.resets {
		if r.UserID == id {
			delete(s.resets, k)
		}
	}
	return nil
}

// CreatePasswordReset implements ports.PasswordResetRepository.
func (s *Store) CreatePasswordReset(_ context.Context, r core.PasswordReset) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[r.UserID]; !ok {
		return fmt.Errorf("user %q: %w", r.UserID, core.ErrNotFound)
	}
	if _, ok := s.resets[r.Hash]; ok {
		return fmt.Errorf("password reset: %w", core.ErrAlreadyExists)
	}
	for h, old := range s.resets {
		if old.UserID == r.UserID && old.UsedAt.IsZero() {
			old.UsedAt = r.CreatedAt
			s.resets[h] = old
		}
	}
	s.resets[r.Hash] = r
	return nil
}

// ConsumePasswordReset implements ports.PasswordResetRepository.
func (s *Store) ConsumePasswordReset(_ context.Context, hash string, now time.Time) (core.PasswordReset, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.resets[hash]
	if !ok || !r.UsedAt.IsZero() || !now.Before(r.ExpiresAt) {
		return core.PasswordReset{}, fmt.Errorf("password reset: %w", core.ErrNotFound)
	}
	r.UsedAt = now
	s.resets[hash] = r
	return r, nil
}

// ListUsers implements ports.UserRepository by filtering every account:
// the in-memory store serves demos and tests, not millions of people.
func (s *Store) ListUsers(_ context.Context, f core.UserFilter, p core.Page) ([]core.User, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, 64)
	for id, u := range s.users {
		if id > p.After && f.Match(u) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if p.Limit > 0 && len(ids) > p.Limit {
		ids = ids[:p.Limit]
	}
	out := make([]core.User, len(ids))
	for i, id := range ids {
		out[i] = cloneUser(s.users[id])
	}
	return out, nil
}
