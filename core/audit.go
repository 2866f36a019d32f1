package core

import "time"

// AuditEvent is one security-relevant event. It never carries a secret.
type AuditEvent struct {
	ID        string
	Type      string
	ActorID   string
	SubjectID string
	ClientID  string
	IP        string
	UserAgent string
	RequestID string
	Success   bool
	Detail    string
	CreatedAt time.Time
}

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
)
