package core_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/identityd/identityd/core"
)

func TestSignInRequirementsUnmet(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	old := core.SignIn{UserID: "u1", Time: now.Add(-time.Hour)}
	fresh := core.SignIn{UserID: "u1", Time: now, ForRequest: true}
	tests := []struct {
		name    string
		give    core.SignInRequirements
		in      core.SignIn
		wantErr bool
	}{
		{"nothing asked, session", core.SignInRequirements{MaxAge: -1}, old, false},
		{"nobody signed in", core.SignInRequirements{MaxAge: -1}, core.SignIn{}, true},
		{"fresh asked, session", core.SignInRequirements{Fresh: true, MaxAge: -1}, old, true},
		{"fresh asked, signed in for it", core.SignInRequirements{Fresh: true, MaxAge: -1}, fresh, false},
		{"max_age exceeded", core.SignInRequirements{MaxAge: time.Minute}, old, true},
		{"max_age met", core.SignInRequirements{MaxAge: 2 * time.Hour}, old, false},
		{"max_age 0, signed in for the request", core.SignInRequirements{MaxAge: 0}, core.SignIn{UserID: "u1", Time: now.Add(-time.Second), ForRequest: true}, false},
		{"max_age 0, session of now", core.SignInRequirements{MaxAge: 0}, core.SignIn{UserID: "u1", Time: now.Add(-time.Millisecond)}, true},
		{"hint of another", core.SignInRequirements{MaxAge: -1, Subject: "u2"}, fresh, true},
		{"hint of the person", core.SignInRequirements{MaxAge: -1, Subject: "u1"}, old, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.give.Unmet(tt.in, now)
			if !tt.wantErr {
				assert.NoError(t, err)
				return
			}
			var oe *core.OAuthError
			if assert.True(t, errors.As(err, &oe)) {
				assert.Equal(t, core.CodeLoginRequired, oe.Code)
			}
		})
	}
}

func TestSessionID(t *testing.T) {
	at := time.UnixMilli(1_765_000_000_123)
	assert.Equal(t, core.SessionID("u1", at), core.SessionID("u1", at.Add(999*time.Microsecond).Truncate(time.Millisecond)))
	assert.NotEqual(t, core.SessionID("u1", at), core.SessionID("u1", at.Add(time.Millisecond)), "another sign-in in the same second")
	assert.NotEqual(t, core.SessionID("u1", at), core.SessionID("u2", at))
	assert.Empty(t, core.SessionID("u1", time.Time{}))
}

func TestOpenIDRequestScope(t *testing.T) {
	allowed := []string{"openid", "profile", "photos:read"}
	tests := []struct {
		name    string
		give    []string
		refresh bool
		want    []string
	}{
		{"known values kept in order", []string{"profile", "openid"}, false, []string{"profile", "openid"}},
		{"unknown ignored", []string{"openid", "groups", "profile"}, false, []string{"openid", "profile"}},
		{"offline_access with refresh", []string{"openid", "offline_access"}, true, []string{"openid", "offline_access"}},
		{"offline_access without refresh", []string{"openid", "offline_access"}, false, []string{"openid"}},
		{"never more than allowed", []string{"openid", "clients:admin"}, true, []string{"openid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, core.OpenIDRequestScope(tt.give, allowed, tt.refresh))
		})
	}
	assert.True(t, core.IsOpenIDRequest([]string{"openid"}, allowed))
	assert.False(t, core.IsOpenIDRequest([]string{"openid"}, []string{"profile"}), "a client that may not ask for openid")
	assert.False(t, core.IsOpenIDRequest([]string{"profile"}, allowed))
}
