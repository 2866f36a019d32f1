package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.FactorRepository = (*Store)(nil)

const factorColumns = `user_id, totp_secret_sealed, totp_confirmed_at, totp_last_step, recovery_code_hashes, updated_at`

func scanFactors(row interface{ Scan(...any) error }) (core.Factors, error) {
	var (
		f         core.Factors
		confirmed sql.NullTime
		codes     pq.StringArray
	)
	if err := row.Scan(&f.UserID, &f.TOTPSealed, &confirmed, &f.TOTPLastStep, &codes, &f.UpdatedAt); err != nil {
		return core.Factors{}, err
	}
	f.TOTPConfirmedAt, f.RecoveryCodes, f.UpdatedAt = fromNullTime(confirmed), codes, f.UpdatedAt.UTC()
	if len(f.RecoveryCodes) == 0 {
		f.RecoveryCodes = nil
	}
	if len(f.TOTPSealed) == 0 {
		f.TOTPSealed = nil
	}
	return f, nil
}

// GetFactors implements ports.FactorRepository.
func (s *Store) GetFactors(ctx context.Context, userID string) (core.Factors, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	f, err := scanFactors(s.db.QueryRowContext(ctx, `SELECT `+factorColumns+` FROM user_factors WHERE user_id = $1`, userID))
	return f, translate(ctx, err, fmt.Sprintf("factors of %q", userID))
}

// UpdateFactors implements ports.FactorRepository in one transaction that
// holds the row lock from the read to the write, so concurrent updates on
// any instance are serialised and a TOTP step or recovery code is spent
// once.
func (s *Store) UpdateFactors(ctx context.Context, userID string, fn func(core.Factors) (core.Factors, error)) (core.Factors, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("update factors of %q", userID)
	var out core.Factors
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_factors (user_id, updated_at) VALUES ($1, now())
			ON CONFLICT (user_id) DO NOTHING`, userID); err != nil {
			err = translate(ctx, err, what)
			if errors.Is(err, core.ErrConflict) {
				return fmt.Errorf("%s: user: %w", what, core.ErrNotFound)
			}
			return err
		}
		old, err := scanFactors(tx.QueryRowContext(ctx, `SELECT `+factorColumns+` FROM user_factors WHERE user_id = $1 FOR UPDATE`, userID))
		if err != nil {
			return translate(ctx, err, what)
		}
		f, err := fn(old)
		if err != nil {
			out = old
			return err
		}
		f.UserID = userID
		if f.Empty() {
			_, err := tx.ExecContext(ctx, `DELETE FROM user_factors WHERE user_id = $1`, userID)
			out = core.Factors{UserID: userID}
			return translate(ctx, err, what)
		}
		out, err = scanFactors(tx.QueryRowContext(ctx, `UPDATE user_factors SET totp_secret_sealed = $2, totp_confirmed_at = $3,
			totp_last_step = $4, recovery_code_hashes = $5, updated_at = $6 WHERE user_id = $1 RETURNING `+factorColumns,
			userID, f.TOTPSealed, nullTime(f.TOTPConfirmedAt), f.TOTPLastStep, pq.StringArray(nonNilStrings(f.RecoveryCodes)), f.UpdatedAt))
		return translate(ctx, err, what)
	})
	return out, err
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
