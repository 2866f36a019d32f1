package service_test

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
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/service"
)

type allGrants struct{}

func (allGrants) Has(string) bool { return true }

var (
	keyA = []byte("secret hash key A")
	keyB = []byte("secret hash key B")
)

// instance is the token and client services of one configuration of the
// secret-hash key over a shared store, as after a restart.
type instance struct {
	tokens  *service.Tokens
	clients *service.Clients
	hasher  ports.SecretHasher
}

func newInstance(store *memory.Store, hasher ports.SecretHasher) instance {
	clock := system.Clock{}
	tokens := service.NewTokens(service.TokenConfig{Issuer: "https://id.example", AccessTTL: time.Minute, RefreshTTL: time.Hour},
		service.TokenDeps{Signer: jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef")), Access: store, Refresh: store,
			Revoked: memory.NewRevocationCache(clock), Hasher: hasher, Random: system.Random{}, Clock: clock})
	clients := service.NewClients(service.ClientDeps{Repo: store, Scopes: store, Hasher: hasher, Random: system.Random{}, Clock: clock, Tokens: tokens, Grants: allGrants{}})
	return instance{tokens: tokens, clients: clients, hasher: hasher}
}

// Refresh tokens stored under a previous JWT_REFRESH_SECRET are found
// while it is configured as previous; their rotation stores the next token
// under the current key.
func TestRefreshTokensUnderThePreviousKey(t *testing.T) {
	ctx := context.Background()
	store := memory.NewStore()
	underA := newInstance(store, hashing.NewHMAC(keyA))
	rotating := newInstance(store, hashing.NewRotatingHMAC(keyB, keyA))
	onlyB := newInstance(store, hashing.NewHMAC(keyB))
	client := core.Client{ID: "app", GrantTypes: []string{core.GrantRefreshToken}}
	issue := func() string {
		resp, err := underA.tokens.Issue(ctx, service.Grant{Client: client, UserID: "alice", Scopes: []string{"read"}, WithRefresh: true, GrantType: core.GrantAuthorizationCode})
		require.NoError(t, err)
		return resp.RefreshToken
	}

	rotated, kept, revoked := issue(), issue(), issue()
	_, err := onlyB.tokens.Rotate(ctx, client, rotated, nil)
	require.ErrorIs(t, err, core.ErrNotFound, "without the previous key the token is unknown")

	next, err := rotating.tokens.Rotate(ctx, client, rotated, nil)
	require.NoError(t, err)
	in, err := onlyB.tokens.Introspect(ctx, next.RefreshToken)
	require.NoError(t, err)
	assert.True(t, in.Active, "the next token is stored under the current key")

	in, err = rotating.tokens.Introspect(ctx, kept)
	require.NoError(t, err)
	assert.True(t, in.Active, "introspection finds a token under the previous key")
	require.NoError(t, rotating.tokens.Revoke(ctx, client, revoked))
	in, err = rotating.tokens.Introspect(ctx, revoked)
	require.NoError(t, err)
	assert.False(t, in.Active, "revocation finds a token under the previous key")

	// Reuse of the rotated token is still detected under the previous key.
	_, err = rotating.tokens.Rotate(ctx, client, rotated, nil)
	assert.ErrorIs(t, err, core.ErrRefreshReused)
}

// A client secret hashed under a previous JWT_REFRESH_SECRET authenticates
// while it is configured as previous, and is hashed again under the
// current key on success; CountClientSecretsNotUnder tells how many are
// left.
func TestClientSecretsUnderThePreviousKey(t *testing.T) {
	ctx := context.Background()
	store := memory.NewStore()
	underA := newInstance(store, hashing.NewHMAC(keyA))
	rotating := newInstance(store, hashing.NewRotatingHMAC(keyB, keyA))
	onlyB := newInstance(store, hashing.NewHMAC(keyB))
	create := func(id string) string {
		_, secret, err := underA.clients.Create(ctx, core.SystemCaller, service.ClientInput{ID: id, Name: id, GrantTypes: []string{core.GrantClientCredentials}})
		require.NoError(t, err)
		return secret
	}
	moved, left := create("moved"), create("left")
	notUnderB := func() int {
		n, err := store.CountClientSecretsNotUnder(ctx, onlyB.hasher.KeyID())
		require.NoError(t, err)
		return n
	}
	require.Equal(t, 2, notUnderB())

	_, err := rotating.clients.Authenticate(ctx, "moved", moved+"x")
	var oe *core.OAuthError
	require.ErrorAs(t, err, &oe, "a wrong secret fails under either key")
	assert.Equal(t, core.CodeInvalidClient, oe.Code)
	require.Equal(t, 2, notUnderB(), "and moves nothing")
	_, err = rotating.clients.Authenticate(ctx, "moved", moved)
	require.NoError(t, err)
	c, err := store.GetClient(ctx, "moved")
	require.NoError(t, err)
	assert.Equal(t, onlyB.hasher.KeyID(), c.SecretHashKey)
	assert.Equal(t, 1, notUnderB())

	_, err = onlyB.clients.Authenticate(ctx, "moved", moved)
	assert.NoError(t, err, "moved to the current key")
	_, err = onlyB.clients.Authenticate(ctx, "left", left)
	assert.Error(t, err, "never authenticated while the previous key was set")
	_, err = rotating.clients.Authenticate(ctx, "left", left)
	assert.NoError(t, err)
	assert.Equal(t, 0, notUnderB())

	// A hash from before keys were recorded gets its key recorded.
	_, err = store.UpdateClient(ctx, "left", func(c core.Client) (core.Client, error) {
		c.SecretHashKey = ""
		return c, nil
	})
	require.NoError(t, err)
	require.Equal(t, 1, notUnderB())
	_, err = onlyB.clients.Authenticate(ctx, "left", left)
	require.NoError(t, err)
	assert.Equal(t, 0, notUnderB())
}
