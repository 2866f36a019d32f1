package http

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// identityProviderJSON is a provider as the API shows it: never the client
// secret, sealed or not. redirect_uri is what to register at the
// provider.
type identityProviderJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Issuer      string    `json:"issuer"`
	ClientID    string    `json:"client_id"`
	Scopes      []string  `json:"scopes"`
	LinkByEmail bool      `json:"link_by_email"`
	RedirectURI string    `json:"redirect_uri"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func (h *Handler) toIdentityProviderJSON(p core.IdentityProvider) identityProviderJSON {
	return identityProviderJSON{
		ID: p.ID, Name: p.Name, Issuer: p.Issuer, ClientID: p.ClientID, Scopes: nonNil(p.Scopes), LinkByEmail: p.LinkByEmail,
		RedirectURI: h.upstream.RedirectURI(p.ID), CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt,
	}
}

// identityProviderInput is the body of POST and PUT; client_secret may be
// left out of a PUT to keep the stored one.
type identityProviderInput struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Issuer       string   `json:"issuer"`
	ClientID     string   `json:"client_id"`
	ClientSecret *string  `json:"client_secret"`
	Scopes       []string `json:"scopes"`
	LinkByEmail  bool     `json:"link_by_email"`
}

func (in identityProviderInput) toService() service.IdentityProviderInput {
	return service.IdentityProviderInput{ID: in.ID, Name: in.Name, Issuer: in.Issuer, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Scopes: in.Scopes, LinkByEmail: in.LinkByEmail}
}

// identityProviderRoutes serves /api/identity-providers: every call needs
// clients:admin, since a provider decides who may sign in as whom.
func (h *Handler) identityProviderRoutes(api *mux.Router) {
	if h.idps == nil || h.upstream == nil {
		return
	}
	api.Handle("/identity-providers", h.managed(tierClients, core.ScopeClientsAdmin, h.listIdentityProviders)).Methods(http.MethodGet)
	api.Handle("/identity-providers", h.managed(tierClients, core.ScopeClientsAdmin, h.createIdentityProvider)).Methods(http.MethodPost)
	api.Handle("/identity-providers/{id}", h.managed(tierClients, core.ScopeClientsAdmin, h.getIdentityProvider)).Methods(http.MethodGet)
	api.Handle("/identity-providers/{id}", h.managed(tierClients, core.ScopeClientsAdmin, h.updateIdentityProvider)).Methods(http.MethodPut)
	api.Handle("/identity-providers/{id}", h.managed(tierClients, core.ScopeClientsAdmin, h.deleteIdentityProvider)).Methods(http.MethodDelete)
}

func (h *Handler) listIdentityProviders(w http.ResponseWriter, r *http.Request) {
	items, err := h.idps.List(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]identityProviderJSON, len(items))
	for i, p := range items {
		out[i] = h.toIdentityProviderJSON(p)
	}
	writeJSON(w, http.StatusOK, newListPage(out, ""))
}

func (h *Handler) getIdentityProvider(w http.ResponseWriter, r *http.Request) {
	p, err := h.idps.Get(r.Context(), pathID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.toIdentityProviderJSON(p))
}

func (h *Handler) createIdentityProvider(w http.ResponseWriter, r *http.Request) {
	var in identityProviderInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := h.idps.Create(r.Context(), in.toService())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/identity-providers/"+p.ID)
	writeJSON(w, http.StatusCreated, h.toIdentityProviderJSON(p))
}

func (h *Handler) updateIdentityProvider(w http.ResponseWriter, r *http.Request) {
	var in identityProviderInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	p, err := h.idps.Update(r.Context(), pathID(r), in.toService())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.toIdentityProviderJSON(p))
}

func (h *Handler) deleteIdentityProvider(w http.ResponseWriter, r *http.Request) {
	if err := h.idps.Delete(r.Context(), pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
