package http

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"
)

// consentJSON is an application the person has authorised (GET
// /api/auth/me/consents).
type consentJSON struct {
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name"`
	Scopes     []string  `json:"scopes"`
	GrantedAt  time.Time `json:"granted_at"`
}

func (h *Handler) consentRoutes(api *mux.Router) {
	if h.consents == nil {
		return
	}
	api.Handle("/auth/me/consents", h.authenticate(http.HandlerFunc(h.listConsents))).Methods(http.MethodGet)
	api.Handle("/auth/me/consents/{client_id}", h.authenticate(http.HandlerFunc(h.revokeConsent))).Methods(http.MethodDelete)
}

// listConsents answers the applications the token's person has authorised:
// their own only, whatever the token's scopes.
func (h *Handler) listConsents(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	apps, err := h.consents.List(r.Context(), t.UserID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]consentJSON, len(apps))
	for i, a := range apps {
		out[i] = consentJSON{ClientID: a.ClientID, ClientName: a.ClientName, Scopes: nonNil(a.Scopes), GrantedAt: a.GrantedAt.UTC()}
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Items []consentJSON `json:"items"`
	}{out})
}

// revokeConsent forgets the person's consent for a client and revokes that
// client's tokens for them: 204, 404 when there is no such consent.
func (h *Handler) revokeConsent(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.consents.Revoke(r.Context(), t.UserID, mux.Vars(r)["client_id"]); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
