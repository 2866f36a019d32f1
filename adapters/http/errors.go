package http

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/identityd/identityd/core"
)

// StatusClientClosedRequest is the status recorded for a request whose
// client went away before the answer (nginx's 499); it is not a server
// error.
const StatusClientClosedRequest = 499

// errorBody is the one error shape of the contract (§3, §4) and RFC 6749
// §5.2.
type errorBody struct {
	Error       string            `json:"error"`
	Description string            `json:"error_description"`
	Fields      map[string]string `json:"fields,omitempty"`
	// MFAToken is the mfa_token of an mfa_required answer (contract,
	// "Second factor at sign-in").
	MFAToken string `json:"mfa_token,omitempty"`
}

// edgeError is an error only the transport can produce (wrong method, body
// too large, ...), with its own status.
type edgeError struct {
	status      int
	code        string
	description string
	header      map[string]string
}

func (e *edgeError) Error() string { return e.code + ": " + e.description }

func newEdgeError(status int, code, description string) *edgeError {
	return &edgeError{status: status, code: code, description: description}
}

// writeError turns any error into the response the contract prescribes. It
// is the only place that maps errors to statuses. Anything unexpected is
// logged with the request id and answered without internals.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(r.Context().Err(), context.Canceled) {
		// The client hung up: whatever failed after that (a cancelled
		// query, a transaction the driver rolled back) is its doing,
		// not the server's. Nobody reads the answer; metrics and logs
		// count it as 499, nginx's "client closed request".
		h.log.LogAttrs(r.Context(), slog.LevelDebug, "client closed the request",
			slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	status, body := http.StatusInternalServerError, errorBody{Error: core.CodeServerError, Description: "the server could not complete the request"}
	var (
		oe   *core.OAuthError
		ve   *core.ValidationError
		edge *edgeError
		rle  *rateLimitError
	)
	switch {
	case errors.As(err, &rle):
		status, body = http.StatusTooManyRequests, errorBody{Error: "rate_limited", Description: "too many requests; retry after the number of seconds in Retry-After"}
		w.Header().Set("Retry-After", strconv.Itoa(rle.retryAfter))
	case errors.As(err, &edge):
		status, body = edge.status, errorBody{Error: edge.code, Description: edge.description}
		for k, v := range edge.header {
			w.Header().Set(k, v)
		}
	case errors.As(err, &ve):
		status, body = http.StatusBadRequest, errorBody{Error: core.CodeInvalidRequest, Description: "the request has invalid fields", Fields: ve.Fields}
	case errors.As(err, &oe):
		status, body = oauthStatus(oe.Code), errorBody{Error: oe.Code, Description: oe.Description}
		if status == http.StatusForbidden && wantsClientErrors(r) {
			status = http.StatusBadRequest
		}
		switch oe.Code {
		case core.CodeInvalidClient:
			if _, _, basic := r.BasicAuth(); basic {
				w.Header().Set("WWW-Authenticate", `Basic realm="identityd", charset="UTF-8"`)
			}
		case core.CodeInvalidToken:
			w.Header().Set("WWW-Authenticate", `Bearer realm="identityd", error="invalid_token"`)
		case core.CodeInsufficientScope:
			w.Header().Set("WWW-Authenticate", `Bearer realm="identityd", error="insufficient_scope"`)
		}
	case errors.Is(err, core.ErrUnavailable):
		status, body = http.StatusServiceUnavailable, errorBody{Error: core.CodeTemporarilyUnavailable, Description: "a dependency is unavailable; try again shortly"}
		w.Header().Set("Retry-After", "5")
	case errors.Is(err, core.ErrNotFound):
		status, body = http.StatusNotFound, errorBody{Error: "not_found", Description: "the resource does not exist"}
	case errors.Is(err, core.ErrAlreadyExists):
		status, body = http.StatusConflict, errorBody{Error: "conflict", Description: "a resource with that name or id already exists"}
		var ce *core.ConflictError
		if errors.As(err, &ce) {
			body.Fields = ce.Fields
		}
	case errors.Is(err, core.ErrConflict):
		status, body = http.StatusConflict, errorBody{Error: "conflict", Description: "the change conflicts with the current state, such as a scope still held by a client"}
	case errors.Is(err, core.ErrMFARequired):
		var c *core.MFAChallenge
		errors.As(err, &c)
		status, body = http.StatusUnauthorized, errorBody{Error: "mfa_required", Description: "the password is right; send a code of the second factor to /api/auth/login/mfa with this mfa_token within 5 minutes"}
		if c != nil {
			body.MFAToken = c.Token
		}
	case errors.Is(err, core.ErrMFAEnrollmentRequired):
		status, body = http.StatusForbidden, errorBody{Error: "mfa_enrollment_required", Description: "this account must have a second factor; sign in in a browser to set one up"}
	case errors.Is(err, core.ErrInvalidMFACode):
		status, body = http.StatusUnauthorized, errorBody{Error: "invalid_credentials", Description: "the code is incorrect or already used, or the sign-in has expired"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="identityd"`)
	case errors.Is(err, core.ErrInvalidCredentials):
		status, body = http.StatusUnauthorized, errorBody{Error: "invalid_credentials", Description: "the email or password is incorrect"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="identityd"`)
	case errors.Is(err, core.ErrAccountDisabled):
		status, body = http.StatusForbidden, errorBody{Error: "account_disabled", Description: "the account is disabled"}
	case errors.Is(err, core.ErrUnauthenticated):
		status, body = http.StatusUnauthorized, errorBody{Error: core.CodeInvalidToken, Description: "authentication failed"}
		w.Header().Set("WWW-Authenticate", `Bearer realm="identityd"`)
	case errors.Is(err, core.ErrForbidden):
		status, body = http.StatusForbidden, errorBody{Error: "forbidden", Description: "not allowed"}
		var fe *core.ForbiddenError
		if errors.As(err, &fe) {
			body.Description = fe.Description
		}
	}
	if status >= 500 {
		h.log.LogAttrs(r.Context(), levelFor(status), "request failed",
			slog.String("request_id", requestID(r.Context())), slog.Int("status", status), slog.String("error", err.Error()))
	}
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		noStore(w)
	}
	if wantsHTMLErrors(r) {
		h.renderErrorPage(w, r, status, body)
		return
	}
	writeJSON(w, status, body)
}

func levelFor(status int) slog.Level {
	if status == http.StatusServiceUnavailable {
		return slog.LevelWarn
	}
	return slog.LevelError
}

// oauthStatus is the HTTP status of an RFC 6749 §5.2 / RFC 6750 §3.1 error.
func oauthStatus(code string) int {
	switch code {
	case core.CodeInvalidClient, core.CodeInvalidToken:
		return http.StatusUnauthorized
	case core.CodeInsufficientScope, core.CodeAccessDenied:
		return http.StatusForbidden
	case core.CodeServerError:
		return http.StatusInternalServerError
	case core.CodeTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusBadRequest
	}
}
