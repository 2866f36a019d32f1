package porttest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// IdentityProviderFixture is an identity-provider and link repository and
// a way to make a person that links may refer to.
type IdentityProviderFixture struct {
	Repo interface {
		ports.IdentityProviderRepository
		ports.IdentityLinkRepository
	}
	// NewUser makes a person and returns their id.
	NewUser func(t *testing.T) string
}

// NewIdentityProviderFixture is the fixture of a store that also keeps
// the people (a store that checks references).
func NewIdentityProviderFixture(s interface {
	ports.IdentityProviderRepository
	ports.IdentityLinkRepository
	ports.UserRepository
}) IdentityProviderFixture {
	return IdentityProviderFixture{Repo: s, NewUser: func(t *testing.T) string {
		t.Helper()
		u := newUser(uniq("u") + "@example.com")
		require.NoError(t, s.CreateUser(context.Background(), u))
		return u.ID
	}}
}

func newProvider(id string) core.IdentityProvider {
	return core.IdentityProvider{
		ID: id, Name: "Provider " + id, Issuer: "https://" + id + ".example", ClientID: "rp-" + id,
		ClientSecretSealed: []byte{0, 1, 2, 255}, Scopes: []string{"email", "profile"},
		LinkByEmail: true, CreatedAt: base, UpdatedAt: base,
	}
}

// RunIdentityProviderTests runs the contract of
// ports.IdentityProviderRepository and ports.IdentityLinkRepository
// against repositories made by newFixture, a fresh one per subtest.
func RunIdentityProviderTests(t *testing.T, newFixture func(t *testing.T) IdentityProviderFixture) {
	t.Helper()
	ctx := context.Background()
	t.Run("create get list", func(t *testing.T) {
		f := newFixture(t)
		b, a := newProvider("bb"), newProvider("aa")
		a.Scopes = nil
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, b))
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, a))
		assert.ErrorIs(t, f.Repo.CreateIdentityProvider(ctx, a), core.ErrAlreadyExists)
		got, err := f.Repo.GetIdentityProvider(ctx, "bb")
		require.NoError(t, err)
		assert.Equal(t, b, got)
		list, err := f.Repo.ListIdentityProviders(ctx)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, "aa", list[0].ID)
		assert.Empty(t, list[0].Scopes)
		assert.Equal(t, b, list[1])
		_, err = f.Repo.GetIdentityProvider(ctx, "cc")
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("returned values are copies", func(t *testing.T) {
		f := newFixture(t)
		p := newProvider("cp")
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, p))
		p.Scopes[0], p.ClientSecretSealed[0] = "changed", 9
		got, err := f.Repo.GetIdentityProvider(ctx, "cp")
		require.NoError(t, err)
		assert.Equal(t, "email", got.Scopes[0])
		assert.Equal(t, byte(0), got.ClientSecretSealed[0])
	})
	t.Run("update", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, newProvider("up")))
		later := base.Add(3600e9)
		got, err := f.Repo.UpdateIdentityProvider(ctx, "up", func(p core.IdentityProvider) (core.IdentityProvider, error) {
			p.ID, p.Name, p.Issuer, p.ClientID = "other", "Renamed", "https://new.example", "rp-new"
			p.ClientSecretSealed, p.Scopes, p.LinkByEmail, p.UpdatedAt = []byte("new"), []string{"email"}, false, later
			return p, nil
		})
		require.NoError(t, err)
		assert.Equal(t, "up", got.ID, "the id cannot change")
		stored, err := f.Repo.GetIdentityProvider(ctx, "up")
		require.NoError(t, err)
		assert.Equal(t, got, stored)
		assert.Equal(t, "Renamed", stored.Name)
		assert.Equal(t, []byte("new"), stored.ClientSecretSealed)
		assert.False(t, stored.LinkByEmail)
		assert.Equal(t, base, stored.CreatedAt)
		assert.Equal(t, later, stored.UpdatedAt)

		boom := errors.New("refused")
		_, err = f.Repo.UpdateIdentityProvider(ctx, "up", func(p core.IdentityProvider) (core.IdentityProvider, error) {
			p.Name = "not written"
			return p, boom
		})
		assert.ErrorIs(t, err, boom)
		stored, err = f.Repo.GetIdentityProvider(ctx, "up")
		require.NoError(t, err)
		assert.Equal(t, "Renamed", stored.Name)
		_, err = f.Repo.UpdateIdentityProvider(ctx, "none", func(p core.IdentityProvider) (core.IdentityProvider, error) { return p, nil })
		assert.ErrorIs(t, err, core.ErrNotFound)
	})
	t.Run("concurrent updates each see the one before", func(t *testing.T) {
		f := newFixture(t)
		p := newProvider("cc")
		p.Scopes = nil
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, p))
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.Repo.UpdateIdentityProvider(ctx, "cc", func(p core.IdentityProvider) (core.IdentityProvider, error) {
					p.Scopes = append(p.Scopes, "s")
					return p, nil
				})
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		got, err := f.Repo.GetIdentityProvider(ctx, "cc")
		require.NoError(t, err)
		assert.Len(t, got.Scopes, 8)
	})
	t.Run("links", func(t *testing.T) {
		f := newFixture(t)
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, newProvider("la")))
		require.NoError(t, f.Repo.CreateIdentityProvider(ctx, newProvider("lb")))
		u1, u2 := f.NewUser(t), f.NewUser(t)
		l := core.IdentityLink{UserID: u1, ProviderID: "lb", Issuer: "https://lb.example", Subject: "sub-1", Email: "a@example.com", CreatedAt: base}
		require.NoError(t, f.Repo.CreateIdentityLink(ctx, l))
		got, err := f.Repo.GetIdentityLink(ctx, "https://lb.example", "sub-1")
		require.NoError(t, err)
		assert.Equal(t, l, got)
		_, err = f.Repo.GetIdentityLink(ctx, "https://lb.example", "SUB-1")
		assert.ErrorIs(t, err, core.ErrNotFound, "subjects compare exactly")
		_, err = f.Repo.GetIdentityLink(ctx, "https://other.example", "sub-1")
		assert.ErrorIs(t, err, core.ErrNotFound, "a subject is only unique within its issuer")

		dup := l
		dup.UserID = u2
		assert.ErrorIs(t, f.Repo.CreateIdentityLink(ctx, dup), core.ErrAlreadyExists, "one upstream account, one person")
		second := core.IdentityLink{UserID: u1, ProviderID: "lb", Issuer: "https://lb.example", Subject: "sub-2", CreatedAt: base}
		assert.ErrorIs(t, f.Repo.CreateIdentityLink(ctx, second), core.ErrAlreadyExists, "one link per person and provider")
		assert.ErrorIs(t, f.Repo.CreateIdentityLink(ctx, core.IdentityLink{UserID: u1, ProviderID: "gone", Issuer: "x", Subject: "y", CreatedAt: base}), core.ErrConflict)

		other := core.IdentityLink{UserID: u1, ProviderID: "la", Issuer: "https://la.example", Subject: "sub-1", CreatedAt: base}
		require.NoError(t, f.Repo.CreateIdentityLink(ctx, other))
		list, err := f.Repo.ListIdentityLinks(ctx, u1)
		require.NoError(t, err)
		require.Len(t, list, 2)
		assert.Equal(t, "la", list[0].ProviderID)
		assert.Equal(t, "lb", list[1].ProviderID)
		list, err = f.Repo.ListIdentityLinks(ctx, u2)
		require.NoError(t, err)
		assert.Empty(t, list)

		require.NoError(t, f.Repo.DeleteIdentityLink(ctx, u1, "la"))
		assert.ErrorIs(t, f.Repo.DeleteIdentityLink(ctx, u1, "la"), core.ErrNotFound)
		assert.ErrorIs(t, f.Repo.DeleteIdentityLink(ctx, u2, "lb"), core.ErrNotFound, "only the person's own link")
		_, err = f.Repo.GetIdentityLink(ctx, "https://lb.example", "sub-1")
		assert.NoError(t, err)

		require.NoError(t, f.Repo.DeleteIdentityProvider(ctx, "lb"))
		assert.ErrorIs(t, f.Repo.DeleteIdentityProvider(ctx, "lb"), core.ErrNotFound)
		_, err = f.Repo.GetIdentityLink(ctx, "https://lb.example", "sub-1")
		assert.ErrorIs(t, err, core.ErrNotFound, "deleting a provider deletes its links")
		list, err = f.Repo.ListIdentityLinks(ctx, u1)
		require.NoError(t, err)
		assert.Empty(t, list)
	})
}
