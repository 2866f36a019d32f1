package http

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
)

// Access is who may call an /api/* endpoint (issue 24 §2: a token is used
// only for what it was granted for). Exactly one of its forms holds:
// Public (no token needed), Scope (a Bearer token holding that scope, of
// any client), or Account (the self-service account API: a token issued to
// a person through identity-web or a first-party client, or holding the
// account scope the person consented to by name: core.MayUseAccountAPI).
type Access struct {
	Public  bool
	Scope   string
	Account bool
}

// String names the rule, as the table test and the error description do.
func (a Access) String() string {
	switch {
	case a.Public:
		return "public"
	case a.Account:
		return "account"
	default:
		return "scope " + a.Scope
	}
}

var (
	public  = Access{Public: true}
	account = Access{Account: true}
)

func scope(s string) Access { return Access{Scope: s} }

// apiAccess is the one table of who may call each /api/* route, keyed by
// "METHOD path template". A route missing here is refused with 403
// (deny by default) and fails TestAPIAccessTable, which walks the router.
var apiAccess = map[string]Access{
	"POST /api/auth/register":                      public,
	"POST /api/auth/login":                         public,
	"POST /api/auth/login/mfa":                     public,
	"POST /api/auth/password-reset":                public,
	"POST /api/auth/password-reset/confirm":        public,
	"POST /api/auth/verify-email":                  public,
	"POST /api/auth/logout":                        account,
	"GET /api/auth/me":                             account,
	"PATCH /api/auth/me":                           account,
	"DELETE /api/auth/me":                          account,
	"GET /api/auth/me/sessions":                    account,
	"DELETE /api/auth/me/sessions/{session_id}":    account,
	"GET /api/auth/me/consents":                    account,
	"DELETE /api/auth/me/consents/{client_id}":     account,
	"POST /api/auth/me/mfa/totp":                   account,
	"POST /api/auth/me/mfa/totp/confirm":           account,
	"DELETE /api/auth/me/mfa/totp":                 account,
	"POST /api/auth/me/mfa/recovery-codes":         account,
	"GET /api/auth/me/identity-providers":          account,
	"DELETE /api/auth/me/identity-providers/{id}":  account,
	"GET /api/scopes":                              scope(core.ScopeScopesRead),
	"POST /api/scopes":                             scope(core.ScopeScopesWrite),
	"GET /api/scopes/{id}":                         scope(core.ScopeScopesRead),
	"PUT /api/scopes/{id}":                         scope(core.ScopeScopesWrite),
	"DELETE /api/scopes/{id}":                      scope(core.ScopeScopesWrite),
	"GET /api/clients":                             scope(core.ScopeClientsRead),
	"POST /api/clients":                            scope(core.ScopeClientsWrite),
	"GET /api/clients/{id}":                        scope(core.ScopeClientsRead),
	"PUT /api/clients/{id}":                        scope(core.ScopeClientsWrite),
	"DELETE /api/clients/{id}":                     scope(core.ScopeClientsWrite),
	"POST /api/clients/{id}/regenerate-secret":     scope(core.ScopeClientsWrite),
	"GET /api/users":                               scope(core.ScopeUsersRead),
	"POST /api/users":                              scope(core.ScopeUsersWrite),
	"GET /api/users/{id}":                          scope(core.ScopeUsersRead),
	"PATCH /api/users/{id}":                        scope(core.ScopeUsersWrite),
	"DELETE /api/users/{id}":                       scope(core.ScopeUsersWrite),
	"POST /api/users/{id}/password-reset":          scope(core.ScopeUsersWrite),
	"GET /api/users/{id}/sessions":                 scope(core.ScopeUsersRead),
	"GET /api/users/{id}/tokens":                   scope(core.ScopeUsersRead),
	"DELETE /api/users/{id}/sessions":              scope(core.ScopeUsersWrite),
	"DELETE /api/users/{id}/sessions/{session_id}": scope(core.ScopeUsersWrite),
	"DELETE /api/users/{id}/mfa":                   scope(core.ScopeUsersWrite),
	"GET /api/audit-events":                        scope(core.ScopeAuditRead),
	"GET /api/identity-providers":                  scope(core.ScopeClientsAdmin),
	"POST /api/identity-providers":                 scope(core.ScopeClientsAdmin),
	"GET /api/identity-providers/{id}":             scope(core.ScopeClientsAdmin),
	"PUT /api/identity-providers/{id}":             scope(core.ScopeClientsAdmin),
	"DELETE /api/identity-providers/{id}":          scope(core.ScopeClientsAdmin),
}

// APIAccess returns the rule of the route "METHOD template" and whether
// the table states one.
func APIAccess(route string) (Access, bool) {
	a, ok := apiAccess[route]
	return a, ok
}

// APIAccessRoutes returns every route the table names, so a test can check
// that each is registered (a rule for a route that does not exist is a
// stale promise).
func APIAccessRoutes() []string {
	out := make([]string, 0, len(apiAccess))
	for route := range apiAccess {
		out = append(out, route)
	}
	return out
}

// errAccountAPI refuses a token of an application that was not given the
// account: it may not read or change the person's account.
var errAccountAPI = core.NewOAuthError(core.CodeInsufficientScope,
	"this endpoint is the person's own account: it takes a token of identity-web or a first-party application, or one holding the "+core.ScopeAccount+" scope")

// errNoAccessRule refuses a route the table does not name (deny by
// default).
var errNoAccessRule = core.NewOAuthError(core.CodeInsufficientScope, "this endpoint states no access rule")

// enforceAPIAccess applies apiAccess to every /api/* route, before the
// route's handler: public routes pass; every other needs a Bearer token
// (authenticated here, once: the handler's own authenticate reuses it)
// that the rule allows, else 403 insufficient_scope.
func (h *Handler) enforceAPIAccess(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " "
		if cur := mux.CurrentRoute(r); cur != nil {
			tpl, _ := cur.GetPathTemplate()
			route += tpl
		}
		rule, ok := apiAccess[route]
		if !ok {
			h.log.LogAttrs(r.Context(), slog.LevelError, "route without an access rule refused", slog.String("route", route))
			h.writeError(w, r, errNoAccessRule)
			return
		}
		if rule.Public {
			next.ServeHTTP(w, r)
			return
		}
		h.authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t, _ := tokenFrom(r.Context())
			if err := h.checkAccess(r, rule, t); err != nil {
				h.writeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r)
		})).ServeHTTP(w, r)
	})
}

// checkAccess applies one rule to an authenticated token.
func (h *Handler) checkAccess(r *http.Request, rule Access, t core.AccessToken) error {
	if !rule.Account {
		if !core.HasScopes(t.Scopes, rule.Scope) {
			return core.NewOAuthError(core.CodeInsufficientScope, "the access token lacks the scope "+rule.Scope)
		}
		return nil
	}
	// A client's own token (client_credentials) has the client as its
	// subject and no person's account.
	if t.Subject == t.ClientID {
		return errAccountAPI
	}
	c, err := h.clients.Get(r.Context(), t.ClientID)
	if errors.Is(err, core.ErrNotFound) {
		return errAccountAPI
	}
	if err != nil {
		return err
	}
	if !core.MayUseAccountAPI(c, t.Scopes) {
		return errAccountAPI
	}
	return nil
}
