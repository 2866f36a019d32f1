package grants

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
)

// Request is a token request (RFC 6749 §4) after the token endpoint has done
// the steps every grant shares: the client is authenticated and allowed this
// grant type, and Scopes holds the parsed scope parameter, already checked
// against the client's scopes (nil when the parameter was absent).
type Request struct {
	Client core.Client
	Form   url.Values
	Scopes []string
}

// Grant is one grant type.
type Grant interface {
	// Type is the grant_type value it answers.
	Type() string
	// Token validates the grant-specific part of the request and issues
	// tokens. Errors are core.OAuthError values for anything the client
	// did wrong.
	Token(ctx context.Context, r Request) (core.TokenResponse, error)
}

// Registry holds the installed grants by type.
type Registry struct {
	byType map[string]Grant
	names  []string
}

// NewRegistry builds the registry; two grants of one type are an error.
func NewRegistry(gs []Grant) (*Registry, error) {
	r := &Registry{byType: make(map[string]Grant, len(gs))}
	for _, g := range gs {
		if _, dup := r.byType[g.Type()]; dup {
			return nil, fmt.Errorf("grant type %q registered twice", g.Type())
		}
		r.byType[g.Type()] = g
		r.names = append(r.names, g.Type())
	}
	sort.Strings(r.names)
	return r, nil
}

// Get returns the grant for a grant_type value.
func (r *Registry) Get(grantType string) (Grant, bool) {
	g, ok := r.byType[grantType]
	return g, ok
}

// Has reports whether a grant type is installed.
func (r *Registry) Has(grantType string) bool {
	_, ok := r.byType[grantType]
	return ok
}

// Names lists the installed grant types in order.
func (r *Registry) Names() []string { return append([]string(nil), r.names...) }

// GroupTag is the fx value group grants are provided into.
const GroupTag = `group:"grants"`

// Provide returns an fx option that provides the Grant made by constructor
// into the grants group.
func Provide(constructor any) fx.Option {
	return fx.Provide(fx.Annotate(constructor, fx.As(new(Grant)), fx.ResultTags(GroupTag)))
}

// Module provides the Registry built from the grants group.
var Module = fx.Module("grants",
	fx.Provide(fx.Annotate(NewRegistry, fx.ParamTags(GroupTag))),
)
