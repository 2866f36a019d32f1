package memory

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.AuditReader = (*Store)(nil)

// ListAuditEvents implements ports.AuditReader over the events the store
// still holds (the latest MaxAuditEvents).
func (s *Store) ListAuditEvents(_ context.Context, q core.AuditQuery) ([]core.AuditEvent, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.audit.list(q), nil
}

// PurgeAuditEvents implements ports.AuditReader.
func (s *Store) PurgeAuditEvents(_ context.Context, before time.Time, _ int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.audit.purge(before), nil
}

var _ ports.ClientNameFinder = (*Store)(nil)

// ListClientsByName implements ports.ClientNameFinder.
func (s *Store) ListClientsByName(_ context.Context, name string, p core.Page) ([]core.Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []core.Client
	for _, k := range page(s.clients, core.Page{After: p.After}) {
		if c := s.clients[k]; c.Name == name {
			out = append(out, cloneClient(c))
			if p.Limit > 0 && len(out) == p.Limit {
				break
			}
		}
	}
	return out, nil
}
