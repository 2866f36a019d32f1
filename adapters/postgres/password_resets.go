package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/identityd/identityd/core"
)

type passwordResetRow struct {
	Hash      string       `db:"hash"`
	UserID    string       `db:"user_id"`
	CreatedAt time.Time    `db:"created_at"`
	ExpiresAt time.Time    `db:"expires_at"`
	UsedAt    sql.NullTime `db:"used_at"`
}

const passwordResetColumns = `hash, user_id, created_at, expires_at, used_at`

// CreatePasswordReset implements ports.PasswordResetRepository; an unknown
// user is core.ErrNotFound. Ending the person's earlier links and storing
// the new one are one statement.
func (s *Store) CreatePasswordReset(ctx context.Context, r core.PasswordReset) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `WITH ended AS (
			UPDATE password_reset_tokens SET used_at = $3 WHERE user_id = $2 AND used_at IS NULL
		)
		INSERT INTO password_reset_tokens (`+passwordResetColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		r.Hash, r.UserID, r.CreatedAt, r.ExpiresAt, nullTime(r.UsedAt))
	err = translate(ctx, err, "create password reset")
	if errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("password reset for user %q: %w", r.UserID, core.ErrNotFound)
	}
	return err
}

// ConsumePasswordReset implements ports.PasswordResetRepository. One
// conditional UPDATE checks and marks the token, so of concurrent consumers
// exactly one gets it.
func (s *Store) ConsumePasswordReset(ctx context.Context, hash string, now time.Time) (core.PasswordReset, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r passwordResetRow
	err := s.db.GetContext(ctx, &r, `UPDATE password_reset_tokens SET used_at = $2
		WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING `+passwordResetColumns, hash, now)
	if err != nil {
		return core.PasswordReset{}, translate(ctx, err, "consume password reset")
	}
	return core.PasswordReset{Hash: r.Hash, UserID: r.UserID, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), UsedAt: fromNullTime(r.UsedAt)}, nil
}
