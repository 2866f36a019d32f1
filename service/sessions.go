package service

import (
	"context"
	"fmt"

	"github.com/identityd/identityd/core"
)

// Sessions returns the person's sessions that are still valid, newest
// first: one per refresh-token family (core.RefreshSessions). A malformed
// id is a core.ValidationError, an unknown person core.ErrNotFound.
func (s *Accounts) Sessions(ctx context.Context, userID string) ([]core.Session, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, err
	}
	tokens, err := s.d.UserTokens.ListUserRefreshTokens(ctx, userID, s.d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return core.RefreshSessions(tokens, s.d.Clock.Now(), s.cfg.ReuseInterval), nil
}

// Tokens returns the person's valid tokens, never a value: every
// unrevoked, unexpired access token, and the refresh token that keeps
// each session alive.
func (s *Accounts) Tokens(ctx context.Context, userID string) ([]core.AccessToken, []core.RefreshToken, error) {
	if _, err := s.GetUser(ctx, userID); err != nil {
		return nil, nil, err
	}
	now := s.d.Clock.Now()
	access, err := s.d.UserTokens.ListUserAccessTokens(ctx, userID, now)
	if err != nil {
		return nil, nil, fmt.Errorf("list access tokens: %w", err)
	}
	all, err := s.d.UserTokens.ListUserRefreshTokens(ctx, userID, now)
	if err != nil {
		return nil, nil, fmt.Errorf("list refresh tokens: %w", err)
	}
	refresh := make([]core.RefreshToken, 0, len(all))
	for _, t := range all {
		if t.RevokedAt.IsZero() && !t.RotatedOut(now, s.cfg.ReuseInterval) {
			t.Hash = "" // never leaves the store's side
			refresh = append(refresh, t)
		}
	}
	return access, refresh, nil
}

// EndSession ends one session of a person: the refresh-token family
// sessionID with every access token issued with it, on every instance
// within the change log's propagation bound; it records session.revoked.
// A session that is not the person's, or no longer valid, is
// core.ErrNotFound.
func (s *Accounts) EndSession(ctx context.Context, userID, sessionID string) error {
	sessions, err := s.Sessions(ctx, userID)
	if err != nil {
		return err
	}
	for _, sess := range sessions {
		if sess.ID != sessionID {
			continue
		}
		if err := s.d.Tokens.RevokeFamily(ctx, sess.ID); err != nil {
			return err
		}
		s.d.Audit.RecordChange(ctx, core.AuditEvent{Type: core.AuditSessionRevoked, SubjectID: sess.ID, UserID: userID, ClientID: sess.ClientID, Detail: "one session"})
		return nil
	}
	return fmt.Errorf("session: %w", core.ErrNotFound)
}
