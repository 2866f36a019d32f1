package grants

import (
	"context"
	"fmt"
	"sort"
	"time"

	"go.uber.org/fx"

	"github.com/identityd/identityd/core"
)

// Params are the body parameters of a request to an OAuth endpoint after
// the edge has read them once: each name present at most once (RFC 6749
// §3.1, §3.2) and a parameter sent without a value treated as omitted
// (§3.1).
type Params map[string]string

// Get returns the value of name, "" when absent.
func (p Params) Get(name string) string { return p[name] }

// Has reports whether name was sent with a value.
func (p Params) Has(name string) bool {
	_, ok := p[name]
	return ok
}

// Request is a token request (RFC 6749 §4) parsed once, after the steps
// every grant shares: the client is authenticated and registered for
// GrantType, and Scopes is the scope parameter parsed, checked against the
// client's scopes and completed by the grant's ScopePolicy. A grant reads
// its own parameters from Params and never re-does a shared step.
type Request struct {
	GrantType string
	Client    core.Client
	Params    Params
	// Scopes is what the grant may issue as far as the client is
	// concerned: the requested scope (a subset of the client's), or with
	// no scope parameter and ScopeClientDefault every scope of the client.
	// Nil with no scope parameter and ScopeFromGrant.
	Scopes []string
	// ScopeRequested reports whether the request had a scope parameter.
	ScopeRequested bool
}

// ScopePolicy is what a grant's absent scope parameter means (RFC 6749
// §3.3: the server "MUST either process the request using a pre-defined
// default value or fail"). A present scope parameter is always checked
// against the client's scopes, once, before the grant runs.
type ScopePolicy int

const (
	// ScopeClientDefault grants every scope of the client when the request
	// names none (client_credentials, RFC 6749 §4.4.2).
	ScopeClientDefault ScopePolicy = iota
	// ScopeFromGrant leaves Scopes nil when the request names none: the
	// grant takes the scope of what it redeems (a refresh token, a code, a
	// device authorization) and narrows it by Scopes when present.
	ScopeFromGrant
)

// Grant is one grant type: what the token endpoint dispatches to once the
// shared steps have run.
type Grant interface {
	// GrantType is the grant_type value it answers (RFC 6749 §4.5 for
	// extension grants' absolute URIs).
	GrantType() string
	// RequiresClientAuth reports whether the client must authenticate with
	// a secret; when false a public client identified by client_id alone
	// may use the grant (RFC 6749 §2.1, §3.2.1).
	RequiresClientAuth() bool
	// ScopePolicy says what an absent scope parameter means.
	ScopePolicy() ScopePolicy
	// Token validates the grant-specific part of the request and issues
	// tokens. Errors are core.OAuthError values for anything the client
	// did wrong; anything else becomes server_error.
	Token(ctx context.Context, r Request) (core.TokenResponse, error)
}

// Contributor is a Grant that adds to the server beyond the token
// endpoint: endpoints and RFC 8414 metadata members. The edge asks the
// Registry and names no grant itself.
type Contributor interface {
	Contribute() Contribution
}

// Contribution is what a grant adds to the server.
type Contribution struct {
	// Metadata are RFC 8414 §2 members. A list value is merged with the
	// other grants' values of the same member; a scalar may come from one
	// grant only.
	Metadata map[string]any
	// Endpoints are served at their paths, each listed in the metadata
	// under its MetadataName when that is set.
	Endpoints []Endpoint
}

// Endpoint is an endpoint a grant serves. Exactly one of Client, Page and
// Flow is set.
type Endpoint struct {
	// Path is where it is served, e.g. "/oauth/device_authorization".
	Path string
	// MetadataName is the RFC 8414 member whose value is the endpoint's
	// URL (issuer + Path), e.g. "device_authorization_endpoint".
	MetadataName string
	// Client is an endpoint a client calls like the token endpoint: POST
	// with a form body, client authentication, the client registered for
	// the grant, and the scope parameter under the grant's ScopePolicy,
	// all done by the edge before Client runs. The result is written as
	// JSON with Cache-Control: no-store.
	Client func(ctx context.Context, r Request) (any, error)
	// Page is a page for a signed-in person (it needs the browser
	// session).
	Page PageHandler
	// Flow names a browser flow the edge itself runs, for an endpoint
	// whose pages are the edge's own (FlowAuthorize).
	Flow Flow
}

// Flow is a browser flow the edge provides.
type Flow string

// FlowAuthorize is the authorization endpoint of RFC 6749 §3.1: sign-in,
// consent, and the redirect back to the client with a code.
const FlowAuthorize Flow = "authorize"

// NeedsSession reports whether serving e takes a person's browser session.
func (e Endpoint) NeedsSession() bool { return e.Page != nil || e.Flow != "" }

// PageHandler serves a page to a signed-in person. The edge signs the
// person in first (showing its sign-in page), checks the CSRF token of
// every POST, and renders the returned Page inside its layout.
type PageHandler interface {
	ServePage(ctx context.Context, r PageRequest) (Page, error)
}

// PageRequest is a request for a grant's page.
type PageRequest struct {
	// Post reports a form submission (CSRF-checked by the edge).
	Post bool
	// Params are the query parameters of a GET or the form of a POST,
	// each at most once, empty values omitted.
	Params Params
	User   core.User
	// AuthTime is when the person signed in to the session.
	AuthTime time.Time
}

// Page is what a PageHandler shows: a heading, a message, and an optional
// form posted back to the same path.
type Page struct {
	Status  int
	Title   string
	Message string
	// Error is shown highlighted above the form.
	Error string
	Form  *PageForm
}

// PageForm is a form on a Page. Hidden fields are posted back with the
// button pressed, whose Name and Value are posted too.
type PageForm struct {
	// Input, when set, is the name of one text field to fill in.
	Input      string
	InputLabel string
	InputValue string
	Hidden     map[string]string
	// List is shown above the buttons (e.g. the scopes asked for).
	ListLabel string
	List      []string
	Buttons   []PageButton
}

// PageButton is a submit button.
type PageButton struct {
	Name, Value, Label string
	// Secondary buttons are drawn less prominently (deny, cancel).
	Secondary bool
}

// Registry holds the installed grants by type.
type Registry struct {
	byType map[string]Grant
	names  []string
}

// NewRegistry builds the registry; two grants of one type, or two grants
// serving one path, are an error.
func NewRegistry(gs []Grant) (*Registry, error) {
	r := &Registry{byType: make(map[string]Grant, len(gs))}
	paths := map[string]string{}
	for _, g := range gs {
		t := g.GrantType()
		if _, dup := r.byType[t]; dup {
			return nil, fmt.Errorf("grant type %q registered twice", t)
		}
		r.byType[t] = g
		r.names = append(r.names, t)
		for _, e := range ContributionOf(g).Endpoints {
			if other, dup := paths[e.Path]; dup {
				return nil, fmt.Errorf("grants %q and %q both serve %s", other, t, e.Path)
			}
			paths[e.Path] = t
		}
	}
	sort.Strings(r.names)
	return r, nil
}

// ContributionOf returns what g contributes; nothing unless it is a
// Contributor.
func ContributionOf(g Grant) Contribution {
	if c, ok := g.(Contributor); ok {
		return c.Contribute()
	}
	return Contribution{}
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

// Grants lists the installed grants in the order of Names.
func (r *Registry) Grants() []Grant {
	out := make([]Grant, len(r.names))
	for i, n := range r.names {
		out[i] = r.byType[n]
	}
	return out
}

// Settings are the configuration values grant modules read, supplied by
// the application from its validated configuration (no grant reads the
// environment).
type Settings struct {
	// Issuer is the issuer URL, the base of every endpoint's URL.
	Issuer string
	// DeviceCodeTTL is DEVICE_CODE_EXPIRY, the lifetime of RFC 8628
	// device codes.
	DeviceCodeTTL time.Duration
}

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
