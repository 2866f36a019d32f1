package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// SigningKeys keeps generated signing keys in the signing_keys table,
// sealed with AES-256-GCM: a copy of the database alone does not give
// away the private keys.
//
// Each row is one key. Rows carry kek_id, an identifier derived from the
// encryption key, so instances configured with another key (another
// JWT_REFRESH_SECRET) neither read nor overwrite each other's keys.
type SigningKeys struct {
	db      *sqlx.DB
	timeout time.Duration
	clock   ports.Clock
	aead    cipher.AEAD
	kekID   string
}

var _ ports.SigningKeyStore = (*SigningKeys)(nil)

// NewSigningKeys returns a key store over db that seals keys under
// encryptionKey, which must be 32 bytes (AES-256).
func NewSigningKeys(db *DB, encryptionKey []byte, clock ports.Clock) (*SigningKeys, error) {
	if len(encryptionKey) != 32 {
		return nil, fmt.Errorf("signing key encryption key: want 32 bytes, got %d", len(encryptionKey))
	}
	block, err := aes.NewCipher(encryptionKey)
	if err != nil {
		return nil, fmt.Errorf("signing key encryption key: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("signing key encryption key: %w", err)
	}
	m := hmac.New(sha256.New, encryptionKey)
	m.Write([]byte("identityd signing_keys kek_id v1"))
	kekID := base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
	return &SigningKeys{db: db.db, timeout: db.queryTimeout, clock: clock, aead: aead, kekID: kekID}, nil
}

// SigningKeys implements ports.SigningKeyStore. Keys sealed under another
// key-encryption key are not this instance's and are skipped.
func (s *SigningKeys) SigningKeys(ctx context.Context, since time.Time) ([]core.SigningKey, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var rows []struct {
		ID        string       `db:"id"`
		Alg       string       `db:"alg"`
		Sealed    []byte       `db:"key_sealed"`
		CreatedAt time.Time    `db:"created_at"`
		RetiredAt sql.NullTime `db:"retired_at"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT id, alg, key_sealed, created_at, retired_at FROM signing_keys
		WHERE kek_id = $1 AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at, id`, s.kekID, since)
	if err != nil {
		return nil, translate(ctx, err, "signing keys")
	}
	out := make([]core.SigningKey, 0, len(rows))
	for _, r := range rows {
		key, err := s.aead.Open(nil, nil, r.Sealed, s.additionalData(r.Alg))
		if err != nil {
			return nil, fmt.Errorf("open %s signing key %s: the stored key was altered: %w", r.Alg, r.ID, err)
		}
		out = append(out, core.SigningKey{ID: r.ID, Alg: r.Alg, PEM: key, CreatedAt: r.CreatedAt.UTC(), RetiredAt: fromNullTime(r.RetiredAt)})
	}
	return out, nil
}

// AddSigningKey implements ports.SigningKeyStore: the partial unique index
// idx_signing_keys_alg_kek_id admits one active key per algorithm.
func (s *SigningKeys) AddSigningKey(ctx context.Context, k core.SigningKey) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sealed := s.aead.Seal(nil, nil, k.PEM, s.additionalData(k.Alg))
	res, err := s.db.ExecContext(ctx, `INSERT INTO signing_keys (id, alg, kek_id, key_sealed, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (alg, kek_id) WHERE retired_at IS NULL DO NOTHING`, k.ID, k.Alg, s.kekID, sealed, k.CreatedAt)
	if err != nil {
		return false, translate(ctx, err, fmt.Sprintf("store %s signing key", k.Alg))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// RetireSigningKeys implements ports.SigningKeyStore for keys of every
// key-encryption key.
func (s *SigningKeys) RetireSigningKeys(ctx context.Context, createdBefore, at time.Time) (int, error) {
	return RetireSigningKeys(ctx, s.db, s.timeout, createdBefore, at)
}

// RetireSigningKeys retires every active key created at or before
// createdBefore. It needs no encryption key: `identityd keys rotate` runs
// it with DATABASE_URL alone.
func RetireSigningKeys(ctx context.Context, db *sqlx.DB, timeout time.Duration, createdBefore, at time.Time) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := db.ExecContext(ctx, `UPDATE signing_keys SET retired_at = GREATEST($2, created_at)
		WHERE retired_at IS NULL AND created_at <= $1`, createdBefore, at)
	if err != nil {
		return 0, translate(ctx, err, "retire signing keys")
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RotateSigningKeys retires every active signing key of the database at
// now (see RetireSigningKeys).
func RotateSigningKeys(ctx context.Context, db *DB, now time.Time) (int, error) {
	return RetireSigningKeys(ctx, db.db, db.queryTimeout, now, now)
}

// additionalData binds a sealed key to its row.
func (s *SigningKeys) additionalData(alg string) []byte {
	return []byte("identityd signing key v1\x00" + alg + "\x00" + s.kekID)
}
