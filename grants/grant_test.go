package grants_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
)

type fakeGrant struct {
	typ  string
	path string
}

func (f fakeGrant) GrantType() string               { return f.typ }
func (f fakeGrant) RequiresClientAuth() bool        { return true }
func (f fakeGrant) ScopePolicy() grants.ScopePolicy { return grants.ScopeClientDefault }
func (f fakeGrant) Token(context.Context, grants.Request) (core.TokenResponse, error) {
	return core.TokenResponse{}, nil
}
func (f fakeGrant) Contribute() grants.Contribution {
	if f.path == "" {
		return grants.Contribution{}
	}
	return grants.Contribution{Endpoints: []grants.Endpoint{{Path: f.path, Flow: grants.FlowAuthorize}}}
}

func TestRegistry(t *testing.T) {
	r, err := grants.NewRegistry([]grants.Grant{fakeGrant{typ: "b"}, fakeGrant{typ: "a"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, r.Names())
	assert.True(t, r.Has("a"))
	assert.False(t, r.Has("c"))
	g, ok := r.Get("b")
	require.True(t, ok)
	assert.Equal(t, "b", g.GrantType())
	assert.Equal(t, []string{"a", "b"}, []string{r.Grants()[0].GrantType(), r.Grants()[1].GrantType()})
}

func TestRegistryRejects(t *testing.T) {
	tests := []struct {
		name    string
		give    []grants.Grant
		wantErr string
	}{
		{"one type twice", []grants.Grant{fakeGrant{typ: "a"}, fakeGrant{typ: "a"}}, "registered twice"},
		{"one path twice", []grants.Grant{fakeGrant{typ: "a", path: "/x"}, fakeGrant{typ: "b", path: "/x"}}, "both serve /x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := grants.NewRegistry(tt.give)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestParams(t *testing.T) {
	p := grants.Params{"a": "1"}
	assert.Equal(t, "1", p.Get("a"))
	assert.True(t, p.Has("a"))
	assert.False(t, p.Has("b"))
	assert.Empty(t, p.Get("b"))
}
