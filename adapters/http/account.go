package http

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// accountRoutes serves /account, the page where a signed-in person
// manages their second factors. Abuse cases: every change is a form post
// with the CSRF token, by the person signed in to this browser, and needs
// the current password (turning TOTP off also a code), so an open session
// alone neither removes a factor nor reads new recovery codes; the key and
// the recovery codes are shown once.
func (h *Handler) accountRoutes(r *mux.Router) {
	if h.accounts == nil {
		return
	}
	r.HandleFunc("/account", h.accountPage).Methods(http.MethodGet, http.MethodPost)
}

type accountData struct {
	Title, Email, Error, Message, CSRF, SignOut string
	TOTP                                        bool
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	ctx := r.Context()
	user, signedIn := h.sessionUser(r)
	// Each post may test a password or a code: they count against the
	// sign-in limit of the address.
	if r.Method == http.MethodPost && !h.limitSignIn(w, r) {
		return
	}
	if !signedIn {
		if r.Method == http.MethodGet {
			h.renderSignIn(w, r, "", "", http.StatusOK)
			return
		}
		form, ok := h.pageForm(w, r)
		if !ok {
			return
		}
		step := h.signInForm(w, r, form, "", "account page", func(email, msg string, status int) {
			h.renderSignIn(w, r, email, msg, status)
		})
		if step.Done {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
		}
		return
	}
	if r.Method == http.MethodGet {
		h.renderAccount(w, r, user, "", "", http.StatusOK)
		return
	}
	form, ok := h.pageForm(w, r)
	if !ok {
		return
	}
	var err error
	switch form.Get("step") {
	case "totp_start":
		e, serr := h.accounts.StartTOTP(ctx, user.ID, form.Get("current_password"))
		if serr == nil {
			h.renderEnrolPage(w, r, enrolPage{Step: "totp_confirm", Secret: e.Secret, URI: e.URI}, http.StatusOK)
			return
		}
		err = serr
	case "totp_confirm":
		codes, cerr := h.accounts.ConfirmTOTP(ctx, user.ID, form.Get("code"))
		if cerr == nil {
			h.renderRecoveryCodes(w, r, codes, "/account")
			return
		}
		err = cerr
	case "recovery_codes":
		codes, cerr := h.accounts.RegenerateRecoveryCodes(ctx, user.ID, form.Get("current_password"))
		if cerr == nil {
			h.renderRecoveryCodes(w, r, codes, "/account")
			return
		}
		err = cerr
	case "totp_remove":
		if err = h.accounts.DisableTOTP(ctx, user.ID, form.Get("current_password"), form.Get("code")); err == nil {
			h.renderAccount(w, r, user, "", "Two-step verification is off.", http.StatusOK)
			return
		}
	default:
		err = &core.ValidationError{Fields: map[string]string{"step": "is not an action of this page"}}
	}
	var ve *core.ValidationError
	var ce *core.ConflictError
	switch {
	case errors.As(err, &ve), errors.As(err, &ce):
		h.renderAccount(w, r, user, "That did not work: check the password and the code, then try again.", "", http.StatusBadRequest)
	default:
		h.writeError(w, r, err)
	}
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, user core.User, msg, notice string, status int) {
	sum, err := h.accounts.Factors(r.Context(), user.ID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	data := accountData{Title: "Account security", Email: user.Email, Error: msg, Message: notice, CSRF: h.sessions.csrfToken(w, r), SignOut: signOutLink(r), TOTP: sum.TOTP}
	if err := h.pages.render(w, status, "account_security", data); err != nil {
		h.writeError(w, r, err)
	}
}
