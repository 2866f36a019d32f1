package nearcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/memory"
	"github.com/identityd/identityd/adapters/nearcache"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

func TestIdentityProvidersContract(t *testing.T) {
	t.Parallel()
	porttest.RunIdentityProviderTests(t, func(*testing.T) porttest.IdentityProviderFixture {
		repo := memory.NewIdentityProviders()
		n := 0
		return porttest.IdentityProviderFixture{
			Repo:    cachedProviders{nearcache.NewIdentityProviders(repo, nil), repo},
			NewUser: func(*testing.T) string { n++; return "user-" + string(rune('a'+n)) },
		}
	})
}

// cachedProviders is the cache over the providers and the links beside it.
type cachedProviders struct {
	*nearcache.IdentityProviders
	ports.IdentityLinkRepository
}

// Creating, changing and deleting a provider on one instance reaches the
// cached list of another through the change log.
func TestIdentityProviderChangesReachAnotherInstancesCache(t *testing.T) {
	t.Parallel()
	store, _ := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	a := nearcache.NewIdentityProviders(store, nil)
	b := nearcache.NewIdentityProviders(store, nil)
	fb := nearcache.NewFollower(store, nil, nearcache.Options{PollInterval: time.Hour}, b)
	require.NoError(t, fb.Start(ctx))
	t.Cleanup(fb.Stop)
	names := func() []string {
		list, err := b.ListIdentityProviders(ctx)
		require.NoError(t, err)
		out := []string{}
		for _, p := range list {
			out = append(out, p.Name)
		}
		return out
	}
	require.Empty(t, names())

	p := core.IdentityProvider{ID: "corp", Name: "Corp", Issuer: "https://corp.example", ClientID: "rp", ClientSecretSealed: []byte("x"), CreatedAt: now, UpdatedAt: now}
	require.NoError(t, a.CreateIdentityProvider(ctx, p))
	assert.Empty(t, names(), "b has not read the log yet")
	require.NoError(t, fb.Sync(ctx))
	assert.Equal(t, []string{"Corp"}, names(), "creation")

	_, err := a.UpdateIdentityProvider(ctx, "corp", func(p core.IdentityProvider) (core.IdentityProvider, error) {
		p.Name = "Corp SSO"
		return p, nil
	})
	require.NoError(t, err)
	require.NoError(t, fb.Sync(ctx))
	got, err := b.GetIdentityProvider(ctx, "corp")
	require.NoError(t, err)
	assert.Equal(t, "Corp SSO", got.Name, "update")

	require.NoError(t, a.DeleteIdentityProvider(ctx, "corp"))
	require.NoError(t, fb.Sync(ctx))
	_, err = b.GetIdentityProvider(ctx, "corp")
	assert.ErrorIs(t, err, core.ErrNotFound, "deletion")
}
