package http

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

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
