package http

import (
	"context"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// mfaRoutes serves the second factors of /api (contract, "A person's own
// account" and "Second factor at sign-in"). Abuse cases: every change to
// a person's factors needs their access token and, except confirming a
// pending enrolment, their current password, so a stolen access token
// alone can neither turn TOTP off nor read new recovery codes; the
// secret and the recovery codes are in the answer once and never again;
// /api/auth/login/mfa counts every code in the failed-sign-in back-off.
func (h *Handler) mfaRoutes(api *mux.Router) {
	api.HandleFunc("/auth/login/mfa", h.loginMFA).Methods(http.MethodPost)
	api.Handle("/auth/me/mfa/totp", h.authenticate(http.HandlerFunc(h.startTOTP))).Methods(http.MethodPost)
	api.Handle("/auth/me/mfa/totp/confirm", h.authenticate(http.HandlerFunc(h.confirmTOTP))).Methods(http.MethodPost)
	api.Handle("/auth/me/mfa/totp", h.authenticate(http.HandlerFunc(h.deleteTOTP))).Methods(http.MethodDelete)
	api.Handle("/auth/me/mfa/recovery-codes", h.authenticate(http.HandlerFunc(h.regenerateRecoveryCodes))).Methods(http.MethodPost)
	// An administrator removes a person's factors (a lost phone): the
	// person is mailed and enrols again; the caller must hold users:write.
	api.Handle("/users/{id}/mfa", h.managed(tierClients, core.ScopeUsersWrite, h.removeFactors)).Methods(http.MethodDelete)
}

// loginMFA is POST /api/auth/login/mfa {mfa_token, code}: the second step
// of /api/auth/login, answered as it is.
func (h *Handler) loginMFA(w http.ResponseWriter, r *http.Request) {
	var in struct {
		MFAToken string `json:"mfa_token"`
		Code     string `json:"code"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.signInWith(w, r, func(ctx context.Context) (core.TokenResponse, error) {
		return h.accounts.LoginMFA(ctx, in.MFAToken, in.Code)
	})
}

// meWithBody reads the token of the person calling a /api/auth/me
// endpoint and its JSON body into in; on failure the error is written
// and ok is false.
func (h *Handler) meWithBody(w http.ResponseWriter, r *http.Request, in any) (t core.AccessToken, ok bool) {
	t, err := h.userToken(r)
	if err == nil {
		err = decodeJSON(w, r, in)
	}
	if err != nil {
		h.writeError(w, r, err)
		return core.AccessToken{}, false
	}
	return t, true
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

func (h *Handler) startTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CurrentPassword string `json:"current_password"`
	}
	t, ok := h.meWithBody(w, r, &in)
	if !ok {
		return
	}
	e, err := h.accounts.StartTOTP(r.Context(), t.UserID, in.CurrentPassword)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, e)
}

func (h *Handler) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Code string `json:"code"`
	}
	t, ok := h.meWithBody(w, r, &in)
	if !ok {
		return
	}
	codes, err := h.accounts.ConfirmTOTP(r.Context(), t.UserID, in.Code)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
}

func (h *Handler) deleteTOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CurrentPassword string `json:"current_password"`
		Code            string `json:"code"`
	}
	t, ok := h.meWithBody(w, r, &in)
	if !ok {
		return
	}
	if err := h.accounts.DisableTOTP(r.Context(), t.UserID, in.CurrentPassword, in.Code); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) regenerateRecoveryCodes(w http.ResponseWriter, r *http.Request) {
	var in struct {
		CurrentPassword string `json:"current_password"`
	}
	t, ok := h.meWithBody(w, r, &in)
	if !ok {
		return
	}
	codes, err := h.accounts.RegenerateRecoveryCodes(r.Context(), t.UserID, in.CurrentPassword)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes})
}

// removeFactors is DELETE /api/users/{id}/mfa. An unknown id is 404;
// only the factors change.
func (h *Handler) removeFactors(w http.ResponseWriter, r *http.Request) {
	if err := h.accounts.RemoveFactors(r.Context(), pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
