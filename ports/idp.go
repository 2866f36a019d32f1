package ports

import (
	"context"

	"github.com/identityd/identityd/core"
)

// IdentityProviderRepository stores the upstream OpenID Providers people
// may sign in with. Every change is recorded in the change log (kind
// core.ChangeIdentityProvider), so each instance's cache follows it.
type IdentityProviderRepository interface {
	// CreateIdentityProvider stores a new provider; core.ErrAlreadyExists
	// when its id is taken.
	CreateIdentityProvider(ctx context.Context, p core.IdentityProvider) error
	// GetIdentityProvider returns the provider or core.ErrNotFound.
	GetIdentityProvider(ctx context.Context, id string) (core.IdentityProvider, error)
	// ListIdentityProviders returns every provider ordered by id (there
	// are few: each is a button on the sign-in page).
	ListIdentityProviders(ctx context.Context) ([]core.IdentityProvider, error)
	// UpdateIdentityProvider applies fn to the stored provider atomically;
	// an error from fn is returned unchanged and nothing is written; the
	// id cannot change. core.ErrNotFound when there is none.
	UpdateIdentityProvider(ctx context.Context, id string, fn func(core.IdentityProvider) (core.IdentityProvider, error)) (core.IdentityProvider, error)
	// DeleteIdentityProvider removes the provider and every link to it;
	// core.ErrNotFound when there is none.
	DeleteIdentityProvider(ctx context.Context, id string) error
}

// IdentityLinkRepository keeps which person each upstream account (the
// provider's iss and sub) signs in as.
type IdentityLinkRepository interface {
	// CreateIdentityLink stores a link; core.ErrAlreadyExists when the
	// (Issuer, Subject) pair is linked already, or the person already has
	// a link to that provider; core.ErrConflict when the person or the
	// provider does not exist (stores that check references).
	CreateIdentityLink(ctx context.Context, l core.IdentityLink) error
	// GetIdentityLink returns the link of an upstream account or
	// core.ErrNotFound.
	GetIdentityLink(ctx context.Context, issuer, subject string) (core.IdentityLink, error)
	// ListIdentityLinks returns a person's links ordered by provider id.
	ListIdentityLinks(ctx context.Context, userID string) ([]core.IdentityLink, error)
	// DeleteIdentityLink removes a person's link to a provider;
	// core.ErrNotFound when there is none.
	DeleteIdentityLink(ctx context.Context, userID, providerID string) error
}

// UpstreamOIDC is an OpenID Connect relying party towards upstream
// providers: discovery, the authorization request and the verified
// id_token (OpenID Connect Core 1.0 §3.1).
type UpstreamOIDC interface {
	// Discover reads issuer's discovery document (OpenID Connect Discovery
	// 1.0 §4) and checks that it names issuer (§4.3); the multi-tenant
	// Entra ID template is read from its "organizations" document.
	// core.ErrUnavailable when the provider cannot be reached; a
	// *core.ValidationError on "issuer" when its answer is not a valid
	// document for issuer.
	Discover(ctx context.Context, issuer string) error
	// AuthCodeURL returns the provider's authorization endpoint URL for
	// an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OpenID
	// Connect Core §3.1.2.1) with a.State, a.Nonce and the S256 challenge
	// of a.Verifier.
	AuthCodeURL(ctx context.Context, p core.IdentityProvider, a UpstreamRequest) (string, error)
	// Exchange redeems code at the provider's token endpoint with the
	// client secret and a.Verifier, and returns what the id_token says,
	// after verifying it (Core §3.1.3.7: signature by the provider's JWKS,
	// iss, aud, azp, exp, iat, nonce == a.Nonce). A
	// *core.UpstreamError when the provider refuses or the token does not
	// verify; core.ErrUnavailable when it cannot be reached.
	Exchange(ctx context.Context, p core.IdentityProvider, clientSecret string, a UpstreamRequest, code string) (core.UpstreamIdentity, error)
}

// UpstreamRequest is one authorization request to an upstream provider.
type UpstreamRequest struct {
	RedirectURI string
	State       string
	Nonce       string
	// Verifier is the PKCE code_verifier (RFC 7636 §4.1).
	Verifier string
}
