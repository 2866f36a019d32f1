package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

var _ ports.DeviceCodeRepository = (*Store)(nil)

type deviceCodeRow struct {
	Hash         string         `db:"hash"`
	UserCodeHash string         `db:"user_code_hash"`
	ClientID     string         `db:"client_id"`
	UserID       sql.NullString `db:"user_id"`
	Scopes       pq.StringArray `db:"scopes"`
	Status       string         `db:"status"`
	Interval     int64          `db:"interval_seconds"`
	IssuedAt     time.Time      `db:"issued_at"`
	ExpiresAt    time.Time      `db:"expires_at"`
	LastPolledAt sql.NullTime   `db:"last_polled_at"`
	AuthTime     sql.NullTime   `db:"auth_time"`
}

func (r deviceCodeRow) device() core.DeviceCode {
	return core.DeviceCode{
		Hash: r.Hash, UserCodeHash: r.UserCodeHash, ClientID: r.ClientID, UserID: r.UserID.String, Scopes: r.Scopes,
		Status: core.DeviceStatus(r.Status), Interval: time.Duration(r.Interval) * time.Second,
		IssuedAt: r.IssuedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), LastPolledAt: fromNullTime(r.LastPolledAt),
		AuthTime: fromNullTime(r.AuthTime),
	}
}

const deviceCodeColumns = `hash, user_code_hash, client_id, user_id, scopes, status, interval_seconds, issued_at, expires_at, last_polled_at, auth_time`

func intervalSeconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }

// CreateDeviceCode implements ports.DeviceCodeRepository. Its client must
// exist (core.ErrConflict otherwise).
func (s *Store) CreateDeviceCode(ctx context.Context, d core.DeviceCode) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO device_codes (`+deviceCodeColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		d.Hash, d.UserCodeHash, d.ClientID, nullString(d.UserID), pq.StringArray(d.Scopes), string(d.Status),
		intervalSeconds(d.Interval), d.IssuedAt, d.ExpiresAt, nullTime(d.LastPolledAt), nullTime(d.AuthTime))
	return translate(ctx, err, "create device code")
}

// UpdateDeviceCode implements ports.DeviceCodeRepository: the row is locked
// while fn runs.
func (s *Store) UpdateDeviceCode(ctx context.Context, hash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	return s.updateDeviceCode(ctx, "hash", hash, fn)
}

// UpdateDeviceCodeByUserCode implements ports.DeviceCodeRepository.
func (s *Store) UpdateDeviceCodeByUserCode(ctx context.Context, userCodeHash string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	return s.updateDeviceCode(ctx, "user_code_hash", userCodeHash, fn)
}

// updateDeviceCode locks the row whose column (a constant, never input)
// is key, runs fn and writes its result.
func (s *Store) updateDeviceCode(ctx context.Context, column, key string, fn func(core.DeviceCode) (core.DeviceCode, error)) (core.DeviceCode, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	const what = "update device code"
	var out core.DeviceCode
	err := s.inTx(ctx, what, func(tx *sqlx.Tx) error {
		var r deviceCodeRow
		if err := tx.GetContext(ctx, &r, `SELECT `+deviceCodeColumns+` FROM device_codes WHERE `+column+` = $1 FOR UPDATE`, key); err != nil {
			return translate(ctx, err, what)
		}
		out = r.device()
		d, err := fn(r.device())
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &r, `UPDATE device_codes SET client_id = $2, user_id = $3, scopes = $4, status = $5,
			interval_seconds = $6, issued_at = $7, expires_at = $8, last_polled_at = $9, auth_time = $10
			WHERE hash = $1 RETURNING `+deviceCodeColumns,
			out.Hash, d.ClientID, nullString(d.UserID), pq.StringArray(d.Scopes), string(d.Status),
			intervalSeconds(d.Interval), d.IssuedAt, d.ExpiresAt, nullTime(d.LastPolledAt), nullTime(d.AuthTime))
		if err != nil {
			return translate(ctx, err, what)
		}
		out = r.device()
		return nil
	})
	return out, err
}
