package http

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// sessionJSON is one session (contract §3, People administration); ip and
// user_agent are null when not recorded. current marks, on
// /api/auth/me/sessions, the session the caller's token belongs to.
type sessionJSON struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	ClientID   string    `json:"client_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	IP         *string   `json:"ip"`
	UserAgent  *string   `json:"user_agent"`
	Current    *bool     `json:"current,omitempty"`
}

func toSessionJSON(s core.Session) sessionJSON {
	out := sessionJSON{ID: s.ID, Kind: s.Kind, ClientID: s.ClientID, CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt}
	if s.IP != "" {
		out.IP = &s.IP
	}
	if s.UserAgent != "" {
		out.UserAgent = &s.UserAgent
	}
	return out
}

// tokenInfoJSON is one valid token of a person, never its value.
type tokenInfoJSON struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	ClientID  string    `json:"client_id"`
	Scope     string    `json:"scope"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

type itemsJSON[T any] struct {
	Items []T `json:"items"`
}

func (h *Handler) sessionRoutes(api *mux.Router) {
	if h.accounts == nil {
		return
	}
	api.Handle("/users/{id}/sessions", h.managed(tierUsers, core.ScopeUsersRead, h.listUserSessions)).Methods(http.MethodGet)
	api.Handle("/users/{id}/sessions/{session_id}", h.managed(tierUsers, core.ScopeUsersWrite, h.endUserSession)).Methods(http.MethodDelete)
	api.Handle("/users/{id}/tokens", h.managed(tierUsers, core.ScopeUsersRead, h.listUserTokens)).Methods(http.MethodGet)
	api.Handle("/auth/me/sessions", h.authenticate(http.HandlerFunc(h.listMySessions))).Methods(http.MethodGet)
	api.Handle("/auth/me/sessions/{session_id}", h.authenticate(http.HandlerFunc(h.endMySession))).Methods(http.MethodDelete)
}

func (h *Handler) writeSessions(w http.ResponseWriter, r *http.Request, userID, current string) {
	sessions, err := h.accounts.Sessions(r.Context(), userID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]sessionJSON, len(sessions))
	for i, s := range sessions {
		out[i] = toSessionJSON(s)
		if current != "-" {
			is := s.ID == current
			out[i].Current = &is
		}
	}
	writeJSON(w, http.StatusOK, itemsJSON[sessionJSON]{Items: out})
}

func (h *Handler) listUserSessions(w http.ResponseWriter, r *http.Request) {
	h.writeSessions(w, r, pathID(r), "-")
}

func (h *Handler) endUserSession(w http.ResponseWriter, r *http.Request) {
	if err := h.accounts.EndSession(r.Context(), pathID(r), mux.Vars(r)["session_id"]); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) listUserTokens(w http.ResponseWriter, r *http.Request) {
	access, refresh, err := h.accounts.Tokens(r.Context(), pathID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]tokenInfoJSON, 0, len(access)+len(refresh))
	for _, t := range access {
		out = append(out, tokenInfoJSON{ID: t.JTI, Type: "access_token", ClientID: t.ClientID, Scope: core.JoinScope(t.Scopes), IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt})
	}
	for _, t := range refresh {
		out = append(out, tokenInfoJSON{ID: t.FamilyID, Type: "refresh_token", ClientID: t.ClientID, Scope: core.JoinScope(t.Scopes), IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt})
	}
	writeJSON(w, http.StatusOK, itemsJSON[tokenInfoJSON]{Items: out})
}

// listMySessions: GET /api/auth/me/sessions, the session of the presented
// token marked current.
func (h *Handler) listMySessions(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.writeSessions(w, r, t.UserID, t.FamilyID)
}

// endMySession: DELETE /api/auth/me/sessions/{id}, only the caller's own.
func (h *Handler) endMySession(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err == nil {
		err = h.accounts.EndSession(r.Context(), t.UserID, mux.Vars(r)["session_id"])
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
