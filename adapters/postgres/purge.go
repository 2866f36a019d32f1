package postgres

import (
	"context"
	"time"

	"github.com/identityd/identityd/core"
)

// defaultPurgeBatch is the batch size when the caller gives none.
const defaultPurgeBatch = 1000

// PurgeExpired implements ports.Purger. Each table is cleaned in batches of
// batchSize rows, each batch its own short statement (a TID scan over the
// ctids a LIMITed sub-select picked), until a batch comes back short, so no
// lock is held for long. Every batch has the full query timeout.
func (s *Store) PurgeExpired(ctx context.Context, now time.Time, batchSize int) (core.PurgeStats, error) {
	if batchSize <= 0 {
		batchSize = defaultPurgeBatch
	}
	// The table names are constants, never input.
	// changes rows expire an hour after they were written: instances
	// read them within seconds, and one further behind reloads.
	purgeTables := [...]string{"access_tokens", "refresh_tokens", "authorization_codes", "password_reset_tokens", "changes", "device_codes"}
	var counts [len(purgeTables)]int64
	for i, table := range purgeTables {
		q := `DELETE FROM ` + table + ` WHERE ctid = ANY(ARRAY(
			SELECT ctid FROM ` + table + ` WHERE expires_at <= $1 LIMIT $2))`
		for {
			n, err := s.purgeBatch(ctx, q, table, now, batchSize)
			counts[i] += n
			if err != nil {
				return core.PurgeStats{AccessTokens: counts[0], RefreshTokens: counts[1], AuthCodes: counts[2], PasswordResets: counts[3], Changes: counts[4], DeviceCodes: counts[5]}, err
			}
			if n < int64(batchSize) {
				break
			}
		}
	}
	return core.PurgeStats{AccessTokens: counts[0], RefreshTokens: counts[1], AuthCodes: counts[2], PasswordResets: counts[3], Changes: counts[4], DeviceCodes: counts[5]}, nil
}

func (s *Store) purgeBatch(ctx context.Context, q, table string, now time.Time, batchSize int) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, q, now, batchSize)
	if err != nil {
		return 0, translate(ctx, err, "purge "+table)
	}
	n, err := res.RowsAffected()
	return n, translate(ctx, err, "purge "+table)
}
