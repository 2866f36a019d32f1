package http

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// adminUserJSON is a person as the people administration API shows them
// (contract §3, People administration): the shape of /api/auth/me and
// the administrator's view of the account.
type adminUserJSON struct {
	userJSON
	Disabled          bool           `json:"disabled"`
	MFA               mfaJSON        `json:"mfa"`
	LastLoginAt       *time.Time     `json:"last_login_at"`
	IdentityProviders []identityLink `json:"identity_providers"`
}

// mfaJSON summarises a person's second factors.
type mfaJSON struct {
	TOTP     bool `json:"totp"`
	Passkeys int  `json:"passkeys"`
}

// identityLink is an upstream account linked to the person: the
// provider's id and name, the account's sub there, and its e-mail address
// when it was linked.
type identityLink struct {
	ID       string    `json:"id"`
	Subject  string    `json:"subject"`
	Name     string    `json:"name"`
	Email    string    `json:"email"`
	LinkedAt time.Time `json:"linked_at"`
}

// withLinks fills in the person's second factors (mfa) and linked
// upstream accounts; a store that cannot list them fails the request.
func (h *Handler) withLinks(r *http.Request, out adminUserJSON) (adminUserJSON, error) {
	if h.accounts != nil {
		sum, err := h.accounts.Factors(r.Context(), out.ID)
		if err != nil {
			return out, err
		}
		out.MFA = mfaJSON{TOTP: sum.TOTP, Passkeys: sum.Passkeys}
	}
	if h.upstream == nil {
		return out, nil
	}
	links, err := h.upstream.Links(r.Context(), out.ID)
	if err != nil {
		return out, err
	}
	for _, l := range links {
		name := l.ProviderID
		if p, err := h.idps.Get(r.Context(), l.ProviderID); err == nil {
			name = p.Name
		}
		out.IdentityProviders = append(out.IdentityProviders, identityLink{ID: l.ProviderID, Subject: l.Subject, Name: name, Email: l.Email, LinkedAt: l.CreatedAt})
	}
	return out, nil
}

func toAdminUserJSON(u core.User) adminUserJSON {
	out := adminUserJSON{userJSON: toUserJSON(u), Disabled: u.Disabled, IdentityProviders: []identityLink{}}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		out.LastLoginAt = &t
	}
	return out
}

func (h *Handler) userRoutes(api *mux.Router) {
	if h.accounts == nil {
		return
	}
	api.Handle("/users", h.managed(tierUsers, core.ScopeUsersRead, h.listUsers)).Methods(http.MethodGet)
	api.Handle("/users", h.managed(tierUsers, core.ScopeUsersWrite, h.createUser)).Methods(http.MethodPost)
	api.Handle("/users/{id}", h.managed(tierUsers, core.ScopeUsersRead, h.getUser)).Methods(http.MethodGet)
	api.Handle("/users/{id}", h.managed(tierUsers, core.ScopeUsersWrite, h.updateUser)).Methods(http.MethodPatch)
	api.Handle("/users/{id}", h.managed(tierUsers, core.ScopeUsersWrite, h.deleteUser)).Methods(http.MethodDelete)
	api.Handle("/users/{id}/password-reset", h.managed(tierUsers, core.ScopeUsersWrite, h.resetUserPassword)).Methods(http.MethodPost)
	api.Handle("/users/{id}/sessions", h.managed(tierUsers, core.ScopeUsersWrite, h.endUserSessions)).Methods(http.MethodDelete)
}

// userCaller is callerOf with the person behind the token, so the rules
// about oneself (core.AuthorizeUserChange) can be applied; a client's own
// token acts for no person.
func (h *Handler) userCaller(r *http.Request) (core.Caller, error) {
	c := callerOf(r)
	t, _ := tokenFrom(r.Context())
	rec, err := h.tokens.Record(r.Context(), t)
	if err != nil {
		return core.Caller{}, err
	}
	c.UserID = rec.UserID
	return c, nil
}

// listUsers: GET /api/users?q=&status=&role=&limit=&cursor=. A limit over
// 200 is clamped to 200.
func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var v core.ValidationError
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		switch {
		case err != nil && len(s) < 20:
			v.Add("limit", "must be a whole number")
		case err != nil || n > core.MaxPageLimit:
			limit = core.MaxPageLimit // clamped: a huge number asks for the most there is
		case n < 1:
			v.Add("limit", "must be between 1 and 200")
		default:
			limit = n
		}
	}
	if err := v.Err(); err != nil {
		h.writeError(w, r, err)
		return
	}
	items, next, err := h.accounts.ListUsers(r.Context(), service.UserQuery{
		UserFilter: core.UserFilter{Query: q.Get("q"), Status: q.Get("status"), Role: q.Get("role")},
		Limit:      limit, Cursor: q.Get("cursor"),
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out := make([]adminUserJSON, len(items))
	for i, u := range items {
		if out[i], err = h.withLinks(r, toAdminUserJSON(u)); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, newListPage(out, next))
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	u, err := h.accounts.GetUser(r.Context(), pathID(r))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	out, err := h.withLinks(r, toAdminUserJSON(u))
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// createUserInput is the body of POST /api/users.
type createUserInput struct {
	Email         string   `json:"email"`
	FirstName     string   `json:"first_name"`
	LastName      string   `json:"last_name"`
	Password      *string  `json:"password"`
	Roles         []string `json:"roles"`
	EmailVerified bool     `json:"email_verified"`
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in createUserInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	caller, err := h.userCaller(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	u, err := h.accounts.CreateUser(r.Context(), caller, service.CreateUserInput{
		Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Password: in.Password, Roles: in.Roles, EmailVerified: in.EmailVerified,
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/users/"+u.ID)
	writeJSON(w, http.StatusCreated, toAdminUserJSON(u))
}

// updateUserInput is the body of PATCH /api/users/{id}; absent fields stay.
type updateUserInput struct {
	FirstName     *string   `json:"first_name"`
	LastName      *string   `json:"last_name"`
	Email         *string   `json:"email"`
	EmailVerified *bool     `json:"email_verified"`
	Disabled      *bool     `json:"disabled"`
	Roles         *[]string `json:"roles"`
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request) {
	var in updateUserInput
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	caller, err := h.userCaller(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	u, err := h.accounts.UpdateUser(r.Context(), caller, pathID(r), service.AdminUpdateInput{
		FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, EmailVerified: in.EmailVerified, Disabled: in.Disabled, Roles: in.Roles,
	})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toAdminUserJSON(u))
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request) {
	caller, err := h.userCaller(r)
	if err == nil {
		err = h.accounts.DeleteUser(r.Context(), caller, pathID(r))
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// resetUserPassword: POST /api/users/{id}/password-reset, body optional
// {"sign_out": true}.
func (h *Handler) resetUserPassword(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SignOut bool `json:"sign_out"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &in); err != nil {
			h.writeError(w, r, err)
			return
		}
	}
	if err := h.accounts.AdminPasswordReset(r.Context(), pathID(r), in.SignOut); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// endUserSessions: DELETE /api/users/{id}/sessions signs the person out
// everywhere.
func (h *Handler) endUserSessions(w http.ResponseWriter, r *http.Request) {
	if err := h.accounts.SignOutEverywhere(r.Context(), pathID(r)); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
