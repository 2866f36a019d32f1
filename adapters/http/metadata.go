package http

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/grants"
)

// metadata is the base of the RFC 8414 §2 document, what the edge itself
// serves; the installed grants add their members (grants.Contribution).
type metadata struct {
	Issuer                                 string   `json:"issuer"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	JWKSURI                                string   `json:"jwks_uri"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	IntrospectionAuthMethodsSupported      []string `json:"introspection_endpoint_auth_methods_supported"`
	ServiceDocumentation                   string   `json:"service_documentation"`
}

// buildMetadata is the RFC 8414 document: the edge's members, then each
// installed grant's. "none" is an authentication method when some grant
// lets a public client in.
func (h *Handler) buildMetadata() ([]byte, error) {
	iss := h.tokens.Issuer()
	confidential := []string{"client_secret_basic", "client_secret_post"}
	withNone := confidential
	for _, g := range h.grants.Grants() {
		if !g.RequiresClientAuth() {
			withNone = append(append([]string(nil), confidential...), "none")
			break
		}
	}
	base := metadata{
		Issuer: iss, TokenEndpoint: iss + "/oauth/token", JWKSURI: iss + "/.well-known/jwks.json",
		ResponseTypesSupported: []string{}, GrantTypesSupported: h.grants.Names(),
		TokenEndpointAuthMethodsSupported: withNone,
		RevocationEndpoint:                iss + "/oauth/revoke", RevocationEndpointAuthMethodsSupported: withNone,
		IntrospectionEndpoint: iss + "/oauth/introspect", IntrospectionAuthMethodsSupported: confidential,
		ServiceDocumentation: iss + "/api-docs",
	}
	doc, err := toMembers(base)
	if err != nil {
		return nil, err
	}
	for _, g := range h.grants.Grants() {
		c := grants.ContributionOf(g)
		members := map[string]any{}
		for k, v := range c.Metadata {
			members[k] = v
		}
		for _, e := range c.Endpoints {
			if e.MetadataName != "" {
				members[e.MetadataName] = iss + e.Path
			}
		}
		if err := mergeMembers(doc, members); err != nil {
			return nil, fmt.Errorf("metadata of grant %s: %w", g.GrantType(), err)
		}
	}
	if h.openID() {
		if err := mergeMembers(doc, h.openIDMetadata(iss)); err != nil {
			return nil, fmt.Errorf("OpenID metadata: %w", err)
		}
	}
	return json.Marshal(doc)
}

func toMembers(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// mergeMembers adds members to doc: a list is joined with the list already
// there, without repeats; a scalar must not be there yet.
func mergeMembers(doc, members map[string]any) error {
	add, err := toMembers(members)
	if err != nil {
		return err
	}
	for k, v := range add {
		list, isList := v.([]any)
		old, present := doc[k]
		if !present {
			doc[k] = v
			continue
		}
		oldList, oldIsList := old.([]any)
		if !isList || !oldIsList {
			return fmt.Errorf("member %s is set twice", k)
		}
		for _, x := range list {
			if !slices.Contains(oldList, x) {
				oldList = append(oldList, x)
			}
		}
		doc[k] = oldList
	}
	return nil
}

func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(h.metadataDocument(r.Context()))
}

// metadataDocument is the RFC 8414 document as served: the members built
// at start (h.metadata) and scopes_supported, which changes as scopes are
// created and deleted. scopes_supported comes from the scope catalogue,
// read at most once per scopeListTTL; when the store fails, the last list
// read is served (an empty one before the first).
func (h *Handler) metadataDocument(ctx context.Context) []byte {
	names := h.discoverableScopes.get(ctx, h)
	if h.openID() && h.grants.Has(core.GrantRefreshToken) {
		// OpenID Connect Core §11, Discovery §3: offline_access is
		// understood (core.OpenIDRequestScope).
		names = append(append(make([]string, 0, len(names)+1), names...), core.ScopeOfflineAccess)
		slices.Sort(names)
	}
	scopes, _ := json.Marshal(names)
	base := bytes.TrimSuffix(bytes.TrimSpace(h.metadata), []byte("}"))
	out := make([]byte, 0, len(base)+len(scopes)+24)
	out = append(out, base...)
	out = append(out, `,"scopes_supported":`...)
	out = append(out, scopes...)
	return append(out, '}')
}

// scopeListTTL is how long a read of the scope catalogue serves the
// metadata; a scope created or deleted shows there within it.
const scopeListTTL = 30 * time.Second

// scopeList caches the discoverable scope names, so a burst of metadata
// requests costs one read of the store per scopeListTTL.
type scopeList struct {
	mu    sync.Mutex
	names []string
	read  time.Time
}

func (l *scopeList) get(ctx context.Context, h *Handler) []string {
	if h.scopes == nil {
		return []string{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := h.clock.Now()
	if l.names != nil && now.Sub(l.read) < scopeListTTL && !now.Before(l.read) {
		return l.names
	}
	names, err := h.scopes.Discoverable(ctx)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "metadata: scope list unavailable; serving the last one read",
			slog.String("request_id", requestID(ctx)), slog.String("error", err.Error()))
		if l.names == nil {
			return []string{}
		}
		return l.names
	}
	if names == nil {
		names = []string{}
	}
	l.names, l.read = names, now
	return names
}

func (h *Handler) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	// A new signing key is published at least this long before it signs
	// (JWKS_CACHE_MAX_AGE), so a verifier that caches the set for its
	// max-age and never refetches on an unknown kid misses no token.
	w.Header().Set("Cache-Control", h.jwksCacheControl)
	_, _ = w.Write(h.signer.JWKS())
}
