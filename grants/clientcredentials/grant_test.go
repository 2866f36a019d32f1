package clientcredentials_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/clientcredentials"
	"github.com/identityd/identityd/service"
)

// issuer records what the grant asks the token service to issue.
type issuer struct {
	got   []service.Grant
	reply core.TokenResponse
}

func (f *issuer) Issue(_ context.Context, g service.Grant) (core.TokenResponse, error) {
	f.got = append(f.got, g)
	return f.reply, nil
}

func TestDeclarations(t *testing.T) {
	g := clientcredentials.NewWith(&issuer{})
	assert.Equal(t, core.GrantClientCredentials, g.GrantType())
	assert.True(t, g.RequiresClientAuth(), "RFC 6749 §4.4: confidential clients only, a public client is refused")
	assert.Equal(t, grants.ScopeClientDefault, g.ScopePolicy(), "an absent scope grants the client's scopes (§4.4.2)")
	_, contributes := any(g).(grants.Contributor)
	assert.False(t, contributes, "the grant serves no endpoint besides the token endpoint")
}

func TestTokenIssuesToTheClient(t *testing.T) {
	tests := []struct {
		name  string
		give  []string
		asked bool
	}{
		{"scope absent: the edge's default", []string{"read", "write"}, false},
		{"scope narrowed by the request", []string{"read"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &issuer{reply: core.TokenResponse{AccessToken: "at"}}
			client := core.Client{ID: "svc", Scopes: []string{"read", "write"}}
			got, err := clientcredentials.NewWith(f).Token(context.Background(), grants.Request{
				GrantType: core.GrantClientCredentials, Client: client, Scopes: tt.give, ScopeRequested: tt.asked,
				// A refresh token, user or subject in the body changes nothing.
				Params: grants.Params{"refresh_token": "rt", "subject": "alice", "username": "alice"},
			})
			require.NoError(t, err)
			assert.Equal(t, "at", got.AccessToken)
			require.Len(t, f.got, 1, "one issuance per request")
			is := f.got[0]
			assert.Equal(t, client, is.Client)
			assert.Equal(t, tt.give, is.Scopes, "exactly the scope the shared steps settled, neither widened nor re-narrowed")
			assert.Empty(t, is.UserID, "the subject is the client: no person")
			assert.Empty(t, is.Subject, "the sub is the client id, not a chosen subject")
			assert.Empty(t, is.Act)
			assert.Empty(t, is.Audience)
			assert.False(t, is.WithRefresh, "§4.4.3: no refresh token")
			assert.Empty(t, is.FamilyID)
			assert.Equal(t, core.GrantClientCredentials, is.GrantType, "the audit event names the grant")
		})
	}
}
