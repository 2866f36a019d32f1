package integration_test

import (
	"database/sql"
	"encoding/json"
	"testing"

	_ "github.com/lib/pq"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/app/apptest"
	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// auditEvents reads the audit trail a server recorded: from the in-memory
// store, or from the audit_events table on PostgreSQL.
func auditEvents(t *testing.T, s *apptest.Server, log ports.AuditLog) []core.AuditEvent {
	t.Helper()
	if r, ok := log.(auditReader); ok {
		return r.AuditEvents()
	}
	db, err := sql.Open("postgres", s.Config.Database.URL)
	require.NoError(t, err)
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT id, type, actor_type, actor_id, subject_id, user_id, client_id, ip, user_agent, request_id, success, detail, coalesce(details::text, ''), created_at FROM audit_events ORDER BY created_at, id`)
	require.NoError(t, err)
	defer rows.Close()
	var out []core.AuditEvent
	for rows.Next() {
		var (
			e       core.AuditEvent
			details string
		)
		require.NoError(t, rows.Scan(&e.ID, &e.Type, &e.ActorType, &e.ActorID, &e.SubjectID, &e.UserID, &e.ClientID, &e.IP, &e.UserAgent, &e.RequestID, &e.Success, &e.Detail, &details, &e.CreatedAt))
		if details != "" {
			require.NoError(t, json.Unmarshal([]byte(details), &e.Details))
		}
		out = append(out, e)
	}
	require.NoError(t, rows.Err())
	return out
}
