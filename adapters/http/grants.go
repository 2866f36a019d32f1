package http

import (
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/grants"
)

// grantRoutes serves the endpoints the installed grants contribute
// (grants.Contribution); the edge names no grant.
func (h *Handler) grantRoutes(r *mux.Router) {
	for _, g := range h.grants.Grants() {
		for _, e := range grants.ContributionOf(g).Endpoints {
			switch {
			case e.Client != nil:
				// Every method reaches the handler, so a GET gets an OAuth
				// error rather than a bare 405, as at the token endpoint.
				r.HandleFunc(e.Path, h.grantClientEndpoint(g.GrantType(), e.Client))
			case e.Page != nil:
				h.grantPageRoute(r, e.Path, e.Page)
			case e.Flow == grants.FlowAuthorize:
				h.authorizeRoute(r, e.Path)
			}
		}
	}
}

// grantPageRoute serves a grant's page for signed-in people.
func (h *Handler) grantPageRoute(r *mux.Router, path string, p grants.PageHandler) {
	if h.accounts == nil {
		return
	}
	r.Handle(path, h.grantPage(p)).Methods(http.MethodGet, http.MethodPost)
}

// grantPage serves a grant's page (grants.PageHandler) behind sign-in:
// without a session it shows the sign-in page, whose form posts back here;
// with one, every POST must carry the CSRF token, and the grant's answer
// is rendered in the layout of the other pages.
func (h *Handler) grantPage(p grants.PageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = withHTMLErrors(r)
		ctx := r.Context()
		user, authTime, signedIn := h.session(r)
		req := grants.PageRequest{Post: r.Method == http.MethodPost, User: user, AuthTime: authTime}
		var raw url.Values
		if req.Post {
			// Each post may test a guessed user code or password: they
			// count against the sign-in limit of the address.
			if !h.limitSignIn(w, r) {
				return
			}
			form, ok := h.pageForm(w, r)
			if !ok {
				return
			}
			raw = form
		} else {
			raw = r.URL.Query()
		}
		if !signedIn {
			if !req.Post {
				h.renderSignIn(w, r, "", "", http.StatusOK)
				return
			}
			step := h.signInForm(w, r, raw, "", r.URL.Path, func(email, msg string, status int) {
				h.renderSignIn(w, r, email, msg, status)
			})
			if step.Done {
				http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
			}
			return
		}
		if _, _, authTime, ok := h.sessions.userID(r, h.clock.Now()); ok {
			h.completeLink(w, r, user, authTime)
		}
		pageParams, err := params(raw)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		delete(pageParams, "csrf_token")
		req.Params = pageParams
		page, err := p.ServePage(ctx, req)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		status := page.Status
		if status == 0 {
			status = http.StatusOK
		}
		data := struct {
			Title, Email, Action, CSRF string
			Page                       grants.Page
		}{Title: page.Title, Email: user.Email, Action: r.URL.Path, CSRF: h.sessions.csrfToken(w, r), Page: page}
		if err := h.pages.render(w, status, "grant", data); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// renderSignIn shows the sign-in page posting back to the current URL.
func (h *Handler) renderSignIn(w http.ResponseWriter, r *http.Request, email, msg string, status int) {
	data := loginData{
		Title: "Sign in", ClientName: "identityd", Email: email, Error: msg, Action: r.URL.RequestURI(), CSRF: h.sessions.csrfToken(w, r),
		Providers: h.upstreamButtons(r, r.URL.RequestURI()),
	}
	if err := h.pages.render(w, status, "login", data); err != nil {
		h.writeError(w, r, err)
	}
}
