package postgres

import (
	"context"

	"github.com/identityd/identityd/core"
)

// RecordAudit implements ports.AuditLog.
func (s *Store) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO audit_events
		(id, type, actor_id, subject_id, client_id, ip, user_agent, request_id, success, detail, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.Type, e.ActorID, e.SubjectID, e.ClientID, e.IP, e.UserAgent, e.RequestID, e.Success, e.Detail, e.CreatedAt)
	return translate(ctx, err, "record audit event")
}
