package memory

import (
	"context"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// DeviceCodes keeps device authorizations in memory.
type DeviceCodes struct {
	mu     sync.Mutex
	byHash map[string]core.DeviceCode
	byUser map[string]string // user code hash -> device code hash
}

var (
	_ ports.DeviceCodeRepository = (*DeviceCodes)(nil)
	_ ports.Purger               = (*DeviceCodes)(nil)
)

// NewDeviceCodes returns an empty repository.
func NewDeviceCodes() *DeviceCodes {
	return &DeviceCodes{byHash: map[string]core.DeviceCode{}, byUser: map[string]string{}}
}

func cloneDevice(d core.DeviceCode) core.DeviceCode {
	d.Scopes = append([]string(nil), d.Scopes...)
	return d
}

// CreateDeviceCode implements ports.DeviceCodeRepository.
func (s *DeviceCodes) CreateDeviceCode(_ context.Context, d core.DeviceCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.byHash[d.Hash]; ok {
		return core.ErrAlreadyExists
	}
	if _, ok := s.byUser[d.UserCodeHash]; ok {
		return core.ErrAlreadyExists
	}
	s.byHash[d.Hash] = cloneDevice(d)
	s.byUser[d.UserCodeHash] = d.Hash
	return nil
}

// UpdateDeviceCode implements ports.DeviceCodeRepository.
func (s *DeviceCodes) UpdateDeviceCode(_ context.Context, hash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.update(hash, fn)
}

// UpdateDeviceCodeByUserCode implements ports.DeviceCodeRepository.
func (s *DeviceCodes) UpdateDeviceCodeByUserCode(_ context.Context, userCodeHash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hash, ok := s.byUser[userCodeHash]
	if !ok {
		return core.DeviceCode{}, core.ErrNotFound
	}
	return s.update(hash, fn)
}

func (s *DeviceCodes) update(hash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	old, ok := s.byHash[hash]
	if !ok {
		return core.DeviceCode{}, core.ErrNotFound
	}
	next, err := fn(cloneDevice(old))
	if err != nil {
		return cloneDevice(old), err
	}
	next.Hash, next.UserCodeHash = old.Hash, old.UserCodeHash
	s.byHash[hash] = cloneDevice(next)
	return next, nil
}

// PurgeExpired implements ports.Purger for device authorizations.
func (s *DeviceCodes) PurgeExpired(_ context.Context, now time.Time, _ int) (core.PurgeStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var st core.PurgeStats
	for h, d := range s.byHash {
		if !now.Before(d.ExpiresAt) {
			delete(s.byHash, h)
			delete(s.byUser, d.UserCodeHash)
			st.DeviceCodes++
		}
	}
	return st, nil
}
