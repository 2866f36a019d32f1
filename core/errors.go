package core

import (
	"errors"
	"sort"
	"strings"
)

// Storage and service sentinels. Adapters translate their driver errors into
// these at their boundary.
var (
	// ErrNotFound means the entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists means a unique key (id, email, name) is taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict means the change would break a rule that ties entities
	// together, such as deleting a scope that a client still uses.
	ErrConflict = errors.New("conflict")
	// ErrUnavailable means a dependency (database, cache) does not answer.
	ErrUnavailable = errors.New("dependency unavailable")
	// ErrUnauthenticated means credentials are missing or wrong.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller is known but may not do this.
	ErrForbidden = errors.New("forbidden")
)

// OAuth 2.0 error codes: RFC 6749 §4.1.2.1 and §5.2, RFC 6750 §3.1,
// RFC 7009 §2.2.1.
const (
	CodeInvalidRequest          = "invalid_request"
	CodeInvalidClient           = "invalid_client"
	CodeInvalidGrant            = "invalid_grant"
	CodeUnauthorizedClient      = "unauthorized_client"
	CodeUnsupportedGrantType    = "unsupported_grant_type"
	CodeInvalidScope            = "invalid_scope"
	CodeAccessDenied            = "access_denied"
	CodeUnsupportedResponseType = "unsupported_response_type"
	CodeServerError             = "server_error"
	CodeTemporarilyUnavailable  = "temporarily_unavailable"
	CodeInvalidToken            = "invalid_token"
	CodeInsufficientScope       = "insufficient_scope"
	CodeUnsupportedTokenType    = "unsupported_token_type"
	// OpenID Connect Core §3.1.2.6.
	CodeLoginRequired          = "login_required"
	CodeConsentRequired        = "consent_required"
	CodeInteractionRequired    = "interaction_required"
	CodeRequestNotSupported    = "request_not_supported"
	CodeRequestURINotSupported = "request_uri_not_supported"
)

// OAuthError is an error with an RFC 6749 error code. The description is
// safe to show to the client; Cause is for logs only.
type OAuthError struct {
	Code        string
	Description string
	Cause       error
}

// NewOAuthError returns an OAuthError with the given code and description.
func NewOAuthError(code, description string) *OAuthError {
	return &OAuthError{Code: code, Description: description}
}

// Error implements error.
func (e *OAuthError) Error() string {
	if e.Cause != nil {
		return e.Code + ": " + e.Description + ": " + e.Cause.Error()
	}
	return e.Code + ": " + e.Description
}

// Unwrap returns the cause.
func (e *OAuthError) Unwrap() error { return e.Cause }

// Wrap returns a copy of e that carries cause.
func (e *OAuthError) Wrap(cause error) *OAuthError {
	c := *e
	c.Cause = cause
	return &c
}

// ValidationError names each invalid field of an input with one message per
// field.
type ValidationError struct {
	Fields map[string]string
}

// Add records a message for field; the first message for a field wins.
func (e *ValidationError) Add(field, message string) {
	if e.Fields == nil {
		e.Fields = make(map[string]string)
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = message
	}
}

// Err returns e when it holds at least one field, else nil.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Error implements error.
func (e *ValidationError) Error() string {
	names := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + e.Fields[n]
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// ErrInvalidCredentials means an email and password did not identify an
// account. Unknown email, wrong password and a throttled account all give
// it, so that none can be told apart.
var ErrInvalidCredentials = errors.New("invalid email or password")

// ErrLocked means an account is in a login back-off; callers answer it as
// ErrInvalidCredentials.
var ErrLocked = errors.New("account temporarily locked")

// ConflictError is core.ErrAlreadyExists for an input, naming the field
// whose value is taken.
type ConflictError struct {
	Fields map[string]string
}

// Error implements error.
func (e *ConflictError) Error() string {
	v := ValidationError{Fields: e.Fields}
	return "conflict: " + v.Error()
}

// Is makes errors.Is(err, ErrAlreadyExists) hold.
func (e *ConflictError) Is(target error) bool { return target == ErrAlreadyExists }
