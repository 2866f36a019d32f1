package http

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// upstreamButton is a "Sign in with {Name}" link of the sign-in page.
type upstreamButton struct{ Name, Href string }

// upstreamButtons are the buttons of the sign-in page whose form goes to
// returnTo. A store that cannot list providers shows none: the password
// form keeps working.
func (h *Handler) upstreamButtons(r *http.Request, returnTo string) []upstreamButton {
	if h.upstream == nil {
		return nil
	}
	list, err := h.upstream.Providers(r.Context())
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "identity providers not listed", slog.String("error", err.Error()))
		return nil
	}
	out := make([]upstreamButton, len(list))
	for i, p := range list {
		out[i] = upstreamButton{Name: p.Name, Href: "/login/" + p.ID + "?" + url.Values{"return_to": {returnTo}}.Encode()}
	}
	return out
}

// upstreamRoutes serves the upstream sign-in: /login/{id} sends the
// browser to the provider, /login/{id}/callback is the redirect URI
// registered there, /login/{id}/link asks a person to prove an existing
// account theirs before it is linked.
func (h *Handler) upstreamRoutes(r *mux.Router) {
	if h.upstream == nil || h.accounts == nil {
		return
	}
	r.HandleFunc("/login/{id}", h.upstreamStart).Methods(http.MethodGet)
	r.HandleFunc("/login/{id}/callback", h.upstreamCallback).Methods(http.MethodGet)
	r.HandleFunc("/login/{id}/link", h.upstreamLinkPage).Methods(http.MethodGet)
}

// localReturnTo returns s when it is a path on this server (never another
// origin, so no open redirect), else "".
func localReturnTo(s string) string {
	if s == "" || len(s) > 8192 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return ""
	}
	return s
}

const (
	upstreamFlowCookie = "identityd_upstream"
	pendingLinkCookie  = "identityd_link"
)

// cookieName gives base the __Host- prefix when cookies are Secure.
func (s *sessions) cookieName(base string) string {
	if s.cfg.Secure {
		return "__Host-" + base
	}
	return base
}

// setSigned stores v as JSON in the cookie base, signed with the session
// key so the browser can neither read more into it nor change it.
func (s *sessions) setSigned(w http.ResponseWriter, base string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	enc := b64(raw)
	http.SetCookie(w, s.cookie(s.cookieName(base), enc+"."+b64(s.mac(base, enc)), int(ttl/time.Second)))
	return nil
}

// readSigned reads into v what setSigned stored in base; false when it is
// absent, altered or malformed.
func (s *sessions) readSigned(r *http.Request, base string, v any) bool {
	c, err := r.Cookie(s.cookieName(base))
	if err != nil || len(c.Value) > 8192 {
		return false
	}
	enc, sig, ok := strings.Cut(c.Value, ".")
	if !ok || !s.verify(sig, b64, base, enc) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	return err == nil && json.Unmarshal(raw, v) == nil
}

func (s *sessions) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, s.cookie(s.cookieName(base), "", -1))
}

// upstreamStart sends the browser to provider id's authorization endpoint
// with a fresh state, nonce and PKCE challenge, kept in a signed cookie
// of this browser.
func (h *Handler) upstreamStart(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	returnTo := localReturnTo(r.URL.Query().Get("return_to"))
	if returnTo == "" {
		returnTo = "/"
	}
	target, flow, err := h.upstream.Begin(r.Context(), pathID(r), returnTo)
	switch {
	case errors.Is(err, core.ErrNotFound):
		h.renderUpstreamPage(w, r, http.StatusNotFound, "Unknown sign-in provider", "There is no sign-in provider by that name here.", returnTo)
		return
	case errors.Is(err, core.ErrUnavailable):
		h.upstreamUnavailable(w, r, pathID(r), returnTo, err)
		return
	case err != nil:
		h.writeError(w, r, err)
		return
	}
	if err := h.sessions.setSigned(w, upstreamFlowCookie, flow, service.UpstreamFlowTTL); err != nil {
		h.writeError(w, r, err)
		return
	}
	noStore(w)
	http.Redirect(w, r, target, http.StatusFound)
}

// upstreamUnavailable says that a provider cannot be reached, and that the
// other ways to sign in still work.
func (h *Handler) upstreamUnavailable(w http.ResponseWriter, r *http.Request, id, returnTo string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "identity provider unreachable", slog.String("provider", id),
		slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	name := id
	if p, gerr := h.idps.Get(r.Context(), id); gerr == nil {
		name = p.Name
	}
	h.renderUpstreamPage(w, r, http.StatusServiceUnavailable, name+" cannot be reached",
		"The sign-in service of "+name+" does not answer right now. You can sign in with your password instead, or try again in a few minutes.", returnTo)
}

func (h *Handler) renderUpstreamPage(w http.ResponseWriter, r *http.Request, status int, title, msg, restart string) {
	page := errorPage{Title: title, Message: msg, Restart: localReturnTo(restart)}
	if page.Restart == "" {
		page.Advice = "Go back to the application you came from and start again."
	}
	if err := h.pages.render(w, status, "error", page); err != nil {
		h.writeError(w, r, err)
	}
}

// upstreamCallback is the redirect URI at the provider (RFC 6749 §4.1.2):
// it checks the response against this browser's flow, redeems the code,
// and signs the person in, offers a link, or says why not. Nothing but a
// verified id_token of the flow this browser started opens a session.
func (h *Handler) upstreamCallback(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	id := pathID(r)
	var flow service.UpstreamFlow
	if !h.sessions.readSigned(r, upstreamFlowCookie, &flow) {
		flow = service.UpstreamFlow{}
	}
	// The flow is used once, whatever the outcome.
	h.sessions.clearCookie(w, upstreamFlowCookie)
	q, err := params(r.URL.Query())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	returnTo := localReturnTo(flow.ReturnTo)
	cb := service.UpstreamCallback{State: q.Get("state"), Code: q.Get("code"), Iss: q.Get("iss"), Error: q.Get("error"), ErrorDescription: q.Get("error_description")}
	out, err := h.upstream.Complete(r.Context(), flow, id, cb)
	var (
		ue      *core.UpstreamError
		refused *service.LinkRefusedError
	)
	switch {
	case errors.Is(err, service.ErrUpstreamState):
		h.renderUpstreamPage(w, r, http.StatusBadRequest, "This sign-in cannot be completed",
			"The answer of the sign-in provider does not belong to a sign-in started in this browser, or it came too late. Nothing was changed.", "")
	case errors.Is(err, service.ErrAccountDisabled):
		h.renderUpstreamPage(w, r, http.StatusForbidden, "Your account is disabled", "An administrator disabled your account here, so you cannot sign in.", "")
	case errors.As(err, &refused):
		h.renderUpstreamPage(w, r, http.StatusForbidden, "Your account cannot be linked", linkRefusal(refused), returnTo)
	case errors.As(err, &ue) && ue.Code == core.UpstreamInvalid:
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "upstream sign-in refused", slog.String("provider", id),
			slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
		h.renderUpstreamPage(w, r, http.StatusBadRequest, "This sign-in cannot be completed",
			"The answer of the sign-in provider could not be verified, so nobody was signed in.", returnTo)
	case errors.As(err, &ue):
		// The person cancelled or the provider refused: the client that
		// asked is told, as RFC 6749 §4.1.2.1 tells it any refusal.
		h.upstreamRefused(w, r, returnTo, ue)
	case errors.Is(err, core.ErrNotFound):
		h.renderUpstreamPage(w, r, http.StatusNotFound, "Unknown sign-in provider", "There is no sign-in provider by that name here.", returnTo)
	case errors.Is(err, core.ErrUnavailable):
		h.upstreamUnavailable(w, r, id, returnTo, err)
	case err != nil:
		h.writeError(w, r, err)
	case out.Pending != nil:
		pending := pendingLinkState{PendingLink: *out.Pending, ReturnTo: returnTo}
		if err := h.sessions.setSigned(w, pendingLinkCookie, pending, service.PendingLinkTTL); err != nil {
			h.writeError(w, r, err)
			return
		}
		noStore(w)
		http.Redirect(w, r, "/login/"+id+"/link", http.StatusFound)
	default:
		now := h.clock.Now()
		h.sessions.start(w, out.User, now)
		// The session's sign-in was federated: its codes' id_tokens say
		// amr fed (RFC 8176).
		_ = h.sessions.setSigned(w, sessionAMRCookie, sessionAMR{UserID: out.User.ID, AuthTime: now.UnixMilli(), AMR: []string{core.AMRFederated}}, h.sessions.cfg.TTL)
		noStore(w)
		if returnTo == "" {
			returnTo = "/"
		}
		http.Redirect(w, r, freshSignIn(returnTo), http.StatusFound)
	}
}

// pendingLinkState is a pending link as the browser keeps it.
type pendingLinkState struct {
	service.PendingLink
	ReturnTo string
}

// linkRefusal says why an upstream account was not linked.
func linkRefusal(e *service.LinkRefusedError) string {
	switch e.Decision {
	case core.LinkRefusedNotAllowed:
		return "An account with the same e-mail address already exists here, and " + e.Provider.Name + " is not allowed to sign in to existing accounts. Sign in with your password instead."
	case core.LinkRefusedUnverified:
		return "An account with the same e-mail address already exists here, but " + e.Provider.Name + " did not confirm that the address is verified, so it cannot be linked to it. Sign in with your password instead."
	case core.LinkRefusedNoEmail:
		return e.Provider.Name + " did not share an e-mail address, so no account can be made for you."
	}
	return "Your account at " + e.Provider.Name + " cannot be used here."
}

// upstreamRefused returns an upstream refusal (cancel, access_denied,
// ...) to the client whose authorization request sent the person, at its
// redirect URI (RFC 6749 §4.1.2.1); elsewhere it is a page.
func (h *Handler) upstreamRefused(w http.ResponseWriter, r *http.Request, returnTo string, ue *core.UpstreamError) {
	if u, err := url.Parse(returnTo); err == nil && returnTo != "" && u.Path == authorizePath && h.authz != nil {
		req, verr := h.authz.Validate(r.Context(), u.Query())
		if verr == nil {
			h.redirectError(w, r, req, core.NewOAuthError(ue.Code, ue.Description))
			return
		}
	}
	h.renderUpstreamPage(w, r, http.StatusForbidden, "Sign-in cancelled", "The sign-in was cancelled or refused at the sign-in provider ("+ue.Code+").", returnTo)
}

// freshSignIn drops prompt=login and select_account, and max_age, from an
// authorization request the person just signed in for, so the
// authorization endpoint does not ask again.
func freshSignIn(returnTo string) string {
	u, err := url.Parse(returnTo)
	if err != nil || u.Path != authorizePath {
		return returnTo
	}
	q := u.Query()
	if !q.Has("prompt") && !q.Has("max_age") {
		return returnTo
	}
	q.Del("max_age")
	kept := slices.DeleteFunc(strings.Fields(q.Get("prompt")), func(p string) bool { return p == "login" || p == "select_account" })
	if len(kept) == 0 {
		q.Del("prompt")
	} else {
		q.Set("prompt", strings.Join(kept, " "))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// withPromptLogin adds prompt=login to an authorization request, so its
// form signs the person in afresh even within a session.
func withPromptLogin(returnTo string) string {
	u, err := url.Parse(returnTo)
	if err != nil || u.Path != authorizePath {
		return returnTo
	}
	q := u.Query()
	prompts := strings.Fields(q.Get("prompt"))
	if !slices.Contains(prompts, "login") {
		prompts = append(prompts, "login")
	}
	q.Set("prompt", strings.Join(prompts, " "))
	u.RawQuery = q.Encode()
	return u.String()
}

// upstreamLinkPage asks the person to sign in to the existing account
// once, its own way (password, and whatever else the sign-in asks), before
// the upstream account is linked to it; completeLink links it after.
func (h *Handler) upstreamLinkPage(w http.ResponseWriter, r *http.Request) {
	r = withHTMLErrors(r)
	var pending pendingLinkState
	if !h.sessions.readSigned(r, pendingLinkCookie, &pending) || pending.ProviderID != pathID(r) || !h.clock.Now().Before(pending.ExpiresAt) {
		h.renderUpstreamPage(w, r, http.StatusBadRequest, "Nothing to link", "There is no account waiting to be linked in this browser, or it waited too long. Start again.", "")
		return
	}
	name := pending.ProviderID
	if p, err := h.idps.Get(r.Context(), pending.ProviderID); err == nil {
		name = p.Name
	}
	action := pending.ReturnTo
	if action == "" {
		action = "/"
	}
	data := loginData{
		Title: "Link your account", ClientName: name, Email: pending.Email, Action: withPromptLogin(action), CSRF: h.sessions.csrfToken(w, r),
		Notice: "An account with this e-mail address already exists. To sign in with " + name + " from now on, sign in to it once more the usual way; " + name + " is then linked to it.",
	}
	if err := h.pages.render(w, http.StatusOK, "login", data); err != nil {
		h.writeError(w, r, err)
	}
}

// completeLink links the browser's pending upstream account to user when
// user proved the account theirs by a sign-in at authTime after the
// upstream one (service.UpstreamSignIns.CompleteLink); it runs wherever a
// sign-in leads on.
func (h *Handler) completeLink(w http.ResponseWriter, r *http.Request, user core.User, authTime time.Time) {
	if h.upstream == nil {
		return
	}
	var pending pendingLinkState
	if !h.sessions.readSigned(r, pendingLinkCookie, &pending) || pending.UserID != user.ID {
		return
	}
	linked, err := h.upstream.CompleteLink(r.Context(), pending.PendingLink, user, authTime)
	if err != nil {
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "identity link not made", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
		return
	}
	if linked {
		h.sessions.clearCookie(w, pendingLinkCookie)
	}
}

// linkedProviderJSON is one of a person's linked upstream accounts.
type linkedProviderJSON struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	LinkedAt time.Time `json:"linked_at"`
}

// linkedProviders returns the person's links, named after their providers.
func (h *Handler) linkedProviders(r *http.Request, userID string) ([]linkedProviderJSON, error) {
	out := []linkedProviderJSON{}
	if h.upstream == nil {
		return out, nil
	}
	links, err := h.upstream.Links(r.Context(), userID)
	if err != nil {
		return nil, err
	}
	for _, l := range links {
		name := l.ProviderID
		if p, err := h.idps.Get(r.Context(), l.ProviderID); err == nil {
			name = p.Name
		}
		out = append(out, linkedProviderJSON{ID: l.ProviderID, Name: name, Email: l.Email, LinkedAt: l.CreatedAt})
	}
	return out, nil
}

// meIdentityProviderRoutes lets a person see and remove their linked
// upstream accounts.
func (h *Handler) meIdentityProviderRoutes(api *mux.Router) {
	if h.upstream == nil || h.accounts == nil {
		return
	}
	api.Handle("/auth/me/identity-providers", h.authenticate(http.HandlerFunc(h.listMyIdentityProviders))).Methods(http.MethodGet)
	api.Handle("/auth/me/identity-providers/{id}", h.authenticate(http.HandlerFunc(h.unlinkMyIdentityProvider))).Methods(http.MethodDelete)
}

func (h *Handler) listMyIdentityProviders(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	items, err := h.linkedProviders(r, t.UserID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h *Handler) unlinkMyIdentityProvider(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	if !core.ValidIdentityProviderID(pathID(r)) {
		h.writeError(w, r, core.ErrNotFound)
		return
	}
	if err := h.upstream.Unlink(r.Context(), t.UserID, pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// sessionAMRCookie keeps how the browser session's sign-in was made when
// it was not by password (RFC 8176 amr), bound to that sign-in: a later
// sign-in, which starts a new session, leaves it behind.
const sessionAMRCookie = "identityd_amr"

type sessionAMR struct {
	UserID   string
	AuthTime int64 // Unix milliseconds, as the session keeps it
	AMR      []string
}

// sessionAMR returns the methods of the session of userID signed in at
// authTime, nil for a password.
func (h *Handler) sessionAMR(r *http.Request, userID string, authTime time.Time) []string {
	var s sessionAMR
	if !h.sessions.readSigned(r, sessionAMRCookie, &s) || s.UserID != userID || s.AuthTime != authTime.UnixMilli() {
		return nil
	}
	return s.AMR
}
