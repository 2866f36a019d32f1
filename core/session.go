package core

import (
	"sort"
	"time"
)

// Session kinds (contract §3, People administration).
const (
	SessionBrowser = "browser"
	SessionRefresh = "refresh"
)

// Session is one way a person stays signed in: a refresh-token family
// (Kind SessionRefresh, ID the family id) or a browser session. IP and
// UserAgent are empty when not recorded.
type Session struct {
	ID         string
	Kind       string
	UserID     string
	ClientID   string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
}

// MaxListedTokens bounds the tokens a store returns for one person.
const MaxListedTokens = 1000

// RefreshSessions groups a person's refresh tokens into one session per
// family that still holds a valid token at now (neither revoked, rotated
// out of reuseInterval, nor expired): created when the family began, last
// used at its newest token, expiring with it. Newest first.
func RefreshSessions(tokens []RefreshToken, now time.Time, reuseInterval time.Duration) []Session {
	byFamily := map[string]*Session{}
	live := map[string]bool{}
	for _, t := range tokens {
		s, ok := byFamily[t.FamilyID]
		if !ok {
			s = &Session{ID: t.FamilyID, Kind: SessionRefresh, UserID: t.UserID, ClientID: t.ClientID, CreatedAt: t.IssuedAt, LastUsedAt: t.IssuedAt}
			byFamily[t.FamilyID] = s
		}
		if t.IssuedAt.Before(s.CreatedAt) {
			s.CreatedAt = t.IssuedAt
		}
		if t.IssuedAt.After(s.LastUsedAt) {
			s.LastUsedAt = t.IssuedAt
		}
		if t.RevokedAt.IsZero() && !t.RotatedOut(now, reuseInterval) && now.Before(t.ExpiresAt) {
			live[t.FamilyID] = true
			if t.ExpiresAt.After(s.ExpiresAt) {
				s.ExpiresAt = t.ExpiresAt
			}
		}
	}
	out := make([]Session, 0, len(live))
	for id := range live {
		out = append(out, *byFamily[id])
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].LastUsedAt.Equal(out[j].LastUsedAt) {
			return out[i].LastUsedAt.After(out[j].LastUsedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out
}
