package http

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// openIDRoutes serves OpenID Connect's endpoints when people can sign in
// (the authorization_code grant is installed): discovery (the RFC 8414
// document, which carries the OpenID members too), userinfo (Core §5.3)
// and RP-Initiated Logout's end_session_endpoint.
func (h *Handler) openIDRoutes(r *mux.Router) {
	if !h.openID() {
		return
	}
	r.HandleFunc("/.well-known/openid-configuration", h.serveMetadata).Methods(http.MethodGet)
	r.Handle("/oauth/userinfo", h.authenticateFrom(headerOrBodyToken, http.HandlerFunc(h.userinfo))).Methods(http.MethodGet, http.MethodPost)
	r.HandleFunc("/oauth/logout", h.logoutPage).Methods(http.MethodGet, http.MethodPost)
}

// openID reports whether this server is an OpenID Provider: people sign
// in at the authorization endpoint.
func (h *Handler) openID() bool {
	return h.authz != nil && h.accounts != nil && h.grants.Has(core.GrantAuthorizationCode)
}

// openIDMetadata are the members OpenID Connect Discovery 1.0 §3 adds to
// the RFC 8414 document (RFC 8414 §7.1.2 registers them). Both documents
// are one: they agree member for member.
func (h *Handler) openIDMetadata(iss string) map[string]any {
	return map[string]any{
		"userinfo_endpoint":                     iss + "/oauth/userinfo",
		"end_session_endpoint":                  iss + "/oauth/logout",
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": core.IDTokenAlgorithms(),
		"claims_supported": []string{
			"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "amr", "acr", "sid",
			"name", "given_name", "family_name", "updated_at", "email", "email_verified",
		},
		// Core §2 acr: a password alone, or two factors
		// (acr_values=urn:identityd:acr:mfa asks for them).
		"acr_values_supported":             core.ACRValuesSupported,
		"claims_parameter_supported":       false,
		"request_parameter_supported":      false,
		"request_uri_parameter_supported":  false,
		"require_request_uri_registration": false,
		"frontchannel_logout_supported":    false,
		"backchannel_logout_supported":     false,
	}
}

// userinfo is the UserInfo endpoint (OpenID Connect Core §5.3): GET or
// POST with a Bearer access token (RFC 6750 §2.1, or §2.2's access_token
// in a form-encoded POST body) that has the openid scope. It answers the
// claims the token's scopes release, with the sub of the ID token. Errors
// are RFC 6750 §3.1: invalid_request (400: the token sent both ways),
// invalid_token (401) and insufficient_scope (403), with WWW-Authenticate.
func (h *Handler) userinfo(w http.ResponseWriter, r *http.Request) {
	t, _ := tokenFrom(r.Context())
	sub, claims, err := h.tokens.UserInfo(r.Context(), t)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	writeJSON(w, http.StatusOK, struct {
		Sub string `json:"sub"`
		core.UserClaims
	}{sub, claims})
}

// logoutParams are the request parameters of RP-Initiated Logout 1.0 §2
// that identityd acts on; ui_locales and logout_hint are accepted and
// ignored.
var logoutParams = []string{"id_token_hint", "client_id", "post_logout_redirect_uri", "state"}

// logoutPage is the end_session_endpoint (RP-Initiated Logout 1.0). It ends
// the browser's session at identityd, then redirects to
// post_logout_redirect_uri (with state) when it is exactly one of the
// client's registered post_logout_redirect_uris, or shows a page saying
// the person is signed out. It signs out without asking only when the
// id_token_hint was issued from this browser's current session (its sid,
// core.SessionID); any other hint (another person's, or one of the
// person's ended sessions, expired or not) and none at all get a
// confirmation form that posts back here with the CSRF token (§2: "the OP
// SHOULD ask the End-User whether to log out"). A logout request sent by
// POST (§2 allows GET and POST) carries no CSRF token: it is answered with
// a 303 to the same request as a GET, which the browser sends with its
// session cookie (SameSite=Lax withholds it from a cross-site POST), so
// both methods behave alike. The sign-in pages' "Not you? Sign out" posts
// here too, with return_to naming the authorization request to go back to.
func (h *Handler) logoutPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	ctx := r.Context()
	params := r.URL.Query()
	confirmed := false
	if r.Method == http.MethodPost {
		form, err := parseForm(w, r)
		if err != nil {
			h.writeError(w, r, err)
			return
		}
		if !form.Has("csrf_token") {
			h.logoutByGET(w, r, form)
			return
		}
		if !h.sessions.checkCSRF(r, form.Get("csrf_token")) {
			h.writeError(w, r, errCSRF)
			return
		}
		params, confirmed = form, true
	}
	params, repeated := core.OAuthParams(params)
	if len(repeated) > 0 {
		h.writeError(w, r, core.ErrRepeatedParam(repeated[0]))
		return
	}
	if params.Has("return_to") {
		h.signOutAndReturn(w, r, params.Get("return_to"))
		return
	}

	var hint core.IDTokenClaims
	clientID := params.Get("client_id")
	if raw := params.Get("id_token_hint"); raw != "" {
		claims, err := h.tokens.ParseIDToken(ctx, raw)
		if err != nil {
			h.writeError(w, r, core.NewOAuthError(core.CodeInvalidRequest, "id_token_hint is not an ID token issued here"))
			return
		}
		if clientID != "" && clientID != claims.Audience {
			h.writeError(w, r, core.NewOAuthError(core.CodeInvalidRequest, "client_id is not the audience of id_token_hint"))
			return
		}
		clientID, hint = claims.Audience, claims
	}
	var client core.Client
	if clientID != "" {
		c, err := h.clients.Get(ctx, clientID)
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			h.writeError(w, r, err)
			return
		}
		client = c
	}
	redirect := params.Get("post_logout_redirect_uri")
	if redirect != "" {
		if client.ID == "" {
			h.writeError(w, r, core.NewOAuthError(core.CodeInvalidRequest, "post_logout_redirect_uri needs a known client_id or id_token_hint"))
			return
		}
		if !client.AllowsPostLogoutRedirect(redirect) {
			h.writeError(w, r, core.NewOAuthError(core.CodeInvalidRequest, "post_logout_redirect_uri is not registered for this client"))
			return
		}
	}

	user, authTime, signedIn := h.session(r)
	ofThisSession := signedIn && hint.Subject == user.ID && hint.SessionID != "" && hint.SessionID == core.SessionID(user.ID, authTime)
	if !confirmed && signedIn && !ofThisSession {
		kept := map[string]string{}
		for _, k := range logoutParams {
			if v := params.Get(k); v != "" {
				kept[k] = v
			}
		}
		if redirect != "" {
			h.allowFormsTo(w, redirect)
		}
		h.renderLogout(w, r, true, client.Name, kept)
		return
	}
	h.endSession(w, r)
	noStore(w)
	if redirect == "" {
		h.renderLogout(w, r, false, "", nil)
		return
	}
	u, err := url.Parse(redirect)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if state := params.Get("state"); state != "" {
		q := u.Query()
		q.Set("state", state)
		u.RawQuery = q.Encode()
	}
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, u.String(), status)
}

// logoutByGET answers a logout request a relying party sent by POST
// (RP-Initiated Logout 1.0 §2) with a 303 to the same request as a GET of
// this endpoint: nothing ends here, the GET decides with the browser's
// cookies. Only the parameters of §2 are carried over.
func (h *Handler) logoutByGET(w http.ResponseWriter, r *http.Request, form url.Values) {
	form, repeated := core.OAuthParams(form)
	if len(repeated) > 0 {
		h.writeError(w, r, core.ErrRepeatedParam(repeated[0]))
		return
	}
	q := url.Values{}
	for _, k := range append([]string{"ui_locales", "logout_hint"}, logoutParams...) {
		if v := form.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	noStore(w)
	http.Redirect(w, r, r.URL.Path+"?"+q.Encode(), http.StatusSeeOther)
}

// signOutAndReturn is "Not you? Sign out" on the sign-in pages: after the
// person confirms (a form with the CSRF token), the session ends and the
// browser goes back to the authorization request, which now asks who is
// there.
func (h *Handler) signOutAndReturn(w http.ResponseWriter, r *http.Request, back string) {
	if !strings.HasPrefix(back, "/oauth/authorize?") || strings.ContainsAny(back, "\\\r\n") || len(back) > 8192 {
		h.writeError(w, r, core.NewOAuthError(core.CodeInvalidRequest, "return_to must be an authorization request of this server"))
		return
	}
	if _, signedIn := h.sessionUser(r); signedIn && r.Method == http.MethodGet {
		h.renderLogout(w, r, true, "", map[string]string{"return_to": back})
		return
	}
	h.endSession(w, r)
	noStore(w)
	status := http.StatusFound
	if r.Method == http.MethodPost {
		status = http.StatusSeeOther
	}
	http.Redirect(w, r, back, status)
}

// signOutLink is the "Not you? Sign out" link of a page showing the
// authorization request r.
func signOutLink(r *http.Request) string {
	return "/oauth/logout?" + url.Values{"return_to": {r.URL.RequestURI()}}.Encode()
}

func (h *Handler) renderLogout(w http.ResponseWriter, r *http.Request, confirm bool, clientName string, params map[string]string) {
	data := struct {
		Title, ClientName, CSRF string
		Confirm                 bool
		Params                  map[string]string
	}{Title: "Sign out", ClientName: clientName, Confirm: confirm, Params: params}
	if confirm {
		data.CSRF = h.sessions.csrfToken(w, r)
	} else {
		data.Title = "Signed out"
	}
	if err := h.pages.render(w, http.StatusOK, "logout", data); err != nil {
		h.writeError(w, r, err)
	}
}

// endSession ends the browser's session: the cookie is cleared, and the
// person's sessions in every browser end (a copied cookie no longer signs
// anyone in).
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	h.sessions.end(w)
	if u, ok := h.sessionUser(r); ok {
		if err := h.accounts.EndSessions(r.Context(), u.ID); err != nil {
			h.log.Warn("end browser sessions", "request_id", requestID(r.Context()), "error", err.Error())
		}
	}
}
