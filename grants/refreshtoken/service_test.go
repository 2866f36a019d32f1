package refreshtoken_test

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
	"github.com/identityd/identityd/grants/refreshtoken"
	"github.com/identityd/identityd/service"
)

type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// rig is the grant over the real token service on in-memory adapters.
type rig struct {
	grant  *refreshtoken.Grant
	tokens *service.Tokens
	signer *jwt.HS256
	store  *memory.Store
	hasher *hashing.HMAC
	clock  *clock
}

func newRig() rig {
	c := &clock{now: time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)}
	store, signer, hasher := memory.NewStore(), jwt.NewHS256([]byte("0123456789abcdef0123456789abcdef")), hashing.NewHMAC([]byte("refresh-hash-key"))
	tokens := service.NewTokens(service.TokenConfig{Issuer: "https://id.example", AccessTTL: time.Minute, RefreshTTL: time.Hour},
		service.TokenDeps{Signer: signer, Access: store, Refresh: store, Revoked: memory.NewRevocationCache(c), Hasher: hasher, Random: system.Random{}, Clock: c})
	return rig{grant: refreshtoken.NewWith(tokens), tokens: tokens, signer: signer, store: store, hasher: hasher, clock: c}
}

// issue returns a refresh token of client for alice with scopes.
func (r rig) issue(t *testing.T, c core.Client, scopes ...string) string {
	t.Helper()
	resp, err := r.tokens.Issue(context.Background(), service.Grant{Client: c, UserID: "alice", Scopes: scopes, WithRefresh: true, GrantType: core.GrantAuthorizationCode})
	require.NoError(t, err)
	require.NotEmpty(t, resp.RefreshToken)
	return resp.RefreshToken
}

func (r rig) refresh(c core.Client, raw string, scopes ...string) (core.TokenResponse, error) {
	return r.grant.Token(context.Background(), grants.Request{
		GrantType: core.GrantRefreshToken, Client: c, Scopes: scopes, ScopeRequested: scopes != nil,
		Params: grants.Params{"refresh_token": raw},
	})
}

// RFC 6749 §6: a narrower scope narrows the new access token; the refresh
// token keeps the scope originally granted, so a later refresh without a
// scope gets all of it back.
func TestNarrowingNarrowsOnlyTheAccessToken(t *testing.T) {
	r := newRig()
	rt := r.issue(t, client, "read", "write")

	narrowed, err := r.refresh(client, rt, "read")
	require.NoError(t, err)
	assert.Equal(t, "read", narrowed.Scope)
	at, err := r.signer.Verify(context.Background(), narrowed.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, []string{"read"}, at.Scopes)
	assert.Equal(t, "alice", at.Subject)
	stored, err := r.store.GetRefreshToken(context.Background(), r.hasher.Hash(narrowed.RefreshToken))
	require.NoError(t, err)
	assert.Equal(t, []string{"read", "write"}, stored.Scopes, "the refresh token keeps the original grant")

	whole, err := r.refresh(client, narrowed.RefreshToken)
	require.NoError(t, err)
	at, err = r.signer.Verify(context.Background(), whole.AccessToken)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"read", "write"}, at.Scopes, "absent scope: the original one")

	_, err = r.refresh(client, whole.RefreshToken, "admin")
	assertCode(t, err, core.CodeInvalidScope)
}

func TestRefusals(t *testing.T) {
	other := core.Client{ID: "other", Public: true, GrantTypes: []string{core.GrantRefreshToken}}
	tests := []struct {
		name string
		// give returns the token to present after arranging the rig.
		give func(t *testing.T, r rig) string
		by   core.Client
	}{
		{"unknown", func(t *testing.T, r rig) string { return "not-a-refresh-token" }, client},
		{"another client's", func(t *testing.T, r rig) string { return r.issue(t, other, "read") }, client},
		{"expired", func(t *testing.T, r rig) string {
			rt := r.issue(t, client, "read")
			r.clock.now = r.clock.now.Add(time.Hour)
			return rt
		}, client},
		{"revoked", func(t *testing.T, r rig) string {
			rt := r.issue(t, client, "read")
			_, err := r.store.RevokeRefreshTokens(context.Background(), core.TokenFilter{UserID: "alice"}, r.clock.now)
			require.NoError(t, err)
			return rt
		}, client},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig()
			got, err := r.refresh(tt.by, tt.give(t, r))
			assertCode(t, err, core.CodeInvalidGrant)
			assert.Empty(t, got.AccessToken)
		})
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	var oe *core.OAuthError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, code, oe.Code)
}

// A refresh carries what the client may have now: a scope the client lost
// is gone from the access token and from the successor, with or without a
// scope parameter (issue 24 §1).
func TestRefreshIsBoundedByTheClientNow(t *testing.T) {
	r := newRig()
	rt := r.issue(t, client, "read", "write")
	shrunk := client
	shrunk.Scopes = []string{"read"}

	got, err := r.refresh(shrunk, rt)
	require.NoError(t, err)
	assert.Equal(t, "read", got.Scope)
	stored, err := r.store.GetRefreshToken(context.Background(), r.hasher.Hash(got.RefreshToken))
	require.NoError(t, err)
	assert.Equal(t, []string{"read"}, stored.Scopes, "the successor is narrowed too")

	again, err := r.refresh(client, got.RefreshToken)
	require.NoError(t, err)
	assert.Equal(t, "read", again.Scope, "a scope given back to the client does not come back to the family")
}

// A family rests on its sign-in: after the person's cutoff (a password
// change) it refreshes no more, even when its tokens were never revoked
// (a rotation racing the change); and its access token never outlives it.
func TestRefreshAfterTheCutoffAndAtTheEnd(t *testing.T) {
	ctx := context.Background()
	r := newRig()
	require.NoError(t, r.store.CreateUser(ctx, core.User{ID: "alice", Email: "alice@example.com"}))
	rt, err := r.tokens.Issue(ctx, service.Grant{Client: client, UserID: "alice", Scopes: []string{"read"}, WithRefresh: true,
		GrantType: core.GrantAuthorizationCode, AuthTime: r.clock.now})
	require.NoError(t, err)

	r.clock.now = r.clock.now.Add(time.Hour - 30*time.Second)
	late, err := r.refresh(client, rt.RefreshToken)
	require.NoError(t, err)
	at, err := r.signer.Verify(ctx, late.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2030, 1, 1, 13, 0, 0, 0, time.UTC), at.ExpiresAt, "the access token ends with its family")
	assert.Equal(t, int64(30), late.ExpiresIn)

	_, err = r.store.UpdateUser(ctx, "alice", func(u core.User) (core.User, error) {
		u.NotBefore = r.clock.now
		return u, nil
	})
	require.NoError(t, err)
	_, err = r.refresh(client, late.RefreshToken)
	assertCode(t, err, core.CodeInvalidGrant)
}
