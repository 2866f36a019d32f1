package http

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

type clientJSON struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes"`
	Public       bool     `json:"public"`
	FirstParty   bool     `json:"first_party"`
	// PostLogoutRedirectURIs and IDTokenSignedResponseAlg are OpenID
	// Connect Dynamic Client Registration §2 metadata.
	PostLogoutRedirectURIs   []string  `json:"post_logout_redirect_uris"`
	IDTokenSignedResponseAlg string    `json:"id_token_signed_response_alg"`
	CreatedAt                time.Time `json:"created_at"`
	UpdatedAt                time.Time `json:"updated_at"`
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func toClientJSON(c core.Client) clientJSON {
	return clientJSON{
		ClientID: c.ID, Name: c.Name, RedirectURIs: nonNil(c.RedirectURIs), GrantTypes: nonNil(c.GrantTypes),
		Scopes: nonNil(c.Scopes), Public: c.Public, FirstParty: c.FirstParty, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs), IDTokenSignedResponseAlg: c.IDTokenAlg(),
	}
}

type clientInput struct {
	// ClientID is chosen by the caller (clients:admin) or, when empty, by
	// the server; only read on creation.
	ClientID     string   `json:"client_id"`
	Name         string   `json:"name"`
	RedirectURIs []string `json:"redirect_uris"`
	GrantTypes   []string `json:"grant_types"`
	Scopes       []string `json:"scopes"`
	Public       *bool    `json:"public"`
	FirstParty   bool     `json:"first_party"`
	// PostLogoutRedirectURIs: where RP-Initiated Logout may return
	// (exact match); IDTokenSignedResponseAlg: RS256 (default), ES256 or
	// EdDSA.
	PostLogoutRedirectURIs   []string `json:"post_logout_redirect_uris"`
	IDTokenSignedResponseAlg string   `json:"id_token_signed_response_alg"`
}

func (in clientInput) toService() service.ClientInput {
	return service.ClientInput{ID: in.ClientID, Name: in.Name, RedirectURIs: in.RedirectURIs, GrantTypes: in.GrantTypes, Scopes: in.Scopes, Public: in.Public, FirstParty: in.FirstParty,
		PostLogoutRedirectURIs: in.PostLogoutRedirectURIs, IDTokenSignedResponseAlg: in.IDTokenSignedResponseAlg}
}

func (h *Handler) clientRoutes(api *mux.Router) {
	api.Handle("/clients", h.managed(tierClients, core.ScopeClientsRead, h.listClients)).Methods(http.MethodGet)
	api.Handle("/clients", h.managed(tierClients, core.ScopeClientsWrite, h.createClient)).Methods(http.MethodPost)
	api.Handle("/clients/{id}", h.managed(tierClients, core.ScopeClientsRead, h.getClient)).Methods(http.MethodGet)
	api.Handle("/clients/{id}", h.managed(tierClients, core.ScopeClientsWrite, h.updateClient)).Methods(http.MethodPut)
	api.Handle("/clients/{id}", h.managed(tierClients, core.ScopeClientsWrite, h.deleteClient)).Methods(http.MethodDelete)
	api.Handle("/clients/{id}/regenerate-secret", h.managed(tierClients, core.ScopeClientsWrite, h.regenerateSecret)).Methods(http.MethodPost)
}

func (h *Handler) listClients(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var items []core.Client
	var next string
	if q := r.URL.Query(); q.Has("name") {
		items, next, err = h.clients.ListByName(r.Context(), q.Get("name"), limit, cursor)
	} else {
		items, next, err = h.clients.List(r.Context(), limit, cursor)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]clientJSON, len(items))
	for i, c := range items {
		out[i] = toClientJSON(c)
	}
	writeJSON(w, http.StatusOK, newListPage(out, next))
}

func (h *Handler) getClient(w http.ResponseWriter, r *http.Request) {
	c, err := h.clients.Get(r.Context(), pathID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toClientJSON(c))
}

func (h *Handler) createClient(w http.ResponseWriter, r *http.Request) {
	var in clientInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	c, secret, err := h.clients.Create(r.Context(), callerOf(r), in.toService())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := toClientJSON(c)
	out.ClientSecret = secret
	noStore(w)
	w.Header().Set("Location", "/api/clients/"+c.ID)
	writeJSON(w, http.StatusCreated, out)
}

func (h *Handler) updateClient(w http.ResponseWriter, r *http.Request) {
	var in clientInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if in.ClientID != "" && in.ClientID != pathID(r) {
		h.writeError(w, r, &core.ValidationError{Fields: map[string]string{"client_id": "cannot change; create a new client"}})
		return
	}
	c, err := h.clients.Update(r.Context(), callerOf(r), pathID(r), in.toService())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toClientJSON(c))
}

func (h *Handler) deleteClient(w http.ResponseWriter, r *http.Request) {
	if err := h.clients.Delete(r.Context(), callerOf(r), pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// regenerateRequest is the optional body of POST
// /api/clients/{id}/regenerate-secret.
type regenerateRequest struct {
	// KeepPreviousFor is how long the replaced secret keeps working: a
	// duration ("36h", "7d") up to 7d; absent: it stops at once.
	KeepPreviousFor *string `json:"keep_previous_for"`
}

func (h *Handler) regenerateSecret(w http.ResponseWriter, r *http.Request) {
	var keep time.Duration
	if r.ContentLength != 0 {
		var in regenerateRequest
		if err := decodeJSON(w, r, &in); err != nil {
			h.writeError(w, r, err)
			return
		}
		if in.KeepPreviousFor != nil {
			d, err := core.ParseDuration(*in.KeepPreviousFor)
			if err != nil || d < 0 || d > core.MaxKeepPreviousSecret {
				h.writeError(w, r, &core.ValidationError{Fields: map[string]string{"keep_previous_for": "must be a duration from 0s to 7d, such as \"24h\" or \"7d\""}})
				return
			}
			keep = d
		}
	}
	c, secret, err := h.clients.RegenerateSecret(r.Context(), callerOf(r), pathID(r), keep)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := toClientJSON(c)
	out.ClientSecret = secret
	noStore(w)
	writeJSON(w, http.StatusOK, out)
}
