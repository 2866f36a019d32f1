package postgres

import (
	"context"
	"fmt"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.AuditBatchLog = (*Store)(nil)

const auditColumns = `id, type, actor_id, subject_id, client_id, ip, user_agent, request_id, success, detail, created_at`

// RecordAudit implements ports.AuditLog. An id already stored is ignored,
// so a write retried after a lost answer stores the event once.
func (s *Store) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	return s.RecordAudits(ctx, []core.AuditEvent{e})
}

// recordAuditsSQL inserts a batch given as one array per column.
const recordAuditsSQL = `INSERT INTO audit_events (` + auditColumns + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::boolean[], $10::text[], $11::timestamptz[])
	ON CONFLICT (id) DO NOTHING`

// RecordAudits implements ports.AuditBatchLog with one INSERT of every
// event.
func (s *Store) RecordAudits(ctx context.Context, events []core.AuditEvent) error {
	if len(events) == 0 {
		return nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := len(events)
	id, typ, actor, subject, client, ip := newArrayLiteral(n, 36), newArrayLiteral(n, 16), newArrayLiteral(n, 36),
		newArrayLiteral(n, 36), newArrayLiteral(n, 24), newArrayLiteral(n, 16)
	agent, request, success, detail, created := newArrayLiteral(n, 32), newArrayLiteral(n, 36), newArrayLiteral(n, 1),
		newArrayLiteral(n, 48), newArrayLiteral(n, 32)
	for _, e := range events {
		id.text(e.ID)
		typ.text(e.Type)
		actor.text(e.ActorID)
		subject.text(e.SubjectID)
		client.text(e.ClientID)
		ip.text(e.IP)
		agent.text(e.UserAgent)
		request.text(e.RequestID)
		success.bool(e.Success)
		detail.text(e.Detail)
		created.time(e.CreatedAt)
	}
	_, err := s.exec(ctx, recordAuditsSQL, id.String(), typ.String(), actor.String(), subject.String(), client.String(),
		ip.String(), agent.String(), request.String(), success.String(), detail.String(), created.String())
	return translate(ctx, err, fmt.Sprintf("record %d audit events", n))
}
