package clientcredentials_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/hashing"
	"github.com/identityd/identityd/adapters/jwt"
	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
	"github.com/identityd/identityd/grants/clientcredentials"
	"github.com/identityd/identityd/service"
)

// Over the real token service on in-memory adapters: the access token's
// sub is the client id and no refresh token is issued, even to a client
// also registered for refresh_token (RFC 6749 §4.4.3).
func TestTokenOverTheTokenService(t *testing.T) {
	store, signer := memory.NewStore(), jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef"))
	tokens := service.NewTokens(service.TokenConfig{Issuer: "https://id.example", AccessTTL: time.Minute, RefreshTTL: time.Hour},
		service.TokenDeps{Signer: signer, Access: store, Refresh: store, Revoked: memory.NewRevocationCache(system.Clock{}),
			Hasher: hashing.NewHMAC([]byte("k")), Random: system.Random{}, Clock: system.Clock{}})
	client := core.Client{ID: "svc", Scopes: []string{"read", "write"}, GrantTypes: []string{core.GrantClientCredentials, core.GrantRefreshToken}}

	got, err := clientcredentials.NewWith(tokens).Token(context.Background(), grants.Request{
		GrantType: core.GrantClientCredentials, Client: client, Scopes: []string{"read"}, ScopeRequested: true,
	})
	require.NoError(t, err)
	assert.Empty(t, got.RefreshToken)
	assert.Empty(t, got.IDToken)
	assert.Equal(t, "read", got.Scope)
	at, err := signer.Verify(context.Background(), got.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "svc", at.Subject)
	assert.Equal(t, "svc", at.ClientID)
	assert.Equal(t, []string{"read"}, at.Scopes)
}
