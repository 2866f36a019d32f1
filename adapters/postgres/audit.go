package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.AuditBatchLog = (*Store)(nil)

const (
	auditColumns = `id, type, actor_id, subject_id, client_id, ip, user_agent, request_id, success, detail, created_at`
	auditArity   = 11
)

// RecordAudit implements ports.AuditLog. An id already stored is ignored,
// so a write retried after a lost answer stores the event once.
func (s *Store) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	return s.RecordAudits(ctx, []core.AuditEvent{e})
}

// RecordAudits implements ports.AuditBatchLog with one multi-row INSERT.
func (s *Store) RecordAudits(ctx context.Context, events []core.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var b strings.Builder
	b.Grow(64 + len(events)*auditArity*5)
	b.WriteString(`INSERT INTO audit_events (` + auditColumns + `) VALUES `)
	args := make([]any, 0, len(events)*auditArity)
	for i, e := range events {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range auditArity {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(i*auditArity + j + 1))
		}
		b.WriteByte(')')
		args = append(args, e.ID, e.Type, e.ActorID, e.SubjectID, e.ClientID, e.IP, e.UserAgent, e.RequestID, e.Success, e.Detail, e.CreatedAt)
	}
	b.WriteString(` ON CONFLICT (id) DO NOTHING`)
	_, err := s.db.ExecContext(ctx, b.String(), args...)
	return translate(ctx, err, fmt.Sprintf("record %d audit events", len(events)))
}
