package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

type loginDeviceRow struct {
	UserID       string       `db:"user_id"`
	Key          string       `db:"device_key"`
	FailedLogins int          `db:"failed_logins"`
	LockedUntil  sql.NullTime `db:"locked_until"`
	LastLoginAt  time.Time    `db:"last_login_at"`
}

func (r loginDeviceRow) device() core.LoginDevice {
	return core.LoginDevice{
		UserID: r.UserID, Key: r.Key, LastLoginAt: r.LastLoginAt.UTC(),
		LoginBackoff: core.LoginBackoff{FailedLogins: r.FailedLogins, LockedUntil: fromNullTime(r.LockedUntil)},
	}
}

// loginDeviceSelect reads a login device's columns with the times through
// finiteTime, so 'infinity' set by hand in SQL is read, not a scan error.
var loginDeviceSelect = `user_id, device_key, failed_logins, ` + finiteTime("locked_until") + `, ` + finiteTime("last_login_at")

// UpdateLoginDevice implements ports.LoginDeviceRepository: the row is
// locked while fn runs.
func (s *Store) UpdateLoginDevice(ctx context.Context, userID, key string, fn func(core.LoginDevice) (core.LoginDevice, error)) (core.LoginDevice, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := "update login device"
	var out core.LoginDevice
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r loginDeviceRow
		if err := tx.GetContext(ctx, &r, `SELECT `+loginDeviceSelect+` FROM login_devices
			WHERE user_id = $1 AND device_key = $2 FOR UPDATE`, userID, key); err != nil {
			return translate(ctx, err, what)
		}
		d, err := fn(r.device())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE login_devices SET failed_logins = $3, locked_until = $4, last_login_at = $5
			WHERE user_id = $1 AND device_key = $2 RETURNING `+loginDeviceSelect,
			userID, key, d.FailedLogins, nullTime(d.LockedUntil), d.LastLoginAt)
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.device()
		return nil
	})
	if err != nil {
		return core.LoginDevice{}, err
	}
	return out, nil
}

// RememberLoginDevices implements ports.LoginDeviceRepository in one
// transaction: an upsert of the keys, then the deletion of the account's
// devices beyond the keep most recent of each kind.
func (s *Store) RememberLoginDevices(ctx context.Context, userID string, keys []string, at time.Time, keep int) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	what := fmt.Sprintf("remember login devices of user %q", userID)
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO login_devices (user_id, device_key, last_login_at)
			SELECT $1, k, $3 FROM unnest($2::text[]) AS k
			ON CONFLICT (user_id, device_key) DO UPDATE SET last_login_at = EXCLUDED.last_login_at`,
			userID, pq.StringArray(keys), at); err != nil {
			return translate(ctx, err, what)
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM login_devices d USING (
			SELECT device_key, row_number() OVER (PARTITION BY split_part(device_key, ':', 1)
				ORDER BY last_login_at DESC, device_key) AS n
			FROM login_devices WHERE user_id = $1) r
			WHERE d.user_id = $1 AND d.device_key = r.device_key AND r.n > $2`,
			userID, keep)
		return translate(ctx, err, what)
	})
	if errors.Is(err, core.ErrConflict) {
		return fmt.Errorf("user %q: %w", userID, core.ErrNotFound)
	}
	return err
}
