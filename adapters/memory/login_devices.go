package memory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
)

// UpdateLoginDevice implements ports.LoginDeviceRepository.
func (s *Store) UpdateLoginDevice(_ context.Context, userID, key string, fn func(core.LoginDevice) (core.LoginDevice, error)) (core.LoginDevice, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.devices[userID][key]
	if !ok {
		return core.LoginDevice{}, fmt.Errorf("login device: %w", core.ErrNotFound)
	}
	d, err := fn(old)
	if err != nil {
		return core.LoginDevice{}, err
	}
	d.UserID, d.Key = userID, key
	s.devices[userID][key] = d
	return d, nil
}

// RememberLoginDevices implements ports.LoginDeviceRepository.
func (s *Store) RememberLoginDevices(_ context.Context, userID string, keys []string, at time.Time, keep int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[userID]; !ok {
		return fmt.Errorf("user %q: %w", userID, core.ErrNotFound)
	}
	m := s.devices[userID]
	if m == nil {
		m = map[string]core.LoginDevice{}
		s.devices[userID] = m
	}
	for _, k := range keys {
		d, ok := m[k]
		if !ok {
			d = core.LoginDevice{UserID: userID, Key: k}
		}
		d.LastLoginAt = at
		m[k] = d
	}
	if len(m) <= keep {
		return nil
	}
	kinds := map[string][]core.LoginDevice{}
	for _, d := range m {
		kind, _, _ := strings.Cut(d.Key, ":")
		kinds[kind] = append(kinds[kind], d)
	}
	for _, all := range kinds {
		sort.Slice(all, func(i, j int) bool {
			if !all[i].LastLoginAt.Equal(all[j].LastLoginAt) {
				return all[i].LastLoginAt.After(all[j].LastLoginAt)
			}
			return all[i].Key < all[j].Key
		})
		for _, d := range all[min(max(keep, 0), len(all)):] {
			delete(m, d.Key)
		}
	}
	return nil
}
