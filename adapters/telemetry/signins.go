package telemetry

import (
	"context"
	"strings"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// auditLoginSecondFactorFailed is the audit type of a wrong second factor
// (contract §7: login.mfa_failed).
const auditLoginSecondFactorFailed = "login.mfa_failed"

// backoffDetail ends the detail of a login.failed event refused because
// the account or device was in its login back-off (service.Accounts).
const backoffDetail = "in login back-off"

// SignInCounter is a ports.AuditLog that counts the sign-in events passing
// through it in MetricSignIns and hands every event on. The audit events
// are written exactly once each, so the counter counts each attempt once,
// whichever page or endpoint it came through.
type SignInCounter struct {
	next    ports.AuditLog
	metrics *Metrics
}

var _ ports.AuditLog = (*SignInCounter)(nil)

// CountSignIns wraps next.
func CountSignIns(next ports.AuditLog, m *Metrics) *SignInCounter {
	return &SignInCounter{next: next, metrics: m}
}

// RecordAudit implements ports.AuditLog.
func (c *SignInCounter) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	if r := SignInResult(e); r != "" {
		c.metrics.SignIn(ctx, r)
	}
	return c.next.RecordAudit(ctx, e)
}

// SignInResult is the SignIn* result an audit event stands for; empty for
// events that are not a sign-in attempt.
func SignInResult(e core.AuditEvent) string {
	switch e.Type {
	case core.AuditLoginSucceeded:
		return SignInSucceeded
	case core.AuditLoginFailed:
		if strings.HasSuffix(e.Detail, backoffDetail) {
			return SignInLocked
		}
		return SignInFailed
	case auditLoginSecondFactorFailed:
		return SignInSecondFactorFailed
	}
	return ""
}
