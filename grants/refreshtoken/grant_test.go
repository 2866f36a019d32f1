package refreshtoken_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/refreshtoken"
)

type rotation struct {
	client core.Client
	raw    string
	scopes []string
}

// rotator records what the grant asks the token service to rotate.
type rotator struct {
	got   []rotation
	reply core.TokenResponse
	err   error
}

func (f *rotator) Rotate(_ context.Context, client core.Client, raw string, scopes []string) (core.TokenResponse, error) {
	f.got = append(f.got, rotation{client, raw, scopes})
	return f.reply, f.err
}

var client = core.Client{ID: "app", Public: true, GrantTypes: []string{core.GrantRefreshToken}, Scopes: []string{"read", "write"}}

func TestDeclarations(t *testing.T) {
	g := refreshtoken.NewWith(&rotator{})
	assert.Equal(t, core.GrantRefreshToken, g.GrantType())
	assert.False(t, g.RequiresClientAuth(), "a public client refreshes by client_id (RFC 6749 §6)")
	assert.Equal(t, grants.ScopeFromGrant, g.ScopePolicy(), "an absent scope is the one originally granted, not the client's")
	_, contributes := any(g).(grants.Contributor)
	assert.False(t, contributes)
}

func TestTokenWithoutRefreshToken(t *testing.T) {
	for name, params := range map[string]grants.Params{
		"absent":            {},
		"other params only": {"code": "c", "scope": "read"},
	} {
		t.Run(name, func(t *testing.T) {
			f := &rotator{}
			_, err := refreshtoken.NewWith(f).Token(context.Background(), grants.Request{GrantType: core.GrantRefreshToken, Client: client, Params: params})
			var oe *core.OAuthError
			require.ErrorAs(t, err, &oe)
			assert.Equal(t, core.CodeInvalidRequest, oe.Code)
			assert.NotEmpty(t, oe.Description)
			assert.Empty(t, f.got, "nothing rotated")
		})
	}
}

func TestTokenRotates(t *testing.T) {
	tests := []struct {
		name  string
		give  []string
		asked bool
	}{
		{"scope absent: the token's own", nil, false},
		{"scope narrowed", []string{"read"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &rotator{reply: core.TokenResponse{AccessToken: "at", RefreshToken: "rt2"}}
			got, err := refreshtoken.NewWith(f).Token(context.Background(), grants.Request{
				GrantType: core.GrantRefreshToken, Client: client, Scopes: tt.give, ScopeRequested: tt.asked,
				Params: grants.Params{"refresh_token": "rt1"},
			})
			require.NoError(t, err)
			assert.Equal(t, core.TokenResponse{AccessToken: "at", RefreshToken: "rt2"}, got)
			require.Len(t, f.got, 1)
			assert.Equal(t, rotation{client, "rt1", tt.give}, f.got[0],
				"the presenting client (the token must be its own), the token as sent, and the narrowed scope (nil: the original)")
		})
	}
}

// Unknown, expired, revoked and other clients' tokens are the rotation's
// decision (invalid_grant); the grant passes its answer through unchanged.
func TestTokenPassesRefusalThrough(t *testing.T) {
	refusal := core.NewOAuthError(core.CodeInvalidGrant, "the refresh token is invalid")
	f := &rotator{err: refusal}
	got, err := refreshtoken.NewWith(f).Token(context.Background(), grants.Request{
		GrantType: core.GrantRefreshToken, Client: client, Params: grants.Params{"refresh_token": "unknown"},
	})
	assert.True(t, errors.Is(err, refusal), err)
	assert.Empty(t, got.AccessToken)
}
