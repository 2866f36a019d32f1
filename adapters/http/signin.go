package http

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"time"

	"rsc.io/qr"

	"github.com/identityd/identityd/core"
)

// signInStep is what a posted sign-in form led to.
type signInStep struct {
	User core.User
	// AMR are the methods of the completed sign-in (RFC 8176).
	AMR []string
	// Time is when the session started (auth_time).
	Time time.Time
	// StepUp is set when a signed-in person proved a second factor only
	// (acr_values), not the password.
	StepUp bool
	// Done is false when a page (the code form, the enrolment page, the
	// sign-in form with an error) has been written instead.
	Done bool
}

// loginRenderer shows the password form again with a message.
type loginRenderer func(email, msg string, status int)

// signInForm runs one posted step of a browser sign-in, for every flow
// that signs a person in (the authorization endpoint, grant pages such as
// the device flow's): the password (fields email, password); the second
// factor (mfa_token, code) of a person who has one; or the enrolment
// (enrol_token, code) of a person who must have one (MFA_REQUIRED_ROLES)
// and has none. Nothing is issued and no session starts before the last
// step. On completion the session starts with the methods used, and the
// device cookie is set.
//
// Abuse cases: a forged or expired mfa_token or enrol_token is refused;
// every code counts in the failed-sign-in back-off like a password; the
// tokens are bound to the password hash, so a password change voids them.
func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request, form url.Values, clientID, where string, login loginRenderer) signInStep {
	r, device := h.withDevice(r, true)
	ctx := r.Context()
	switch {
	case form.Has("mfa_token"):
		token := form.Get("mfa_token")
		u, amr, stepUp, err := h.accounts.SignInSecondFactor(ctx, token, form.Get("code"), clientID, where)
		if errors.Is(err, core.ErrInvalidMFACode) {
			if _, perr := h.accounts.CheckMFAToken(ctx, token); perr != nil {
				login("", "Your sign-in has expired; sign in again.", http.StatusUnauthorized)
				return signInStep{}
			}
			h.renderCodeForm(w, r, token, "", "The code is incorrect or was already used.", http.StatusUnauthorized)
			return signInStep{}
		}
		if err != nil {
			h.writeError(w, r, err)
			return signInStep{}
		}
		step := h.completeSignIn(w, u, amr, device)
		step.StepUp = stepUp
		return step
	case form.Has("enrol_token"):
		token := form.Get("enrol_token")
		u, amr, codes, err := h.accounts.ConfirmTOTPForSignIn(ctx, token, form.Get("code"))
		var ve *core.ValidationError
		if errors.As(err, &ve) {
			h.renderEnrolment(w, r, token, "The code is incorrect; enter the code the app shows now.", http.StatusBadRequest)
			return signInStep{}
		}
		if errors.Is(err, core.ErrInvalidMFACode) {
			login("", "Your sign-in has expired; sign in again.", http.StatusUnauthorized)
			return signInStep{}
		}
		if err != nil {
			h.writeError(w, r, err)
			return signInStep{}
		}
		h.completeSignIn(w, u, amr, device)
		// The recovery codes are shown once; Continue goes on with the
		// flow, which finds the new session.
		h.renderRecoveryCodes(w, r, codes, r.URL.RequestURI())
		return signInStep{}
	}
	u, err := h.accounts.SignIn(ctx, form.Get("email"), form.Get("password"), clientID, where)
	var challenge *core.MFAChallenge
	switch {
	case errors.As(err, &challenge) && challenge.Enrol:
		h.renderEnrolment(w, r, challenge.Token, "", http.StatusOK)
		return signInStep{}
	case errors.As(err, &challenge):
		h.renderCodeForm(w, r, challenge.Token, u.Email, "", http.StatusOK)
		return signInStep{}
	case errors.Is(err, core.ErrInvalidCredentials):
		login(form.Get("email"), "The email or password is incorrect.", http.StatusUnauthorized)
		return signInStep{}
	case errors.Is(err, core.ErrAccountDisabled):
		login(form.Get("email"), msgAccountDisabled, http.StatusForbidden)
		return signInStep{}
	case err != nil:
		h.writeError(w, r, err)
		return signInStep{}
	}
	return h.completeSignIn(w, u, []string{core.AMRPassword}, device)
}

// completeSignIn starts the browser session of u signed in by amr.
func (h *Handler) completeSignIn(w http.ResponseWriter, u core.User, amr []string, device string) signInStep {
	now := h.clock.Now()
	h.sessions.startWith(w, u, now, amr)
	h.sessions.setDevice(w, device)
	return signInStep{User: u, AMR: amr, Time: now, Done: true}
}

// renderCodeForm shows the form asking for the second factor's code.
func (h *Handler) renderCodeForm(w http.ResponseWriter, r *http.Request, token, email, msg string, status int) {
	data := struct{ Title, Email, Error, Action, CSRF, Token string }{
		Title: "Two-step verification", Email: email, Error: msg, Action: r.URL.RequestURI(), CSRF: h.sessions.csrfToken(w, r), Token: token,
	}
	if err := h.pages.render(w, status, "mfa", data); err != nil {
		h.writeError(w, r, err)
	}
}

// renderEnrolment starts (again) the TOTP enrolment of a sign-in that
// must enrol, and shows its QR code and key.
func (h *Handler) renderEnrolment(w http.ResponseWriter, r *http.Request, token, msg string, status int) {
	e, err := h.accounts.StartTOTPForSignIn(r.Context(), token)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.renderEnrolPage(w, r, enrolPage{Token: token, Secret: e.Secret, URI: e.URI, Error: msg, Required: true}, status)
}

// enrolPage is the TOTP enrolment page: the key as a QR code and as text,
// and the form for the first code.
type enrolPage struct {
	Token, Step, Secret, URI, Error string
	Required                        bool
}

func (h *Handler) renderEnrolPage(w http.ResponseWriter, r *http.Request, p enrolPage, status int) {
	png, err := qrPNG(p.URI)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	data := struct {
		Title, Error, Action, CSRF, Token, Step, Secret string
		QR                                              any
		Required                                        bool
	}{
		Title: "Set up two-step verification", Error: p.Error, Action: r.URL.RequestURI(), CSRF: h.sessions.csrfToken(w, r),
		Token: p.Token, Step: p.Step, Secret: p.Secret, QR: png, Required: p.Required,
	}
	if err := h.pages.render(w, status, "mfa_enrol", data); err != nil {
		h.writeError(w, r, err)
	}
}

// renderRecoveryCodes shows new recovery codes, once.
func (h *Handler) renderRecoveryCodes(w http.ResponseWriter, r *http.Request, codes []string, next string) {
	data := struct {
		Title    string
		Codes    []string
		Continue string
	}{Title: "Your recovery codes", Codes: codes, Continue: next}
	if err := h.pages.render(w, http.StatusOK, "recovery_codes", data); err != nil {
		h.writeError(w, r, err)
	}
}

// qrPNG is the otpauth URI as a QR code (ISO/IEC 18004, level M), a PNG
// in a data: URL that the page's CSP (img-src data:) allows: the key
// never travels in a URL of its own.
func qrPNG(uri string) (template.URL, error) {
	c, err := qr.Encode(uri, qr.M)
	if err != nil {
		return "", fmt.Errorf("QR code: %w", err)
	}
	c.Scale = 4
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(c.PNG())), nil //nolint:gosec // our own PNG, base64
}
