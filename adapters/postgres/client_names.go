package postgres

import (
	"context"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.ClientNameFinder = (*Store)(nil)

// ListClientsByName implements ports.ClientNameFinder along
// idx_oauth_clients_name.
func (s *Store) ListClientsByName(ctx context.Context, name string, p core.Page) ([]core.Client, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []clientRow
	if err := s.db.SelectContext(ctx, &rows, selectClient+` WHERE c.name = $1 AND c.client_id > $2 ORDER BY c.client_id LIMIT $3`, name, p.After, pageLimit(p)); err != nil {
		return nil, translate(ctx, err, "list clients by name")
	}
	out := make([]core.Client, len(rows))
	for i, r := range rows {
		out[i] = r.client()
	}
	return out, nil
}
