package core

import (
	"strings"
	"time"
)

// AuditEvent is one security-relevant event. It never carries a secret.
//
// The query API (contract "Audit log") shows it as
// {id, type, occurred_at, actor:{type, id}, user_id, client_id, ip,
// request_id, details}.
type AuditEvent struct {
	ID   string
	Type string
	// ActorType is who acted: AuditActorUser, AuditActorClient or
	// AuditActorSystem; ActorID is that person's or client's id (empty for
	// a person not yet known, as in a failed sign-in).
	ActorType string
	ActorID   string
	// SubjectID is the thing acted on (a token id, a client id, a scope
	// id, a refresh-token family).
	SubjectID string
	// UserID is the person concerned and ClientID the client concerned,
	// when there is one: what an auditor filters by.
	UserID    string
	ClientID  string
	IP        string
	UserAgent string
	RequestID string
	Success   bool
	// Detail is a short note for people; Details the structured facts of
	// the event (for client.updated: which fields changed, with the old
	// and new redirect_uris). Neither ever holds a secret.
	Detail    string
	Details   map[string]any
	CreatedAt time.Time
}

// Audit actor types.
const (
	AuditActorUser   = "user"
	AuditActorClient = "client"
	AuditActorSystem = "system"
)

// Audit event types.
const (
	AuditLoginSucceeded      = "login.succeeded"
	AuditLoginFailed         = "login.failed"
	AuditTokenIssued         = "token.issued"
	AuditTokenRevoked        = "token.revoked"
	AuditClientCreated       = "client.created"
	AuditClientUpdated       = "client.updated"
	AuditClientDeleted       = "client.deleted"
	AuditClientSecretRotated = "client.secret_rotated"
	AuditScopeCreated        = "scope.created"
	AuditScopeUpdated        = "scope.updated"
	AuditScopeDeleted        = "scope.deleted"
	AuditPasswordReset       = "password.reset"
	AuditRefreshReuse        = "refresh.reuse_detected"
	AuditEmailVerified       = "email.verified"
	AuditMFAEnrolled         = "mfa.enrolled"
	AuditMFARemoved          = "mfa.removed"
	AuditLoginMFAFailed      = "login.mfa_failed"
	AuditEmailChanged        = "email.changed"
	AuditConsentGranted      = "consent.granted"
	AuditConsentRevoked      = "consent.revoked"
)

// AuditQuery selects audit events, newest first (contract "Audit log").
// Zero fields select everything.
type AuditQuery struct {
	// Type is one event type, or a prefix of types when it ends in "."
	// ("client." selects client.created, client.updated, ...).
	Type     string
	UserID   string
	ClientID string
	// Since and Until bound CreatedAt: Since <= CreatedAt < Until.
	Since, Until time.Time
	// Before continues a listing: only events older than it (by
	// CreatedAt, then ID) are returned.
	Before *AuditCursor
	// Limit is how many events at most; stores may treat 0 as "none".
	Limit int
}

// AuditCursor is the position of an event in the newest-first order.
type AuditCursor struct {
	CreatedAt time.Time
	ID        string
}

// TypePrefix reports whether q.Type selects a family of types.
func (q AuditQuery) TypePrefix() bool { return strings.HasSuffix(q.Type, ".") }

// Matches reports whether e is selected by q (Limit aside).
func (q AuditQuery) Matches(e AuditEvent) bool {
	switch {
	case q.Type != "" && q.TypePrefix() && !strings.HasPrefix(e.Type, q.Type),
		q.Type != "" && !q.TypePrefix() && e.Type != q.Type,
		q.UserID != "" && e.UserID != q.UserID,
		q.ClientID != "" && e.ClientID != q.ClientID,
		!q.Since.IsZero() && e.CreatedAt.Before(q.Since),
		!q.Until.IsZero() && !e.CreatedAt.Before(q.Until),
		q.Before != nil && !AuditBefore(e, *q.Before):
		return false
	}
	return true
}

// AuditBefore reports whether e comes after c in the newest-first order:
// it is older, or as old with a smaller id.
func AuditBefore(e AuditEvent, c AuditCursor) bool {
	if !e.CreatedAt.Equal(c.CreatedAt) {
		return e.CreatedAt.Before(c.CreatedAt)
	}
	return e.ID < c.ID
}

// DefaultAuditRetention is how long audit events are kept when
// AUDIT_RETENTION is not set.
const DefaultAuditRetention = 365 * 24 * time.Hour
