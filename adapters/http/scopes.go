package http

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

type scopeJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func toScopeJSON(s core.Scope) scopeJSON {
	return scopeJSON{ID: s.ID, Name: s.Name, Description: s.Description, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

type scopeInput struct {
	Name        *string `json:"name"`
	Description string  `json:"description"`
}

func (in scopeInput) toService() (service.ScopeInput, error) {
	if in.Name == nil {
		return service.ScopeInput{}, &core.ValidationError{Fields: map[string]string{"name": "is required"}}
	}
	return service.ScopeInput{Name: *in.Name, Description: in.Description}, nil
}

func (h *Handler) scopeRoutes(api *mux.Router) {
	api.Handle("/scopes", h.managed(tierScopes, core.ScopeScopesRead, h.listScopes)).Methods(http.MethodGet)
	api.Handle("/scopes", h.managed(tierScopes, core.ScopeScopesWrite, h.createScope)).Methods(http.MethodPost)
	api.Handle("/scopes/{id}", h.managed(tierScopes, core.ScopeScopesRead, h.getScope)).Methods(http.MethodGet)
	api.Handle("/scopes/{id}", h.managed(tierScopes, core.ScopeScopesWrite, h.updateScope)).Methods(http.MethodPut)
	api.Handle("/scopes/{id}", h.managed(tierScopes, core.ScopeScopesWrite, h.deleteScope)).Methods(http.MethodDelete)
}

func (h *Handler) listScopes(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	items, next, err := h.scopes.List(r.Context(), limit, cursor)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]scopeJSON, len(items))
	for i, s := range items {
		out[i] = toScopeJSON(s)
	}
	writeJSON(w, http.StatusOK, newListPage(out, next))
}

func (h *Handler) getScope(w http.ResponseWriter, r *http.Request) {
	s, err := h.scopes.Get(r.Context(), pathID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toScopeJSON(s))
}

func (h *Handler) createScope(w http.ResponseWriter, r *http.Request) {
	var in scopeInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	si, err := in.toService()
	if err == nil {
		var s core.Scope
		if s, err = h.scopes.Create(r.Context(), callerOf(r), si); err == nil {
			w.Header().Set("Location", "/api/scopes/"+s.ID)
			writeJSON(w, http.StatusCreated, toScopeJSON(s))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *Handler) updateScope(w http.ResponseWriter, r *http.Request) {
	var in scopeInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	si, err := in.toService()
	if err == nil {
		var s core.Scope
		if s, err = h.scopes.Update(r.Context(), callerOf(r), pathID(r), si); err == nil {
			writeJSON(w, http.StatusOK, toScopeJSON(s))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *Handler) deleteScope(w http.ResponseWriter, r *http.Request) {
	if err := h.scopes.Delete(r.Context(), callerOf(r), pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
