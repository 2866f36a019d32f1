package http

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// peopleRoutes serves the pages a person opens directly: the start page,
// the favicon, registration, password reset and e-mail verification. They
// share the sign-in page's look, need no script, and post forms with the
// same CSRF token.
func (h *Handler) peopleRoutes(r *mux.Router) {
	r.HandleFunc("/", h.indexPage).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/favicon.svg", h.favicon).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/favicon.ico", h.favicon).Methods(http.MethodGet, http.MethodHead)
	if h.accounts == nil {
		return
	}
	r.HandleFunc("/register", h.registerPage).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc("/password-reset", h.resetPage).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc("/password-reset/confirm", h.resetConfirmPage).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc("/verify-email", h.verifyEmailPage).Methods(http.MethodGet, http.MethodPost)
}

func (h *Handler) favicon(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(h.pages.favicon)
}

func (h *Handler) host(r *http.Request) string {
	if u, err := url.Parse(h.tokens.Issuer()); err == nil && u.Host != "" {
		return u.Host
	}
	return r.Host
}

func (h *Handler) indexPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	if err := h.pages.render(w, http.StatusOK, "index", struct{ Title, Host string }{"Welcome", h.host(r)}); err != nil {
		h.writeError(w, r, err)
	}
}

// notice renders a page that tells the person what happened and where to
// go next.
func (h *Handler) notice(w http.ResponseWriter, r *http.Request, status int, title, msg, link, linkText string) {
	data := struct{ Title, Message, Link, LinkText string }{title, msg, link, linkText}
	if err := h.pages.render(w, status, "notice", data); err != nil {
		h.writeError(w, r, err)
	}
}

// safeReturn keeps only a return address on this server's authorization
// endpoint, so the registration page cannot be made to send a person
// anywhere else.
func safeReturn(s string) string {
	if !strings.HasPrefix(s, authorizePath+"?") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	return s
}

// allowFormsToClient lets the form of a page that returns to the
// authorization request returnTo redirect on to that request's client
// (allowFormsTo): after registering, the request may answer at once with
// a redirect to the client's redirect_uri, which form-action 'self' would
// block. An empty or invalid returnTo leaves the policy as it is.
func (h *Handler) allowFormsToClient(w http.ResponseWriter, r *http.Request, returnTo string) {
	if returnTo == "" || h.authz == nil {
		return
	}
	u, err := url.Parse(returnTo)
	if err != nil {
		return
	}
	// An invalid request with a Redirect goes back to the client too, with
	// the error: its origin is allowed as well.
	if req, _ := h.authz.Validate(r.Context(), u.Query()); req.Redirect != "" {
		h.allowFormsTo(w, req.Redirect)
	}
}

// pageForm parses a page's form and checks its CSRF token; on failure it
// has answered.
func (h *Handler) pageForm(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	form, err := parseForm(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return nil, false
	}
	if !h.sessions.checkCSRF(r, form.Get("csrf_token")) {
		h.writeError(w, r, errCSRF)
		return nil, false
	}
	return form, true
}

type registerData struct {
	Title, Host, CSRF, ReturnTo, Error string
	FirstName, LastName, Email         string
	Fields                             map[string]string
}

// registerPage creates an account (contract §3, pages), signs the person
// in, mails the verification link, and returns to the authorization
// request it came from (return_to), if any.
func (h *Handler) registerPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	d := registerData{Title: "Create account", Host: h.host(r), ReturnTo: safeReturn(r.URL.Query().Get("return_to"))}
	if r.Method == http.MethodPost {
		form, ok := h.pageForm(w, r)
		if !ok {
			return
		}
		d.ReturnTo = safeReturn(form.Get("return_to"))
		d.FirstName, d.LastName, d.Email = form.Get("first_name"), form.Get("last_name"), form.Get("email")
		u, err := h.accounts.Register(r.Context(), service.RegisterInput{Email: d.Email, Password: form.Get("password"), FirstName: d.FirstName, LastName: d.LastName})
		var v *core.ValidationError
		var c *core.ConflictError
		switch {
		case errors.As(err, &v):
			d.Error, d.Fields = "Please correct what is marked below.", v.Fields
		case errors.As(err, &c):
			d.Error = "An account with this email already exists. Sign in, or use “Forgot password?” on the sign-in page."
		case err != nil:
			h.writeError(w, r, err)
			return
		default:
			h.accounts.SendVerification(u)
			h.sessions.start(w, u, h.clock.Now())
			if d.ReturnTo != "" {
				http.Redirect(w, r, d.ReturnTo, http.StatusSeeOther)
				return
			}
			h.notice(w, r, http.StatusCreated, "Account created", "Welcome, "+u.FirstName+". We sent a link to "+u.Email+" to confirm your address.", "/", "Continue")
			return
		}
		d.CSRF = h.sessions.csrfToken(w, r)
		h.allowFormsToClient(w, r, d.ReturnTo)
		if err := h.pages.render(w, http.StatusBadRequest, "register", d); err != nil {
			h.writeError(w, r, err)
		}
		return
	}
	d.CSRF = h.sessions.csrfToken(w, r)
	h.allowFormsToClient(w, r, d.ReturnTo)
	if err := h.pages.render(w, http.StatusOK, "register", d); err != nil {
		h.writeError(w, r, err)
	}
}

// resetPage asks for a reset mail: the same answer for every address.
func (h *Handler) resetPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	d := struct{ Title, CSRF, Email, Error string }{Title: "Forgot password"}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		form, ok := h.pageForm(w, r)
		if !ok {
			return
		}
		d.Email = form.Get("email")
		err := h.accounts.RequestPasswordReset(r.Context(), d.Email)
		var v *core.ValidationError
		switch {
		case errors.As(err, &v):
			d.Error, status = "Please enter a valid email address.", http.StatusBadRequest
		case err != nil:
			h.writeError(w, r, err)
			return
		default:
			h.notice(w, r, http.StatusAccepted, "Check your mail", "If an account with that address exists, a link to choose a new password is on its way. It works once, for a limited time.", "", "")
			return
		}
	}
	d.CSRF = h.sessions.csrfToken(w, r)
	if err := h.pages.render(w, status, "reset", d); err != nil {
		h.writeError(w, r, err)
	}
}

// resetConfirmPage is the link of the reset mail: a form for the new
// password, posted back with the token still in the query.
func (h *Handler) resetConfirmPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	token := r.URL.Query().Get("token")
	if token == "" {
		h.notice(w, r, http.StatusBadRequest, "Link incomplete", "This address has no reset token. Open the link from the mail as it is, or ask for a new one.", "/password-reset", "Ask for a new link")
		return
	}
	d := struct{ Title, CSRF, Action, Error string }{Title: "Choose a new password", Action: "/password-reset/confirm?token=" + url.QueryEscape(token)}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		form, ok := h.pageForm(w, r)
		if !ok {
			return
		}
		r, device := h.withDevice(r, true)
		err := h.accounts.ConfirmPasswordReset(r.Context(), token, form.Get("password"))
		var v *core.ValidationError
		switch {
		case errors.As(err, &v) && v.Fields["token"] != "":
			h.notice(w, r, http.StatusBadRequest, "This link no longer works", "Reset links work once and for a limited time. Ask for a new one.", "/password-reset", "Ask for a new link")
			return
		case errors.As(err, &v):
			d.Error, status = "Password "+v.Fields["password"]+".", http.StatusBadRequest
		case err != nil:
			h.writeError(w, r, err)
			return
		default:
			h.sessions.setDevice(w, device)
			h.notice(w, r, http.StatusOK, "Password changed", "You can now sign in with your new password. Devices that were signed in have to sign in again.", "/", "Done")
			return
		}
	}
	d.CSRF = h.sessions.csrfToken(w, r)
	if err := h.pages.render(w, status, "reset_confirm", d); err != nil {
		h.writeError(w, r, err)
	}
}

// mailLinkButton is the page a link in a mail opens: it says what the
// button will do and changes nothing. The change happens only when the
// person presses the button, a POST to the same address with the CSRF
// token: mail scanners, link previews and prefetchers fetch every link of
// a mail with GET, without cookies, and must not act for the person.
type mailLinkButton struct {
	Title, Message, Button string
}

// confirmMailLink serves a mailed link's GET with page and reports false;
// for a POST it checks the CSRF token (answering 403 when it fails) and
// reports whether to go on with the change. Every page a mail links to
// goes through it or, like the password reset form, asks for input on
// GET.
func (h *Handler) confirmMailLink(w http.ResponseWriter, r *http.Request, page mailLinkButton) bool {
	if r.Method == http.MethodPost {
		_, ok := h.pageForm(w, r)
		return ok
	}
	noStore(w)
	data := struct{ Title, Message, Button, Action, CSRF string }{
		page.Title, page.Message, page.Button, r.URL.RequestURI(), h.sessions.csrfToken(w, r),
	}
	if err := h.pages.render(w, http.StatusOK, "confirm", data); err != nil {
		h.writeError(w, r, err)
	}
	return false
}

// verifyEmailPage is the link of the verification mail: a GET shows a
// button, and pressing it (a POST with the CSRF token, the token still in
// the query) marks the address verified.
func (h *Handler) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	token := r.URL.Query().Get("token")
	if token == "" {
		h.notice(w, r, http.StatusBadRequest, "Link incomplete", "This address has no verification token. Open the link from the mail as it is.", "/", "Home")
		return
	}
	if !h.confirmMailLink(w, r, mailLinkButton{
		Title: "Confirm your address", Message: "Press the button to confirm that this e-mail address is yours.", Button: "Confirm my address",
	}) {
		return
	}
	u, err := h.accounts.VerifyEmail(r.Context(), token)
	var v *core.ValidationError
	switch {
	case errors.As(err, &v):
		h.notice(w, r, http.StatusBadRequest, "This link no longer works", "Verification links work once and for 48 hours. If your address is not confirmed yet, sign in and ask for a new link, or ask for a password reset, which proves it too.", "/", "Home")
	case err != nil:
		h.writeError(w, r, err)
	default:
		h.notice(w, r, http.StatusOK, "Address confirmed", "Thank you: "+u.Email+" is confirmed.", "/", "Continue")
	}
}
