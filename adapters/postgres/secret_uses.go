package postgres

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/identityd/identityd/ports"
)

var _ ports.SecretUseStore = (*SigningKeys)(nil)

// MarkSecretUse implements ports.SecretUseStore in the secret_uses table:
// one upsert that keeps the later time.
func (s *SigningKeys) MarkSecretUse(ctx context.Context, kid string, at time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO secret_uses (kid, last_used_at) VALUES ($1, $2)
		ON CONFLICT (kid) DO UPDATE SET last_used_at = GREATEST(secret_uses.last_used_at, EXCLUDED.last_used_at)`, kid, at)
	if err != nil {
		return translate(ctx, err, "mark secret use")
	}
	return nil
}

// SecretLastUsed implements ports.SecretUseStore.
func (s *SigningKeys) SecretLastUsed(ctx context.Context, kid string) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var at time.Time
	err := s.db.GetContext(ctx, &at, `SELECT last_used_at FROM secret_uses WHERE kid = $1`, kid)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, translate(ctx, err, "read secret use")
	}
	return at.UTC(), nil
}
