package grants_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
)

type fakeGrant string

func (f fakeGrant) Type() string { return string(f) }
func (f fakeGrant) Token(context.Context, grants.Request) (core.TokenResponse, error) {
	return core.TokenResponse{}, nil
}

func TestRegistry(t *testing.T) {
	r, err := grants.NewRegistry([]grants.Grant{fakeGrant("b"), fakeGrant("a")})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, r.Names())
	assert.True(t, r.Has("a"))
	assert.False(t, r.Has("c"))
	g, ok := r.Get("b")
	require.True(t, ok)
	assert.Equal(t, "b", g.Type())
	_, err = grants.NewRegistry([]grants.Grant{fakeGrant("a"), fakeGrant("a")})
	assert.ErrorContains(t, err, "registered twice")
}
