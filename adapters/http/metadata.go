package http

import (
	"encoding/json"
	"net/http"

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
}

func (h *Handler) buildMetadata() []byte {
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
		public := append(append([]string(nil), confidential...), "none")
		m.TokenEndpointAuthMethodsSupported = public
		m.RevocationEndpointAuthMethodsSupported = public
	}
	b, _ := json.Marshal(m)
	return b
}

func (h *Handler) serveMetadata(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(h.metadata)
}

func (h *Handler) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(h.signer.JWKS())
}
