package http

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/service"
)

// userJSON is a user as the API shows it: never the password hash or the
// login back-off state.
type userJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	// EmailVerified is OpenID Connect Core §5.1's email_verified: true
	// once the link mailed after registration was followed.
	EmailVerified bool      `json:"email_verified"`
	FirstName     string    `json:"first_name"`
	LastName      string    `json:"last_name"`
	Roles         []string  `json:"roles"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

func toUserJSON(u core.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, EmailVerified: u.EmailVerified, FirstName: u.FirstName, LastName: u.LastName, Roles: nonNil(u.Roles), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// loginJSON is the login answer; scope is always present, empty for a user
// without scopes.
type loginJSON struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
}

func (h *Handler) authRoutes(api *mux.Router) {
	if h.accounts == nil {
		return
	}
	api.HandleFunc("/auth/register", h.register).Methods(http.MethodPost)
	api.HandleFunc("/auth/login", h.login).Methods(http.MethodPost)
	api.Handle("/auth/logout", h.authenticate(http.HandlerFunc(h.logout))).Methods(http.MethodPost)
	api.Handle("/auth/me", h.authenticate(http.HandlerFunc(h.getMe))).Methods(http.MethodGet)
	api.Handle("/auth/me", h.authenticate(http.HandlerFunc(h.updateMe))).Methods(http.MethodPatch)
	api.Handle("/auth/me", h.authenticate(http.HandlerFunc(h.deleteMe))).Methods(http.MethodDelete)
	api.HandleFunc("/auth/password-reset", h.requestReset).Methods(http.MethodPost)
	api.HandleFunc("/auth/password-reset/confirm", h.confirmReset).Methods(http.MethodPost)
	api.HandleFunc("/auth/verify-email", h.verifyEmail).Methods(http.MethodPost)
	h.mfaRoutes(api)
}

// verifyEmail marks the address of the token's account verified
// (OpenID Connect Core §5.1 email_verified): 204, or 400 on the token
// field for a token that is malformed, expired or already used.
func (h *Handler) verifyEmail(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token string `json:"token"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if _, err := h.accounts.VerifyEmail(r.Context(), in.Token); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email     string `json:"email"`
		Password  string `json:"password"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	u, err := h.accounts.Register(r.Context(), service.RegisterInput{Email: in.Email, Password: in.Password, FirstName: in.FirstName, LastName: in.LastName})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.accounts.SendVerification(u)
	w.Header().Set("Location", "/api/auth/me")
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.signInWith(w, r, func(ctx context.Context) (core.TokenResponse, error) {
		return h.accounts.Login(ctx, in.Email, in.Password)
	})
}

// signInWith answers a sign-in of the API (POST /api/auth/login and its
// second step) with the tokens signIn issues, remembering the device that
// signed in for the failed-sign-in back-off.
func (h *Handler) signInWith(w http.ResponseWriter, r *http.Request, signIn func(context.Context) (core.TokenResponse, error)) {
	r, device := h.withDevice(r, false)
	resp, err := signIn(r.Context())
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	h.sessions.setDevice(w, device)
	noStore(w)
	writeJSON(w, http.StatusOK, loginJSON{AccessToken: resp.AccessToken, RefreshToken: resp.RefreshToken, TokenType: resp.TokenType, ExpiresIn: resp.ExpiresIn, Scope: resp.Scope})
}

// withDevice returns r carrying the caller's device identifier for the
// account service's login throttle, and the identifier to set as the
// device cookie once the person has proved the account theirs. A sign-in
// form always carries one, new when the browser has none (a browser that
// posts the form keeps cookies: its CSRF cookie shows it). An API call
// carries only one it presented, so a caller that keeps no cookies is
// known by its address alone and does not register a new device at every
// login; one that keeps the cookie set on its first login is known by it
// from the next.
func (h *Handler) withDevice(r *http.Request, form bool) (*http.Request, string) {
	id, presented := h.sessions.device(r)
	info := service.RequestInfoFrom(r.Context())
	info.Device = ""
	if form || presented {
		info.Device = id
	}
	return r.WithContext(service.WithRequestInfo(r.Context(), info)), id
}

// userToken returns the record of the accepted access token when it was
// issued to a person; a client's own token has no account.
func (h *Handler) userToken(r *http.Request) (core.AccessToken, error) {
	t, ok := tokenFrom(r.Context())
	if !ok {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInvalidToken, "a Bearer access token is required")
	}
	rec, err := h.tokens.Record(r.Context(), t)
	if err != nil {
		return core.AccessToken{}, err
	}
	if rec.UserID == "" {
		return core.AccessToken{}, core.NewOAuthError(core.CodeInsufficientScope, "this endpoint needs an access token issued to a user")
	}
	return rec, nil
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err == nil {
		err = h.accounts.Logout(r.Context(), t)
	}
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) getMe(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err == nil {
		var u core.User
		if u, err = h.accounts.Get(r.Context(), t.UserID); err == nil {
			writeJSON(w, http.StatusOK, toUserJSON(u))
			return
		}
	}
	h.writeError(w, r, err)
}

func (h *Handler) updateMe(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var in struct {
		FirstName       *string `json:"first_name"`
		LastName        *string `json:"last_name"`
		Password        *string `json:"password"`
		CurrentPassword *string `json:"current_password"`
		// Email starts an e-mail change: 202, and the address changes
		// when the link mailed to it is followed.
		Email *string `json:"email"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if in.Email != nil {
		h.changeEmail(w, r, t.UserID, *in.Email, in.CurrentPassword, in.FirstName != nil || in.LastName != nil || in.Password != nil)
		return
	}
	u, err := h.accounts.Update(r.Context(), t.UserID, service.UpdateInput{FirstName: in.FirstName, LastName: in.LastName, Password: in.Password, CurrentPassword: in.CurrentPassword})
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

// changeEmail answers PATCH /api/auth/me {email, current_password}: 202
// with the account as it is (the old address until the link is followed).
func (h *Handler) changeEmail(w http.ResponseWriter, r *http.Request, userID, email string, currentPassword *string, other bool) {
	if other {
		h.writeError(w, r, &core.ValidationError{Fields: map[string]string{"email": "is changed on its own, with current_password only"}})
		return
	}
	password := ""
	if currentPassword != nil {
		password = *currentPassword
	}
	if err := h.accounts.RequestEmailChange(r.Context(), userID, email, password); err != nil {
		h.writeError(w, r, err)
		return
	}
	u, err := h.accounts.Get(r.Context(), userID)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, toUserJSON(u))
}

func (h *Handler) deleteMe(w http.ResponseWriter, r *http.Request) {
	t, err := h.userToken(r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	var in struct {
		CurrentPassword string `json:"current_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.accounts.Delete(r.Context(), t.UserID, in.CurrentPassword); err != nil {
		h.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) requestReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	if err := h.accounts.RequestPasswordReset(r.Context(), in.Email); err != nil {
		h.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "if an account with that email exists, a reset link has been sent"})
}

func (h *Handler) confirmReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		h.writeError(w, r, err)
		return
	}
	r, device := h.withDevice(r, false)
	if err := h.accounts.ConfirmPasswordReset(r.Context(), in.Token, in.Password); err != nil {
		h.writeError(w, r, err)
		return
	}
	h.sessions.setDevice(w, device)
	w.WriteHeader(http.StatusNoContent)
}
