package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type scopeRow struct {
	ID          string    `db:"id"`
	Name        string    `db:"name"`
	Description string    `db:"description"`
	CreatedAt   time.Time `db:"created_at"`
	UpdatedAt   time.Time `db:"updated_at"`
}

func (r scopeRow) scope() core.Scope {
	return core.Scope{ID: r.ID, Name: r.Name, Description: r.Description, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

const scopeColumns = `id, name, description, created_at, updated_at`

// CreateScope implements ports.ScopeRepository.
func (s *Store) CreateScope(ctx context.Context, sc core.Scope) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO scopes (`+scopeColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		sc.ID, sc.Name, sc.Description, sc.CreatedAt, sc.UpdatedAt)
	return translate(ctx, err, fmt.Sprintf("create scope %q", sc.Name))
}

// GetScope implements ports.ScopeRepository.
func (s *Store) GetScope(ctx context.Context, id string) (core.Scope, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r scopeRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+scopeColumns+` FROM scopes WHERE id = $1`, id); err != nil {
		return core.Scope{}, translate(ctx, err, fmt.Sprintf("scope %q", id))
	}
	return r.scope(), nil
}

// FindScopes implements ports.ScopeRepository; the result follows the order
// of names.
func (s *Store) FindScopes(ctx context.Context, names []string) ([]core.Scope, error) {
	if len(names) == 0 {
		return nil, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []scopeRow
	err := s.db.SelectContext(ctx, &rows, `SELECT s.id, s.name, s.description, s.created_at, s.updated_at
		FROM unnest($1::text[]) WITH ORDINALITY AS u(name, ord)
		JOIN scopes s ON s.name = u.name ORDER BY u.ord`, pq.StringArray(names))
	if err != nil {
		return nil, translate(ctx, err, "find scopes")
	}
	var out []core.Scope
	for _, r := range rows {
		out = append(out, r.scope())
	}
	return out, nil
}

// ListScopes implements ports.ScopeRepository.
func (s *Store) ListScopes(ctx context.Context, p core.Page) ([]core.Scope, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var rows []scopeRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+scopeColumns+` FROM scopes WHERE id > $1 ORDER BY id LIMIT $2`, p.After, pageLimit(p)); err != nil {
		return nil, translate(ctx, err, "list scopes")
	}
	out := make([]core.Scope, len(rows))
	for i, r := range rows {
		out[i] = r.scope()
	}
	return out, nil
}

// UpdateScope implements ports.ScopeRepository. Renaming a scope that a
// client holds breaks fk_client_scopes_scopes: core.ErrConflict.
func (s *Store) UpdateScope(ctx context.Context, id string, fn func(core.Scope) (core.Scope, error)) (core.Scope, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("update scope %q", id)
	var out core.Scope
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r scopeRow
		if err := tx.GetContext(ctx, &r, `SELECT `+scopeColumns+` FROM scopes WHERE id = $1 FOR UPDATE`, id); err != nil {
			return translate(ctx, err, what)
		}
		sc, err := fn(r.scope())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE scopes SET name = $2, description = $3, created_at = $4, updated_at = $5
			WHERE id = $1 RETURNING `+scopeColumns, id, sc.Name, sc.Description, sc.CreatedAt, sc.UpdatedAt)
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.scope()
		return nil
	})
	if err != nil {
		return core.Scope{}, err
	}
	return out, nil
}

// DeleteScope implements ports.ScopeRepository; a scope a client holds is
// core.ErrConflict (ON DELETE RESTRICT).
func (s *Store) DeleteScope(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var deleted string
	err := s.db.GetContext(ctx, &deleted, `DELETE FROM scopes WHERE id = $1 RETURNING id`, id)
	return translate(ctx, err, fmt.Sprintf("delete scope %q", id))
}
