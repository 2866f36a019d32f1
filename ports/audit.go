package ports

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
)

// AuditReader lists and ages out stored audit events (contract "Audit
// log", AUDIT_RETENTION).
type AuditReader interface {
	// ListAuditEvents returns at most q.Limit events selected by q, newest
	// first: by CreatedAt, then by ID, both descending. It pages by
	// q.Before (keyset), never by offset.
	ListAuditEvents(ctx context.Context, q core.AuditQuery) ([]core.AuditEvent, error)
	// PurgeAuditEvents deletes the events created before `before`, in
	// batches of batchSize, and returns how many it deleted.
	PurgeAuditEvents(ctx context.Context, before time.Time, batchSize int) (int64, error)
}

// ClientNameFinder lists clients by name (GET /api/clients?name=).
type ClientNameFinder interface {
	// ListClientsByName returns the clients whose name is exactly name,
	// ordered by id, a page at a time like ClientRepository.ListClients.
	ListClientsByName(ctx context.Context, name string, p core.Page) ([]core.Client, error)
}
