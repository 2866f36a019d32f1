package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type refreshTokenRow struct {
	Hash       string         `db:"hash"`
	FamilyID   string         `db:"family_id"`
	ClientID   string         `db:"client_id"`
	UserID     sql.NullString `db:"user_id"`
	Scopes     pq.StringArray `db:"scopes"`
	AuthCodeID sql.NullString `db:"auth_code_id"`
	AuthTime   sql.NullTime   `db:"auth_time"`
	IssuedAt   time.Time      `db:"issued_at"`
	ExpiresAt  time.Time      `db:"expires_at"`
	RotatedAt  sql.NullTime   `db:"rotated_at"`
	RevokedAt  sql.NullTime   `db:"revoked_at"`
}

func (r refreshTokenRow) token() core.RefreshToken {
	return core.RefreshToken{
		Hash: r.Hash, FamilyID: r.FamilyID, ClientID: r.ClientID, UserID: r.UserID.String, Scopes: r.Scopes,
		IssuedAt: r.IssuedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RotatedAt: fromNullTime(r.RotatedAt),
		RevokedAt: fromNullTime(r.RevokedAt), AuthCodeID: r.AuthCodeID.String, AuthTime: fromNullTime(r.AuthTime),
	}
}

const refreshTokenColumns = `hash, family_id, client_id, user_id, scopes, auth_code_id, issued_at, expires_at, rotated_at, revoked_at, auth_time`

func insertRefreshToken(ctx context.Context, db sqlx.ExecerContext, t core.RefreshToken) error {
	_, err := db.ExecContext(ctx, `INSERT INTO refresh_tokens (`+refreshTokenColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.Hash, t.FamilyID, t.ClientID, nullString(t.UserID), pq.StringArray(t.Scopes), nullString(t.AuthCodeID),
		t.IssuedAt, t.ExpiresAt, nullTime(t.RotatedAt), nullTime(t.RevokedAt), nullTime(t.AuthTime))
	return translate(ctx, err, "create refresh token")
}

// CreateRefreshToken implements ports.RefreshTokenRepository. Its client
// and user must exist (core.ErrConflict otherwise).
func (s *Store) CreateRefreshToken(ctx context.Context, t core.RefreshToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return insertRefreshToken(ctx, s.db, t)
}

// GetRefreshToken implements ports.RefreshTokenRepository.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (core.RefreshToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r refreshTokenRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE hash = $1`, hash); err != nil {
		return core.RefreshToken{}, translate(ctx, err, "refresh token")
	}
	return r.token(), nil
}

// RotateRefreshToken implements ports.RefreshTokenRepository. The row is
// locked (SELECT ... FOR UPDATE) while fn runs, so concurrent rotations of
// one token queue and each later one sees it rotated.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, fn func(core.RefreshToken) (core.RefreshToken, error)) (core.RefreshToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "rotate refresh token"
	var old core.RefreshToken
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r refreshTokenRow
		if err := tx.GetContext(ctx, &r, `SELECT `+refreshTokenColumns+` FROM refresh_tokens WHERE hash = $1 FOR UPDATE`, hash); err != nil {
			return translate(ctx, err, what)
		}
		old = r.token()
		next, err := fn(r.token())
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &r, `UPDATE refresh_tokens SET rotated_at = COALESCE(rotated_at, $2) WHERE hash = $1 RETURNING `+refreshTokenColumns,
			hash, next.IssuedAt); err != nil {
			return translate(ctx, err, what)
		}
		if err := insertRefreshToken(ctx, tx, next); err != nil {
			return err
		}
		old = r.token()
		return nil
	})
	return old, err
}

// RevokeRefreshTokens implements ports.RefreshTokenRepository.
func (s *Store) RevokeRefreshTokens(ctx context.Context, f core.TokenFilter, at time.Time) (int, error) {
	where, args := filterWhere(f, 2)
	if where == "" {
		return 0, nil
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND `+where,
		append([]any{at}, args...)...)
	if err != nil {
		return 0, translate(ctx, err, "revoke refresh tokens")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, translate(ctx, err, "revoke refresh tokens")
	}
	return int(n), nil
}
