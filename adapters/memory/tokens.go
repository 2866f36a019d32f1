package memory

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/identityd/identityd/core"
)

func cloneToken(t core.AccessToken) core.AccessToken {
	t.Scopes, t.Audience = clone(t.Scopes), clone(t.Audience)
	return t
}

// SaveAccessToken implements ports.AccessTokenRepository.
func (s *Store) SaveAccessToken(_ context.Context, t core.AccessToken) error {
	s.atMu.Lock()
	defer s.atMu.Unlock()
	if _, ok := s.tokens.get(t.JTI); ok {
		return fmt.Errorf("access token %q: %w", t.JTI, core.ErrAlreadyExists)
	}
	s.tokens.put(t.JTI, newAccessRecord(t, s.interned))
	return nil
}

// GetAccessToken implements ports.AccessTokenRepository.
func (s *Store) GetAccessToken(_ context.Context, jti string) (core.AccessToken, error) {
	s.atMu.RLock()
	defer s.atMu.RUnlock()
	r, ok := s.tokens.get(jti)
	if !ok {
		return core.AccessToken{}, fmt.Errorf("access token: %w", core.ErrNotFound)
	}
	return r.token(jti), nil
}

// RevokeAccessToken implements ports.AccessTokenRepository.
func (s *Store) RevokeAccessToken(_ context.Context, jti string, at time.Time) (core.AccessToken, error) {
	s.atMu.Lock()
	defer s.atMu.Unlock()
	r, ok := s.tokens.get(jti)
	if !ok {
		return core.AccessToken{}, fmt.Errorf("access token: %w", core.ErrNotFound)
	}
	if r.revokedAt().IsZero() {
		r.revoke(jti, at)
		s.tokens.put(jti, r)
	}
	return r.token(jti), nil
}

// RevokeAccessTokens implements ports.AccessTokenRepository.
func (s *Store) RevokeAccessTokens(_ context.Context, f core.TokenFilter, at time.Time) ([]core.AccessToken, error) {
	s.atMu.Lock()
	defer s.atMu.Unlock()
	var out []core.AccessToken
	s.tokens.each(func(k tokenKey, r *accessRecord) (bool, bool) {
		if !r.matches(f, at) {
			return false, false
		}
		jti := k.jti()
		r.revoke(jti, at)
		out = append(out, r.token(jti))
		return true, false
	})
	return out, nil
}

// ListRevokedAccessTokens implements ports.AccessTokenRepository.
func (s *Store) ListRevokedAccessTokens(_ context.Context, now time.Time) ([]core.AccessToken, error) {
	s.atMu.RLock()
	defer s.atMu.RUnlock()
	var out []core.AccessToken
	s.tokens.each(func(k tokenKey, r *accessRecord) (bool, bool) {
		if !r.revokedAt().IsZero() && now.Before(r.expiresAt()) {
			out = append(out, r.token(k.jti()))
		}
		return false, false
	})
	return out, nil
}

func cloneRefresh(t core.RefreshToken) core.RefreshToken {
	t.Scopes = clone(t.Scopes)
	t.Holder.Roles = clone(t.Holder.Roles)
	return t
}

// withHolder returns t with the standing of its person now, as a store
// that joins the users table reads it. Callers hold s.mu.
func (s *Store) withHolder(t core.RefreshToken) core.RefreshToken {
	t = cloneRefresh(t)
	t.Holder = core.Standing{}
	if u, ok := s.users[t.UserID]; ok && t.UserID != "" {
		t.Holder = cloneUser(u).Standing()
		if len(t.Holder.Roles) == 0 {
			t.Holder.Roles = nil
		}
	}
	return t
}

// CreateRefreshToken implements ports.RefreshTokenRepository.
func (s *Store) CreateRefreshToken(_ context.Context, t core.RefreshToken) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.refresh[t.Hash]; ok {
		return fmt.Errorf("refresh token: %w", core.ErrAlreadyExists)
	}
	t.Holder = core.Standing{}
	s.refresh[t.Hash] = cloneRefresh(t)
	return nil
}

// GetRefreshToken implements ports.RefreshTokenRepository.
func (s *Store) GetRefreshToken(_ context.Context, hash string) (core.RefreshToken, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, ok := s.refresh[hash]
	if !ok {
		return core.RefreshToken{}, fmt.Errorf("refresh token: %w", core.ErrNotFound)
	}
	return s.withHolder(t), nil
}

// RotateRefreshToken implements ports.RefreshTokenRepository.
func (s *Store) RotateRefreshToken(_ context.Context, hash string, fn func(core.RefreshToken) (core.RefreshToken, error)) (core.RefreshToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.refresh[hash]
	if !ok {
		return core.RefreshToken{}, fmt.Errorf("refresh token: %w", core.ErrNotFound)
	}
	next, err := fn(s.withHolder(old))
	if err != nil {
		return s.withHolder(old), err
	}
	if _, taken := s.refresh[next.Hash]; taken {
		return s.withHolder(old), fmt.Errorf("refresh token: %w", core.ErrAlreadyExists)
	}
	if old.RotatedAt.IsZero() {
		old.RotatedAt = next.IssuedAt
	}
	next.Holder = core.Standing{}
	s.refresh[hash] = old
	s.refresh[next.Hash] = cloneRefresh(next)
	return s.withHolder(old), nil
}

// RevokeRefreshTokens implements ports.RefreshTokenRepository.
func (s *Store) RevokeRefreshTokens(_ context.Context, f core.TokenFilter, at time.Time) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, t := range s.refresh {
		if t.RevokedAt.IsZero() && f.Match(t.ClientID, t.UserID, t.FamilyID, t.AuthCodeID, "") {
			t.RevokedAt = at
			s.refresh[k] = t
			n++
		}
	}
	return n, nil
}

// CreateAuthCode implements ports.AuthCodeRepository.
func (s *Store) CreateAuthCode(_ context.Context, c core.AuthCode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.codes[c.Hash]; ok {
		return fmt.Errorf("authorization code: %w", core.ErrAlreadyExists)
	}
	c.Scopes = clone(c.Scopes)
	s.codes[c.Hash] = c
	return nil
}

// UpdateAuthCode implements ports.AuthCodeRepository.
func (s *Store) UpdateAuthCode(_ context.Context, hash string, fn func(core.AuthCode) (core.AuthCode, error)) (core.AuthCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.codes[hash]
	if !ok {
		return core.AuthCode{}, fmt.Errorf("authorization code: %w", core.ErrNotFound)
	}
	old.Scopes = clone(old.Scopes)
	c, err := fn(old)
	if err != nil {
		return old, err
	}
	c.Hash = hash
	c.Scopes = clone(c.Scopes)
	s.codes[hash] = c
	return c, nil
}

// ListUserRefreshTokens implements ports.UserTokenLister.
func (s *Store) ListUserRefreshTokens(_ context.Context, userID string, now time.Time) ([]core.RefreshToken, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.RefreshToken
	for _, t := range s.refresh {
		if t.UserID == userID && now.Before(t.ExpiresAt) && len(out) < core.MaxListedTokens {
			out = append(out, cloneRefresh(t))
		}
	}
	return out, nil
}

// ListUserAccessTokens implements ports.UserTokenLister.
func (s *Store) ListUserAccessTokens(_ context.Context, userID string, now time.Time) ([]core.AccessToken, error) {
	s.atMu.RLock()
	defer s.atMu.RUnlock()
	var out []core.AccessToken
	s.tokens.each(func(k tokenKey, r *accessRecord) (bool, bool) {
		if r.revokedAt().IsZero() && now.Before(r.expiresAt()) {
			if t := r.token(k.jti()); t.UserID == userID {
				out = append(out, t)
			}
		}
		return false, false
	})
	sort.Slice(out, func(i, j int) bool { return out[i].IssuedAt.After(out[j].IssuedAt) })
	if len(out) > core.MaxListedTokens {
		out = out[:core.MaxListedTokens]
	}
	return out, nil
}
