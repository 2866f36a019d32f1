package core_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
)

func TestLoginThrottleWait(t *testing.T) {
	p := core.DefaultLoginThrottle()
	tests := []struct {
		giveFailures int
		want         time.Duration
	}{
		{0, 0}, {1, 0}, {2, 0},
		{3, time.Second}, {4, 2 * time.Second}, {5, 4 * time.Second}, {9, 64 * time.Second},
		{10, 5 * time.Minute}, {11, 10 * time.Minute}, {12, 15 * time.Minute}, {13, 15 * time.Minute},
		{1000, 15 * time.Minute},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, p.Wait(tt.giveFailures), "after %d failures", tt.giveFailures)
	}
}

func TestLoginThrottleCountAttempt(t *testing.T) {
	p := core.DefaultLoginThrottle()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var u core.User
	var err error

	for i := 1; i <= 2; i++ {
		u, err = p.CountAttempt(u, now)
		require.NoError(t, err)
		assert.Equal(t, i, u.FailedLogins)
		blocked, _ := p.Blocked(u, now)
		assert.False(t, blocked, "no wait after %d failures", i)
	}

	u, err = p.CountAttempt(u, now)
	require.NoError(t, err)
	blocked, wait := p.Blocked(u, now)
	assert.True(t, blocked)
	assert.Equal(t, time.Second, wait)

	t.Run("an attempt during a wait is refused and does not extend it", func(t *testing.T) {
		same, err := p.CountAttempt(u, now.Add(500*time.Millisecond))
		assert.ErrorIs(t, err, core.ErrLocked)
		assert.Equal(t, u, same)
	})

	t.Run("the wait ends by itself", func(t *testing.T) {
		blocked, _ := p.Blocked(u, now.Add(time.Second))
		assert.False(t, blocked)
	})

	t.Run("no lock exceeds the maximum however many failures", func(t *testing.T) {
		v, at := u, now
		for range 100 {
			_, wait := p.Blocked(v, at)
			at = at.Add(wait)
			v, err = p.CountAttempt(v, at)
			require.NoError(t, err)
			_, wait = p.Blocked(v, at)
			assert.LessOrEqual(t, wait, 15*time.Minute)
		}
		assert.Equal(t, 103, v.FailedLogins)
	})

	t.Run("failures are forgotten after a quiet day", func(t *testing.T) {
		v, err := p.CountAttempt(u, u.LockedUntil.Add(25*time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, v.FailedLogins)
	})

	t.Run("success clears the count", func(t *testing.T) {
		v := p.Succeeded(u)
		assert.Zero(t, v.FailedLogins)
		assert.True(t, v.LockedUntil.IsZero())
	})
}

func TestGrantableScopes(t *testing.T) {
	requested := []string{"profile", core.ScopeClientsRead, core.ScopeScopesWrite}
	assert.Equal(t, []string{"profile"}, core.GrantableScopes(core.User{}, requested))
	assert.Equal(t, requested, core.GrantableScopes(core.User{Roles: []string{core.RoleAdmin}}, requested))
}
