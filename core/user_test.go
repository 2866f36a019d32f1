package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestCredentialAlive(t *testing.T) {
	cutoff := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		give      core.User
		derivedAt time.Time
		want      bool
	}{
		{"no cutoff", core.User{}, cutoff.Add(-time.Hour), true},
		{"derived before the cutoff", core.User{NotBefore: cutoff}, cutoff.Add(-time.Nanosecond), false},
		{"derived at the cutoff", core.User{NotBefore: cutoff}, cutoff, true},
		{"derived after the cutoff", core.User{NotBefore: cutoff}, cutoff.Add(time.Second), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, core.CredentialAlive(tt.give, tt.derivedAt))
			rt := core.RefreshToken{UserID: "u", AuthTime: tt.derivedAt, Holder: tt.give.Standing()}
			assert.Equal(t, tt.want, rt.Alive(), "a refresh-token family by its sign-in")
			assert.Equal(t, !tt.want, core.SessionEndedFor(tt.give, tt.derivedAt), "a browser session by its sign-in")
		})
	}
}

func TestRefreshBoundScopes(t *testing.T) {
	rt := core.RefreshToken{UserID: "u", Scopes: []string{"a", "b", core.ScopeClientsRead}}
	assert.Equal(t, []string{"a"}, rt.BoundScopes([]string{"a", core.ScopeClientsRead}), "the client's scopes now, the person's roles now")
	rt.Holder.Roles = []string{core.RoleAdmin}
	assert.Equal(t, []string{"a", core.ScopeClientsRead}, rt.BoundScopes([]string{"a", core.ScopeClientsRead}))
}
