package oidcrp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// Defaults of Options.
const (
	DefaultCacheTTL         = time.Hour
	DefaultMaxProviders     = 100
	DefaultRequestTimeout   = 10 * time.Second
	DefaultMaxResponseBytes = 1 << 20
)

// Options tune the relying party; zero values take the defaults.
type Options struct {
	// Client makes the requests to providers; its Transport is wrapped to
	// bound the size of each answer. Nil: a client of its own.
	Client *http.Client
	// CacheTTL is how long a discovery document (and the key set it
	// names) is used before it is read again.
	CacheTTL time.Duration
	// MaxProviders bounds the cached documents.
	MaxProviders int
	// RequestTimeout bounds each request to a provider.
	RequestTimeout time.Duration
	// MaxResponseBytes bounds each answer of a provider.
	MaxResponseBytes int64
	// Now is the clock id_tokens are checked against.
	Now func() time.Time
}

// RP implements ports.UpstreamOIDC.
type RP struct {
	opts   Options
	client *http.Client

	mu    sync.Mutex
	cache map[string]cached // by issuer
}

type cached struct {
	provider *oidc.Provider
	at       time.Time
}

var _ ports.UpstreamOIDC = (*RP)(nil)

// New returns a relying party.
func New(opts Options) *RP {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.MaxProviders <= 0 {
		opts.MaxProviders = DefaultMaxProviders
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = DefaultRequestTimeout
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	base := http.DefaultTransport
	if opts.Client != nil && opts.Client.Transport != nil {
		base = opts.Client.Transport
	}
	client := &http.Client{
		Transport: limitedTransport{base: base, max: opts.MaxResponseBytes},
		Timeout:   opts.RequestTimeout,
		// A provider's endpoints answer directly; a redirect is not
		// followed to wherever it points.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &RP{opts: opts, client: client, cache: map[string]cached{}}
}

// limitedTransport cuts every answer at max bytes, so a provider cannot
// make identityd read without end.
type limitedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = limitedBody{Reader: io.LimitReader(resp.Body, t.max), Closer: resp.Body}
	return resp, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}

// discoveryBase is where issuer's discovery document is read: the issuer
// itself, or for the Entra ID multi-tenant template the "common"
// authority, whose document names the template as its issuer.
func discoveryBase(issuer string) string {
	if issuer == core.EntraMultiTenantIssuer {
		return "https://login.microsoftonline.com/common/v2.0"
	}
	return issuer
}

// provider returns the discovered provider of issuer, from the cache when
// it is fresh.
func (rp *RP) provider(ctx context.Context, issuer string) (*oidc.Provider, error) {
	now := time.Now()
	rp.mu.Lock()
	c, ok := rp.cache[issuer]
	rp.mu.Unlock()
	if ok && now.Sub(c.at) < rp.opts.CacheTTL {
		return c.provider, nil
	}
	p, err := rp.discover(ctx, issuer)
	if err != nil {
		return nil, err
	}
	rp.mu.Lock()
	if len(rp.cache) >= rp.opts.MaxProviders {
		for k, v := range rp.cache {
			if now.Sub(v.at) >= rp.opts.CacheTTL || len(rp.cache) >= rp.opts.MaxProviders {
				delete(rp.cache, k)
			}
		}
	}
	rp.cache[issuer] = cached{provider: p, at: now}
	rp.mu.Unlock()
	return p, nil
}

// discover reads the discovery document of issuer and checks that it
// names issuer exactly (OpenID Connect Discovery 1.0 §4.3) and has the
// endpoints the code flow needs.
func (rp *RP) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, rp.client), rp.opts.RequestTimeout)
	defer cancel()
	// The document's issuer is compared below, the same way for the
	// Entra template (read from another address) as for any issuer.
	p, err := oidc.NewProvider(oidc.InsecureIssuerURLContext(ctx, issuer), discoveryBase(issuer))
	if err != nil {
		if isUnreachable(err) {
			return nil, fmt.Errorf("discovery of %s: %w: %w", issuer, core.ErrUnavailable, err)
		}
		return nil, &core.ValidationError{Fields: map[string]string{"issuer": "the discovery document at " + discoveryBase(issuer) + "/.well-known/openid-configuration could not be read: " + shorten(err.Error())}}
	}
	var doc struct {
		Issuer                string   `json:"issuer"`
		AuthorizationEndpoint string   `json:"authorization_endpoint"`
		TokenEndpoint         string   `json:"token_endpoint"`
		JWKSURI               string   `json:"jwks_uri"`
		ResponseTypes         []string `json:"response_types_supported"`
	}
	if err := p.Claims(&doc); err != nil {
		return nil, &core.ValidationError{Fields: map[string]string{"issuer": "the discovery document is not valid JSON"}}
	}
	switch {
	case doc.Issuer != issuer:
		return nil, &core.ValidationError{Fields: map[string]string{"issuer": fmt.Sprintf("the discovery document names the issuer %q, not %q", shorten(doc.Issuer), issuer)}}
	case doc.AuthorizationEndpoint == "" || doc.TokenEndpoint == "" || doc.JWKSURI == "":
		return nil, &core.ValidationError{Fields: map[string]string{"issuer": "the discovery document lacks authorization_endpoint, token_endpoint or jwks_uri"}}
	case len(doc.ResponseTypes) > 0 && !slices.Contains(doc.ResponseTypes, "code"):
		return nil, &core.ValidationError{Fields: map[string]string{"issuer": "the provider does not support response_type=code"}}
	}
	return p, nil
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// isUnreachable tells a provider that did not answer (network, timeout,
// a 5xx) from one that answered wrongly.
func isUnreachable(err error) bool {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.Response != nil && re.Response.StatusCode >= 500
	}
	var netErr interface{ Timeout() bool }
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "no such host", "connection reset", "EOF", "502 ", "503 ", "504 ", "500 "} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// Discover implements ports.UpstreamOIDC; a document read at creation is
// cached as any other.
func (rp *RP) Discover(ctx context.Context, issuer string) error {
	p, err := rp.discover(ctx, issuer)
	if err != nil {
		return err
	}
	rp.mu.Lock()
	if len(rp.cache) < rp.opts.MaxProviders {
		rp.cache[issuer] = cached{provider: p, at: time.Now()}
	}
	rp.mu.Unlock()
	return nil
}

func (rp *RP) config(p core.IdentityProvider, prov *oidc.Provider, secret, redirectURI string) *oauth2.Config {
	return &oauth2.Config{
		ClientID: p.ClientID, ClientSecret: secret, Endpoint: prov.Endpoint(),
		RedirectURL: redirectURI, Scopes: p.UpstreamScopes(),
	}
}

// AuthCodeURL implements ports.UpstreamOIDC.
func (rp *RP) AuthCodeURL(ctx context.Context, p core.IdentityProvider, a ports.UpstreamRequest) (string, error) {
	prov, err := rp.provider(ctx, p.Issuer)
	if err != nil {
		return "", err
	}
	return rp.config(p, prov, "", a.RedirectURI).AuthCodeURL(a.State, oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)), nil
}

// idClaims are the claims read from a verified id_token.
type idClaims struct {
	AuthorizedParty string          `json:"azp"`
	Email           string          `json:"email"`
	EmailVerified   json.RawMessage `json:"email_verified"`
	GivenName       string          `json:"given_name"`
	FamilyName      string          `json:"family_name"`
	Name            string          `json:"name"`
	TenantID        string          `json:"tid"`
	// EmailDomainOwnerVerified is Entra ID's optional claim xms_edov:
	// the domain of the address is verified by its owner.
	EmailDomainOwnerVerified json.RawMessage `json:"xms_edov"`
}

// truthy reads a JSON boolean, or the string "true" some providers send.
func truthy(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "true" || s == `"true"`
}

func invalid(desc string, err error) error {
	return &core.UpstreamError{Code: core.UpstreamInvalid, Description: desc, Err: err}
}

// Exchange implements ports.UpstreamOIDC.
func (rp *RP) Exchange(ctx context.Context, p core.IdentityProvider, secret string, a ports.UpstreamRequest, code string) (core.UpstreamIdentity, error) {
	prov, err := rp.provider(ctx, p.Issuer)
	if err != nil {
		return core.UpstreamIdentity{}, err
	}
	cctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, rp.client), rp.opts.RequestTimeout)
	defer cancel()
	tok, err := rp.config(p, prov, secret, a.RedirectURI).Exchange(cctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		if isUnreachable(err) {
			return core.UpstreamIdentity{}, fmt.Errorf("token request to %s: %w: %w", p.Issuer, core.ErrUnavailable, err)
		}
		return core.UpstreamIdentity{}, invalid("the provider refused the authorization code", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return core.UpstreamIdentity{}, invalid("the provider's token response has no id_token", nil)
	}
	entra := p.Issuer == core.EntraMultiTenantIssuer
	// The provider's shared key set is cached with it and fetched again
	// when an id_token names a kid it does not hold (key rotation).
	verifier := prov.Verifier(&oidc.Config{
		ClientID: p.ClientID, Now: rp.opts.Now,
		// The template's iss depends on the tenant: checked below.
		SkipIssuerCheck: entra,
	})
	idt, err := verifier.Verify(cctx, raw)
	if err != nil {
		if isUnreachable(err) {
			return core.UpstreamIdentity{}, fmt.Errorf("key set of %s: %w: %w", p.Issuer, core.ErrUnavailable, err)
		}
		return core.UpstreamIdentity{}, invalid("the provider's id_token does not verify", err)
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return core.UpstreamIdentity{}, invalid("the provider's id_token has malformed claims", err)
	}
	// Core §3.1.3.7 (3-5): aud contains our client_id (checked by the
	// verifier); with several audiences azp must be present, and when
	// present it must be our client_id.
	if len(idt.Audience) > 1 && c.AuthorizedParty == "" {
		return core.UpstreamIdentity{}, invalid("the id_token has several audiences and no azp", nil)
	}
	if c.AuthorizedParty != "" && c.AuthorizedParty != p.ClientID {
		return core.UpstreamIdentity{}, invalid("the id_token was issued to another party (azp)", nil)
	}
	// Core §3.1.3.7 (11): the nonce sent in the authentication request.
	if a.Nonce == "" || idt.Nonce != a.Nonce {
		return core.UpstreamIdentity{}, invalid("the id_token's nonce does not match this sign-in", nil)
	}
	if idt.Subject == "" || len(idt.Subject) > 255 {
		return core.UpstreamIdentity{}, invalid("the id_token has no usable sub", nil)
	}
	issuer := idt.Issuer
	if entra {
		want := core.EntraIssuerFor(c.TenantID)
		if want == "" || idt.Issuer != want {
			return core.UpstreamIdentity{}, invalid("the id_token's iss does not match its tenant (tid)", nil)
		}
	} else if issuer != p.Issuer {
		// Google's id_tokens may say accounts.google.com: the
		// configured issuer is the one links are keyed by.
		issuer = p.Issuer
	}
	if at := idt.AccessTokenHash; at != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return core.UpstreamIdentity{}, invalid("the id_token's at_hash does not match the access token", err)
		}
	}
	verified := truthy(c.EmailVerified)
	if core.IsEntraID(p.Issuer) {
		// Entra ID's email claim is not verified and can be set by the
		// tenant's users ("nOAuth"): only xms_edov, an optional claim the
		// operator adds to the app registration, says the address's
		// domain is verified by its owner.
		verified = truthy(c.EmailDomainOwnerVerified)
	}
	return core.UpstreamIdentity{
		Issuer: issuer, Subject: idt.Subject, Email: c.Email, EmailVerified: verified,
		GivenName: c.GivenName, FamilyName: c.FamilyName, Name: c.Name,
	}, nil
}
