package postgres

import (
	"context"
	"database/sql"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.ChangeLog = (*Store)(nil)

// LatestChangeID implements ports.ChangeLog.
func (s *Store) LatestChangeID(ctx context.Context) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM changes`).Scan(&id)
	return id, translate(ctx, err, "latest change")
}

// ReadChanges implements ports.ChangeLog. The table's rows are written by
// triggers (migration 00070) in the transaction of each change.
func (s *Store) ReadChanges(ctx context.Context, after int64, also []int64, limit int) ([]core.Change, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT id, kind, key, until FROM changes
		WHERE id > $1 OR id = ANY($2) ORDER BY id LIMIT $3`, after, pq.Int64Array(also), limit)
	if err != nil {
		return nil, translate(ctx, err, "read changes")
	}
	defer rows.Close()
	var out []core.Change
	for rows.Next() {
		var c core.Change
		var until sql.NullTime
		if err := rows.Scan(&c.ID, &c.Kind, &c.Key, &until); err != nil {
			return nil, translate(ctx, err, "read changes")
		}
		c.Until = fromNullTime(until)
		out = append(out, c)
	}
	return out, translate(ctx, rows.Err(), "read changes")
}
