package jwt

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// KeyManagerConfig configures KeyManager.
type KeyManagerConfig struct {
	// Algs are the algorithms that need an active stored key.
	Algs []string
	// RotationInterval retires an active key this long after it was made
	// (SIGNING_KEY_ROTATION_INTERVAL); zero rotates only by hand.
	RotationInterval time.Duration
	// PublishFor is how long a retired key stays published: the longest
	// lifetime of a token it signs, plus the time every instance may take
	// to notice the retirement (RefreshEvery) and clock skew.
	PublishFor time.Duration
	// RefreshEvery is how often Run reads the store.
	RefreshEvery time.Duration
	// PublishFirst is how long a new key is published before it signs
	// (JWKS_CACHE_MAX_AGE): until then the key it replaces, retired or
	// not, goes on signing. A key with no predecessor signs at once.
	PublishFirst time.Duration
}

// KeyManager keeps a Keyring in step with a ports.SigningKeyStore shared by
// every instance: it makes the active key of an algorithm when there is
// none (after `identityd keys rotate` retired it, or at the first start),
// retires keys older than the rotation interval, and drops keys retired
// longer ago than PublishFor. Every instance reads the store at least every
// RefreshEvery, and at once (at most once a second) when a token names a
// kid it does not know.
type KeyManager struct {
	cfg   KeyManagerConfig
	store ports.SigningKeyStore
	clock ports.Clock
	ring  *Keyring
	log   *slog.Logger

	mu          sync.Mutex
	parsed      map[string]*Asymmetric // stored id -> key
	lastRefresh time.Time
}

// NewKeyManager returns a manager of ring's stored keys. Call Refresh once
// before serving.
func NewKeyManager(cfg KeyManagerConfig, store ports.SigningKeyStore, clock ports.Clock, ring *Keyring, log *slog.Logger) *KeyManager {
	if cfg.RefreshEvery <= 0 {
		cfg.RefreshEvery = 10 * time.Second
	}
	m := &KeyManager{cfg: cfg, store: store, clock: clock, ring: ring, log: log, parsed: map[string]*Asymmetric{}}
	ring.OnUnknownKid(m.refreshSoon)
	return m
}

// Refresh reads the store, rotates and makes keys as needed, and installs
// the result in the ring.
func (m *KeyManager) Refresh(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.refresh(ctx)
}

func (m *KeyManager) refresh(ctx context.Context) error {
	now := m.clock.Now()
	m.lastRefresh = now
	keys, err := m.store.SigningKeys(ctx, now.Add(-m.cfg.PublishFor))
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	if m.cfg.RotationInterval > 0 {
		due := now.Add(-m.cfg.RotationInterval)
		for _, k := range keys {
			if k.Active() && !k.CreatedAt.After(due) {
				n, err := m.store.RetireSigningKeys(ctx, due, now)
				if err != nil {
					return fmt.Errorf("rotate signing keys: %w", err)
				}
				if n > 0 && m.log != nil {
					m.log.Info("signing keys rotated", "retired", n, "interval", m.cfg.RotationInterval.String())
				}
				return m.again(ctx, now)
			}
		}
	}
	missing := false
	for _, alg := range m.cfg.Algs {
		if !hasActive(keys, alg) {
			missing = true
			if err := m.add(ctx, alg, now); err != nil {
				return err
			}
		}
	}
	if missing {
		return m.again(ctx, now)
	}
	return m.install(keys)
}

// again reads the store once more after a change.
func (m *KeyManager) again(ctx context.Context, now time.Time) error {
	keys, err := m.store.SigningKeys(ctx, now.Add(-m.cfg.PublishFor))
	if err != nil {
		return fmt.Errorf("read signing keys: %w", err)
	}
	for _, alg := range m.cfg.Algs {
		if !hasActive(keys, alg) {
			if err := m.add(ctx, alg, now); err != nil {
				return err
			}
			return m.again(ctx, now)
		}
	}
	return m.install(keys)
}

func hasActive(keys []core.SigningKey, alg string) bool {
	for _, k := range keys {
		if k.Alg == alg && k.Active() {
			return true
		}
	}
	return false
}

// add makes a key for alg and offers it to the store; another instance's
// key may win, which is as good.
func (m *KeyManager) add(ctx context.Context, alg string, now time.Time) error {
	pemKey, err := GeneratePEM(alg)
	if err != nil {
		return err
	}
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return fmt.Errorf("signing key id: %w", err)
	}
	stored, err := m.store.AddSigningKey(ctx, core.SigningKey{ID: hex.EncodeToString(id), Alg: alg, PEM: pemKey, CreatedAt: now})
	if err != nil {
		return fmt.Errorf("store %s signing key: %w", alg, err)
	}
	if stored && m.log != nil {
		m.log.Info("signing key created", "alg", alg)
	}
	return nil
}

func (m *KeyManager) install(keys []core.SigningKey) error {
	signing := SigningKeyIDs(keys, m.clock.Now(), m.cfg.PublishFirst)
	out := make([]StoredKey, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		s, ok := m.parsed[k.ID]
		if !ok {
			var err error
			if s, err = NewAsymmetricPEM(k.Alg, k.PEM); err != nil {
				return fmt.Errorf("%s signing key from the store: %w", k.Alg, err)
			}
			m.parsed[k.ID] = s
		}
		seen[k.ID] = true
		out = append(out, StoredKey{Signer: s, Active: k.ID == signing[k.Alg]})
	}
	for id := range m.parsed {
		if !seen[id] {
			delete(m.parsed, id)
		}
	}
	m.ring.Set(out)
	return nil
}

// SigningKeyIDs picks, per algorithm, the stored key that signs at now: the
// newest key published for at least publishFirst (created at or before
// now - publishFirst), so that a verifier caching the JWKS for its
// max-age already holds it; when no key is that old (the first start), the
// newest key. keys are oldest first, as ports.SigningKeyStore returns
// them; the result maps alg to the key's stored id.
func SigningKeyIDs(keys []core.SigningKey, now time.Time, publishFirst time.Duration) map[string]string {
	ready := map[string]string{}
	newest := map[string]string{}
	for _, k := range keys {
		newest[k.Alg] = k.ID
		if !k.CreatedAt.After(now.Add(-publishFirst)) {
			ready[k.Alg] = k.ID
		}
	}
	for alg, id := range newest {
		if _, ok := ready[alg]; !ok {
			ready[alg] = id
		}
	}
	return ready
}

// refreshSoon is the ring's unknown-kid hook: a refresh, unless one ran in
// the last second (a flood of made-up kids costs at most one read a
// second).
func (m *KeyManager) refreshSoon(ctx context.Context) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.clock.Now().Sub(m.lastRefresh) < time.Second {
		return
	}
	if err := m.refresh(ctx); err != nil && m.log != nil {
		m.log.Warn("signing keys refresh", "error", err.Error())
	}
}

// Run refreshes every RefreshEvery until ctx ends; errors are logged and
// the ring keeps its keys.
func (m *KeyManager) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.RefreshEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Refresh(ctx); err != nil && m.log != nil && ctx.Err() == nil {
				m.log.Warn("signing keys refresh", "error", err.Error())
			}
		}
	}
}
