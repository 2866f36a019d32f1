package core

import (
	"slices"
	"time"
)

// Consent is a person's remembered approval of a client for a set of
// scopes (contract "A person's own account"; OpenID Connect Core
// §3.1.2.4): a later authorization request of that client for those scopes
// or fewer needs no consent page, and prompt=none succeeds.
type Consent struct {
	UserID   string
	ClientID string
	// Scopes are every scope the person approved for the client, sorted.
	Scopes []string
	// GrantedAt is when the person first approved the client; UpdatedAt
	// when they last approved more.
	GrantedAt time.Time
	UpdatedAt time.Time
}

// MissingScopes returns the scopes of requested that c does not cover, in
// the order requested: what a consent page must still ask for.
func (c Consent) MissingScopes(requested []string) []string {
	var out []string
	for _, s := range requested {
		if !slices.Contains(c.Scopes, s) {
			out = append(out, s)
		}
	}
	return out
}

// WithScopes returns c approving scopes as well, at now (the union, sorted).
func (c Consent) WithScopes(scopes []string, now time.Time) Consent {
	merged := append(slices.Clone(c.Scopes), scopes...)
	slices.Sort(merged)
	c.Scopes = slices.Compact(merged)
	if c.GrantedAt.IsZero() {
		c.GrantedAt = now
	}
	c.UpdatedAt = now
	return c
}
