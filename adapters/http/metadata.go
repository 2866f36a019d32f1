package http

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/identityd/identityd/core"
)

// metadata is the RFC 8414 §2 document: exactly what this server supports.
type metadata struct {
	Issuer                                 string   `json:"issuer"`
	AuthorizationEndpoint                  string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	JWKSURI                                string   `json:"jwks_uri"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	ResponseModesSupported                 []string `json:"response_modes_supported,omitempty"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	IntrospectionAuthMethodsSupported      []string `json:"introspection_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported,omitempty"`
	ServiceDocumentation                   string   `json:"service_documentation"`
	// ScopesSupported is filled per request from the registered scopes.
	ScopesSupported []string `json:"scopes_supported"`
	// AuthorizationResponseIssParameterSupported: RFC 9207 §3.
	AuthorizationResponseIssParameterSupported bool `json:"authorization_response_iss_parameter_supported,omitempty"`
}

func (h *Handler) buildMetadata() metadata {
	iss := h.tokens.Issuer()
	confidential := []string{"client_secret_basic", "client_secret_post"}
	m := metadata{
		Issuer: iss, TokenEndpoint: iss + "/oauth/token", JWKSURI: iss + "/.well-known/jwks.json",
		ResponseTypesSupported: []string{}, GrantTypesSupported: h.grants.Names(),
		TokenEndpointAuthMethodsSupported: confidential,
		RevocationEndpoint:                iss + "/oauth/revoke", RevocationEndpointAuthMethodsSupported: confidential,
		IntrospectionEndpoint: iss + "/oauth/introspect", IntrospectionAuthMethodsSupported: confidential,
		ServiceDocumentation: iss + "/api-docs",
	}
	if h.grants.Has(core.GrantAuthorizationCode) {
		m.AuthorizationEndpoint = iss + "/oauth/authorize"
		m.ResponseTypesSupported = []string{"code"}
		m.ResponseModesSupported = []string{"query"}
		m.CodeChallengeMethodsSupported = []string{core.PKCEMethodS256}
		m.AuthorizationResponseIssParameterSupported = true
		public := append(append([]string(nil), confidential...), "none")
		m.TokenEndpointAuthMethodsSupported = public
		m.RevocationEndpointAuthMethodsSupported = public
	}
	return m
}

// serveMetadata answers the RFC 8414 document. scopes_supported comes from
// the scope catalogue, read at most once per scopeListTTL; when the store
// fails, the last list read is served (empty before the first).
func (h *Handler) serveMetadata(w http.ResponseWriter, r *http.Request) {
	m := h.metadata
	m.ScopesSupported = h.discoverableScopes.get(r.Context(), h)
	b, err := json.Marshal(m)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
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
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(h.signer.JWKS())
}
