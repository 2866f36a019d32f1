package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// htmlErrorsKey marks a request whose errors writeError renders as an HTML
// page: the person at the browser reads them, not a client.
type htmlErrorsKey struct{}

func withHTMLErrors(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), htmlErrorsKey{}, true))
}

func wantsHTMLErrors(r *http.Request) bool {
	v, _ := r.Context().Value(htmlErrorsKey{}).(bool)
	return v
}

// renderErrorPage is writeError's HTML form: a sentence for the person
// and what to do, the RFC error code small for developers.
func (h *Handler) renderErrorPage(w http.ResponseWriter, r *http.Request, status int, body errorBody) {
	page := errorPage{
		Title:   "This request cannot be completed",
		Message: "The link or form that brought you here is not valid: " + body.Description + ".",
		Advice:  "Go back to the application you came from and try again. If it keeps happening, tell the people who run it.",
		Code:    body.Error,
	}
	switch {
	case status == http.StatusForbidden:
		page.Title = "The form has expired"
		page.Message = "This page was open too long, or it was sent from somewhere else, so it was not accepted. Nothing was changed."
		if r.Method == http.MethodPost {
			// GET of the same address shows the form afresh; for the
			// authorization endpoint that restarts the sign-in.
			page.Restart = r.URL.RequestURI()
		}
	case status == http.StatusTooManyRequests:
		page.Title = "Too many attempts"
		page.Message = "There have been too many requests from your network in a short time."
		page.Advice = "Wait a few minutes, then try again."
	case status == http.StatusServiceUnavailable:
		page.Title = "Temporarily unavailable"
		page.Message = "The sign-in service cannot answer right now."
		page.Advice = "Try again in a minute."
	case status >= 500:
		page.Title = "Something went wrong"
		page.Message = "The sign-in service ran into a problem it did not expect. Nothing you did caused it."
		page.Advice = "Try again in a minute; if it keeps happening, tell the people who run this service."
	case len(body.Fields) > 0:
		names := make([]string, 0, len(body.Fields))
		for k := range body.Fields {
			names = append(names, k)
		}
		sort.Strings(names)
		page.Message = "Some of what was sent is not valid:"
		for _, k := range names {
			page.Message += " " + k + ": " + body.Fields[k] + "."
		}
	}
	if err := h.pages.render(w, status, "error", page); err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelError, "error page", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
}

var errCSRF = newEdgeError(http.StatusForbidden, "invalid_request", "the form is out of date or was not sent from this site; go back, reload the page and try again")

// authorizeRoute serves the authorization endpoint at path, for the grant
// that asked for grants.FlowAuthorize.
func (h *Handler) authorizeRoute(r *mux.Router, path string) {
	if h.authz == nil || h.accounts == nil {
		return
	}
	// RFC 6749 §3.1: GET must be supported; our own login and consent
	// forms post back to the same URL, the request staying in the query.
	r.HandleFunc(path, h.authorize).Methods(http.MethodGet, http.MethodPost)
}

// authorize is the authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.1.2,
// RFC 7636 §4.3). The authorization request lives in the query string of
// both the GET and the login and consent form posts.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	ctx := r.Context()
	req, err := h.authz.Validate(ctx, r.URL.Query())
	if err != nil {
		if req.Redirect == "" {
			h.writeError(w, r, err)
			return
		}
		h.redirectError(w, r, req, err)
		return
	}
	user, authTime, signedIn := h.session(r)
	var current core.SignIn
	if signedIn {
		current = core.SignIn{UserID: user.ID, Time: authTime, AMR: h.sessionAMR(r, user.ID, authTime)}
		if current.AMR == nil {
			current.AMR = h.sessions.methods(r)
		}
		if req.WantsMFA() {
			if current.SecondFactor, err = h.accounts.HasSecondFactor(ctx, user.ID); err != nil {
				h.writeError(w, r, err)
				return
			}
		}
	}
	if r.Method == http.MethodGet {
		unmet := req.Requirements().Unmet(current, h.clock.Now())
		switch {
		case unmet == nil:
			h.afterSignIn(w, r, req, user, current)
		case errors.Is(unmet, core.ErrMFARequired) && !req.HasPrompt("none"):
			// Step-up: the session proved a password only.
			h.renderCodeForm(w, r, h.accounts.StepUpToken(user), user.Email, "", http.StatusOK)
		case errors.Is(unmet, core.ErrMFARequired):
			h.redirectError(w, r, req, core.NewOAuthError(core.CodeInteractionRequired, "the request asks for a second factor"))
		case req.HasPrompt("none") && signedIn && req.HintSubject != "" && req.HintSubject != user.ID:
			// OpenID Connect Core §3.1.2.6: another person is signed in
			// and none may be asked.
			h.redirectError(w, r, req, core.NewOAuthError(core.CodeInteractionRequired, "another account is signed in"))
		case req.HasPrompt("none"):
			h.redirectError(w, r, req, core.NewOAuthError(core.CodeLoginRequired, "the person must sign in"))
		default:
			h.renderLogin(w, r, req, req.LoginHint, "", http.StatusOK)
		}
		return
	}

	form, ok := h.pageForm(w, r)
	if !ok {
		return
	}
	if form.Has("consent") {
		if !signedIn {
			h.renderLogin(w, r, req, "", "Your session has ended; sign in again.", http.StatusOK)
			return
		}
		if form.Get("consent") != "approve" {
			h.redirectError(w, r, req, core.NewOAuthError(core.CodeAccessDenied, "the user denied the request"))
			return
		}
		// The consent form carries proof of a sign-in made for this
		// request only when the person signed in for it; a form taken
		// from a page that asked for the password instead proves none.
		current.ForRequest = h.sessions.checkSignedInFor(form.Get(signedInForField), req.Key, current)
		if unmet := req.Requirements().Unmet(current, h.clock.Now()); unmet != nil {
			if errors.Is(unmet, core.ErrMFARequired) {
				h.renderCodeForm(w, r, h.accounts.StepUpToken(user), user.Email, "", http.StatusOK)
				return
			}
			h.renderLogin(w, r, req, "", "Sign in to continue.", http.StatusOK)
			return
		}
		if err := h.authz.Approve(ctx, req, user); err != nil {
			h.writeError(w, r, err)
			return
		}
		h.issueCode(w, r, req, user, current)
		return
	}
	if !h.limitSignIn(w, r) {
		return
	}
	second := form.Has("mfa_token") || form.Has("enrol_token")
	step := h.signInForm(w, r, form, req.Client.ID, "authorization endpoint", func(email, msg string, status int) {
		h.renderLogin(w, r, req, email, msg, status)
	})
	if !step.Done {
		return
	}
	user = step.User
	// A step-up within a session proves the second factor, not the
	// password: it is no sign-in for this request (prompt=login).
	fresh := core.SignIn{UserID: user.ID, Time: step.Time, ForRequest: !step.StepUp, AMR: step.AMR, SecondFactor: second}
	if q := req.Requirements(); second || q.Fresh || q.MaxAge >= 0 || q.Subject != "" || q.MFA {
		// The request sets conditions on the sign-in, which the GET would
		// not see met by a session alone, or a second factor completed
		// it: go on from this one.
		h.afterSignIn(w, r, req, user, fresh)
		return
	}
	// Post/redirect/get: the GET finds the session and goes on to consent
	// or the code.
	http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
}

// signedInForField is the consent form's proof that the person signed in
// for the authorization request it answers (sessions.signedInFor).
const signedInForField = "signed_in_for"

// scopeView is a scope on the consent page.
type scopeView struct{ Name, Description string }

// afterSignIn asks for the consent the person has not given yet
// (service.Authorizations.ConsentPrompt). signIn
// is the sign-in the code would rest on: when it does not meet the
// request's conditions (someone else signed in than the id_token_hint
// names), the sign-in form is shown again.
func (h *Handler) afterSignIn(w http.ResponseWriter, r *http.Request, req service.AuthorizeRequest, user core.User, signIn core.SignIn) {
	h.completeLink(w, r, user, signIn.Time)
	if err := req.Requirements().Unmet(signIn, h.clock.Now()); err != nil {
		if req.HasPrompt("none") {
			h.redirectError(w, r, req, err)
			return
		}
		if errors.Is(err, core.ErrMFARequired) {
			h.renderCodeForm(w, r, h.accounts.StepUpToken(user), user.Email, "", http.StatusOK)
			return
		}
		h.renderLogin(w, r, req, "", "The application asked for another sign-in: sign in with the account it named.", http.StatusOK)
		return
	}
	// Consent is remembered per person and client: only what the person
	// has not approved for the client before is asked (all of it with
	// prompt=consent), and nothing for a first-party client.
	ask, names, err := h.authz.ConsentPrompt(r.Context(), req, user)
	if err != nil {
		h.redirectError(w, r, req, err)
		return
	}
	if !ask {
		h.issueCode(w, r, req, user, signIn)
		return
	}
	if req.HasPrompt("none") {
		// The request needs a consent that none may not ask for (Core
		// §3.1.2.6).
		h.redirectError(w, r, req, core.NewOAuthError(core.CodeConsentRequired, "the person must approve the request"))
		return
	}
	descriptions := map[string]string{}
	if h.scopes != nil && len(names) > 0 {
		// Without descriptions the names are still shown.
		if d, err := h.scopes.Descriptions(r.Context(), names); err == nil {
			descriptions = d
		}
	}
	scopes := make([]scopeView, len(names))
	for i, n := range names {
		scopes[i] = scopeView{Name: n, Description: descriptions[n]}
		if n == core.ScopeOfflineAccess {
			scopes[i].Description = core.OfflineAccessDescription
		}
	}
	data := struct {
		Title, ClientName, Email, Action, CSRF, SignOut, SignedInFor string
		Scopes                                                       []scopeView
	}{
		Title: "Allow access", ClientName: req.Client.Name, Email: user.Email, Action: r.URL.RequestURI(), SignOut: signOutLink(r),
		CSRF: h.sessions.csrfToken(w, r), Scopes: scopes,
	}
	if signIn.ForRequest {
		data.SignedInFor = h.sessions.signedInFor(req.Key, signIn)
	}
	if err := h.pages.render(w, http.StatusOK, "consent", data); err != nil {
		h.writeError(w, r, err)
	}
}

// loginData is what the sign-in page shows.
type loginData struct {
	Title, ClientName, Email, Error, Action, CSRF, SignedInAs, SignOut string
	// Notice explains why the person signs in (linking an account).
	Notice string
	// Providers are the "Sign in with {name}" buttons.
	Providers []upstreamButton
}

func (h *Handler) renderLogin(w http.ResponseWriter, r *http.Request, req service.AuthorizeRequest, email, msg string, status int) {
	data := loginData{
		Title: "Sign in", SignOut: signOutLink(r), ClientName: req.Client.Name, Email: email, Error: msg, Action: r.URL.RequestURI(), CSRF: h.sessions.csrfToken(w, r),
		Providers: h.upstreamButtons(r, r.URL.RequestURI()),
	}
	if u, ok := h.sessionUser(r); ok {
		// prompt=login, max_age or id_token_hint asked for a sign-in
		// although someone is signed in: let them leave that session.
		data.SignedInAs = u.Email
	}
	if err := h.pages.render(w, status, "login", data); err != nil {
		h.writeError(w, r, err)
	}
}

// msgAccountDisabled is what the sign-in page says after the right
// password of a disabled account.
const msgAccountDisabled = "This account is disabled. Ask your administrator to enable it."

// sessionUser returns the signed-in user of the browser, if the session
// cookie is valid, the account and its password are unchanged and the
// person has not signed out since.
func (h *Handler) sessionUser(r *http.Request) (core.User, bool) {
	u, _, ok := h.session(r)
	return u, ok
}

// session is sessionUser with the time the person signed in.
func (h *Handler) session(r *http.Request) (core.User, time.Time, bool) {
	id, tag, authTime, ok := h.sessions.userID(r, h.clock.Now())
	if !ok {
		return core.User{}, time.Time{}, false
	}
	u, err := h.accounts.Get(r.Context(), id)
	if err != nil || u.Disabled || !h.sessions.valid(u, tag) || core.SessionEndedFor(u, authTime) {
		return core.User{}, time.Time{}, false
	}
	return u, authTime, true
}

func (h *Handler) issueCode(w http.ResponseWriter, r *http.Request, req service.AuthorizeRequest, user core.User, signIn core.SignIn) {
	code, err := h.authz.IssueCode(r.Context(), req, user, signIn)
	if err != nil {
		h.redirectError(w, r, req, err)
		return
	}
	h.redirect(w, r, req, url.Values{"code": {code}})
}

// redirectError sends an error back to the client (RFC 6749 §4.1.2.1).
// Anything but an OAuth error becomes server_error or
// temporarily_unavailable, logged here.
func (h *Handler) redirectError(w http.ResponseWriter, r *http.Request, req service.AuthorizeRequest, err error) {
	var oe *core.OAuthError
	if !errors.As(err, &oe) {
		code := core.CodeServerError
		if errors.Is(err, core.ErrUnavailable) {
			code = core.CodeTemporarilyUnavailable
		}
		h.log.LogAttrs(r.Context(), slog.LevelError, "authorization failed", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
		oe = core.NewOAuthError(code, "the authorization server could not complete the request")
	}
	h.redirect(w, r, req, url.Values{"error": {oe.Code}, "error_description": {oe.Description}})
}

// redirect sends the browser to the client's redirect URI with params, the
// state and the issuer, keeping the URI's own query (RFC 6749 §3.1.2). iss
// is in every authorization response, success and error alike (RFC 9207
// §2), so a client talking to several servers can tell which one answered.
func (h *Handler) redirect(w http.ResponseWriter, r *http.Request, req service.AuthorizeRequest, params url.Values) {
	u, err := url.Parse(req.Redirect)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	if req.State != "" {
		q.Set("state", req.State)
	}
	q.Set("iss", h.tokens.Issuer())
	u.RawQuery = q.Encode()
	noStore(w)
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, u.String(), status)
}
