package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var (
	_ ports.AuditBatchLog = (*Store)(nil)
	_ ports.AuditReader   = (*Store)(nil)
)

const auditColumns = `id, type, actor_type, actor_id, subject_id, user_id, client_id, ip, user_agent, request_id, success, detail, details, created_at`

// RecordAudit implements ports.AuditLog. An id already stored is ignored,
// so a write retried after a lost answer stores the event once.
func (s *Store) RecordAudit(ctx context.Context, e core.AuditEvent) error {
	return s.RecordAudits(ctx, []core.AuditEvent{e})
}

// recordAuditsSQL inserts a batch given as one array per column.
const recordAuditsSQL = `INSERT INTO audit_events (` + auditColumns + `)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
		$9::text[], $10::text[], $11::boolean[], $12::text[], $13::jsonb[], $14::timestamptz[])
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
	id, typ, actorType, actor, subject, user, client, ip := newArrayLiteral(n, 36), newArrayLiteral(n, 16), newArrayLiteral(n, 6),
		newArrayLiteral(n, 36), newArrayLiteral(n, 36), newArrayLiteral(n, 36), newArrayLiteral(n, 24), newArrayLiteral(n, 16)
	agent, request, success, detail, details, created := newArrayLiteral(n, 32), newArrayLiteral(n, 36), newArrayLiteral(n, 1),
		newArrayLiteral(n, 48), newArrayLiteral(n, 4), newArrayLiteral(n, 32)
	for _, e := range events {
		id.text(e.ID)
		typ.text(e.Type)
		actorType.text(e.ActorType)
		actor.text(e.ActorID)
		subject.text(e.SubjectID)
		user.text(e.UserID)
		client.text(e.ClientID)
		ip.text(e.IP)
		agent.text(e.UserAgent)
		request.text(e.RequestID)
		success.bool(e.Success)
		detail.text(e.Detail)
		if e.Details == nil {
			details.null()
		} else {
			b, err := json.Marshal(e.Details)
			if err != nil {
				return fmt.Errorf("audit event %s details: %w", e.Type, err)
			}
			details.text(string(b))
		}
		created.time(e.CreatedAt)
	}
	_, err := s.exec(ctx, recordAuditsSQL, id.String(), typ.String(), actorType.String(), actor.String(), subject.String(),
		user.String(), client.String(), ip.String(), agent.String(), request.String(), success.String(), detail.String(),
		details.String(), created.String())
	return translate(ctx, err, fmt.Sprintf("record %d audit events", n))
}

// ListAuditEvents implements ports.AuditReader. Each filter has an index
// in the answer's order (migrations 00100, 00101), so a page reads about
// Limit rows whatever the table's size. A type prefix without a person or
// client is read type by type (a loose index scan over the distinct types
// in the prefix's range, then the newest Limit rows of each), which keeps
// it an index walk too.
func (s *Store) ListAuditEvents(ctx context.Context, q core.AuditQuery) ([]core.AuditEvent, error) {
	if q.Limit <= 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var (
		args  []any
		where []string
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	byType, typeEnd := "", ""
	if q.Type != "" {
		if q.TypePrefix() {
			// type is COLLATE "C": the prefix is the range [p, p with its
			// last byte, the '.', raised by one).
			typeEnd = arg(q.Type[:len(q.Type)-1] + "/")
			byType = "type >= " + arg(q.Type) + " AND type < " + typeEnd
		} else {
			where = append(where, "type = "+arg(q.Type))
		}
	}
	if q.UserID != "" {
		where = append(where, "user_id = "+arg(q.UserID))
	}
	if q.ClientID != "" {
		where = append(where, "client_id = "+arg(q.ClientID))
	}
	if !q.Since.IsZero() {
		where = append(where, "created_at >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "created_at < "+arg(q.Until))
	}
	if q.Before != nil {
		where = append(where, "(created_at, id) < ("+arg(q.Before.CreatedAt)+", "+arg(q.Before.ID)+")")
	}
	limit := arg(q.Limit)
	const order = ` ORDER BY created_at DESC, id DESC LIMIT `
	var query string
	switch {
	case byType != "" && q.UserID == "" && q.ClientID == "":
		// The distinct types of the range, each found by one index probe.
		inner := append([]string{"type = types.type"}, where...)
		query = `WITH RECURSIVE types(type) AS (
				SELECT min(type) FROM audit_events WHERE ` + byType + `
				UNION ALL
				SELECT (SELECT min(type) FROM audit_events WHERE type > types.type AND type < ` + typeEnd + `)
				FROM types WHERE types.type IS NOT NULL)
			SELECT e.* FROM types CROSS JOIN LATERAL (
				SELECT ` + auditColumns + ` FROM audit_events WHERE ` + strings.Join(inner, " AND ") + order + limit + `) e
			WHERE types.type IS NOT NULL` + order + limit
	default:
		if byType != "" {
			where = append(where, byType)
		}
		query = `SELECT ` + auditColumns + ` FROM audit_events`
		if len(where) > 0 {
			query += ` WHERE ` + strings.Join(where, " AND ")
		}
		query += order + limit
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, translate(ctx, err, "list audit events")
	}
	defer rows.Close()
	var out []core.AuditEvent
	for rows.Next() {
		var (
			e       core.AuditEvent
			details sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.Type, &e.ActorType, &e.ActorID, &e.SubjectID, &e.UserID, &e.ClientID, &e.IP, &e.UserAgent,
			&e.RequestID, &e.Success, &e.Detail, &details, &e.CreatedAt); err != nil {
			return nil, translate(ctx, err, "list audit events")
		}
		if details.Valid {
			if err := json.Unmarshal([]byte(details.String), &e.Details); err != nil {
				return nil, fmt.Errorf("audit event %s details: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, translate(ctx, rows.Err(), "list audit events")
}

// PurgeAuditEvents implements ports.AuditReader in batches, as
// PurgeExpired does, along idx_audit_events_created_at_id.
func (s *Store) PurgeAuditEvents(ctx context.Context, before time.Time, batchSize int) (int64, error) {
	if batchSize <= 0 {
		batchSize = defaultPurgeBatch
	}
	const q = `DELETE FROM audit_events WHERE ctid = ANY(ARRAY(
		SELECT ctid FROM audit_events WHERE created_at < $1 LIMIT $2))`
	var total int64
	for {
		n, err := s.purgeBatch(ctx, q, "audit_events", before, batchSize)
		total += n
		if err != nil || n < int64(batchSize) {
			return total, err
		}
	}
}
