package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
	"github.com/identityd/identityd/ports"
)

// SigningKeys keeps generated signing keys in the signing_keys table,
// sealed with AES-256-GCM: a copy of the database alone does not give
// away the private keys.
//
// Each row is one key. Rows carry kek_id, an identifier derived from the
// encryption key, so instances configured with another key (another
// JWT_REFRESH_SECRET) neither read nor overwrite each other's keys. A
// previous encryption key (JWT_REFRESH_SECRET_PREVIOUS) is read too, never
// written with; Reseal moves its keys to the current one.
type SigningKeys struct {
	db      *sqlx.DB
	timeout time.Duration
	clock   ports.Clock
	current kek
	// previous is the zero kek when there is none.
	previous kek
	// next (JWT_REFRESH_SECRET_NEXT) is read, never written with, like
	// previous: another instance may already seal under it.
	next kek
}

// kek is a key-encryption key and its identifier.
type kek struct {
	id   string
	aead cipher.AEAD
}

var _ ports.SigningKeyStore = (*SigningKeys)(nil)

// NewSigningKeys returns a key store over db that seals keys under
// encryptionKey, which must be 32 bytes (AES-256), and also opens the keys
// sealed under previousKey (32 bytes, or nil for none).
func NewSigningKeys(db *DB, encryptionKey, previousKey []byte, clock ports.Clock) (*SigningKeys, error) {
	current, err := newKEK(encryptionKey)
	if err != nil {
		return nil, fmt.Errorf("signing key encryption key: %w", err)
	}
	s := &SigningKeys{current: current, clock: clock}
	if previousKey != nil {
		if s.previous, err = newKEK(previousKey); err != nil {
			return nil, fmt.Errorf("previous signing key encryption key: %w", err)
		}
		if s.previous.id == current.id {
			return nil, errors.New("previous signing key encryption key: the same as the current one")
		}
	}
	if db != nil {
		s.db, s.timeout = db.db, db.queryTimeout
	}
	return s, nil
}

// WithNext makes s also open the keys sealed under nextKey (32 bytes):
// the key of JWT_REFRESH_SECRET_NEXT, which instances already switched to
// it seal new keys under. Nothing is sealed under it here.
func (s *SigningKeys) WithNext(nextKey []byte) (*SigningKeys, error) {
	if nextKey == nil {
		return s, nil
	}
	next, err := newKEK(nextKey)
	if err != nil {
		return nil, fmt.Errorf("next signing key encryption key: %w", err)
	}
	if next.id == s.current.id || (s.previous.aead != nil && next.id == s.previous.id) {
		return nil, errors.New("next signing key encryption key: the same as the current or previous one")
	}
	s.next = next
	return s, nil
}

func newKEK(key []byte) (kek, error) {
	if len(key) != 32 {
		return kek{}, fmt.Errorf("want 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return kek{}, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return kek{}, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("identityd signing_keys kek_id v1"))
	return kek{id: base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]), aead: aead}, nil
}

// keks returns the key-encryption keys this store opens, by id.
func (s *SigningKeys) keks() map[string]kek {
	m := map[string]kek{s.current.id: s.current}
	if s.previous.aead != nil {
		m[s.previous.id] = s.previous
	}
	if s.next.aead != nil {
		m[s.next.id] = s.next
	}
	return m
}

type signingKeyRow struct {
	ID        string       `db:"id"`
	Alg       string       `db:"alg"`
	KEKID     string       `db:"kek_id"`
	Sealed    []byte       `db:"key_sealed"`
	CreatedAt time.Time    `db:"created_at"`
	RetiredAt sql.NullTime `db:"retired_at"`
}

// open returns the private key of r, sealed under k.
func (r signingKeyRow) open(k kek) ([]byte, error) {
	key, err := k.aead.Open(nil, nil, r.Sealed, additionalData(r.Alg, k.id))
	if err != nil {
		return nil, fmt.Errorf("open %s signing key %s: the stored key was altered: %w", r.Alg, r.ID, err)
	}
	return key, nil
}

// SigningKeys implements ports.SigningKeyStore. Keys sealed under the
// current or the previous key-encryption key are read; others are not this
// instance's and are skipped.
func (s *SigningKeys) SigningKeys(ctx context.Context, since time.Time) ([]core.SigningKey, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	keks := s.keks()
	ids := make([]string, 0, len(keks))
	for id := range keks {
		ids = append(ids, id)
	}
	var rows []signingKeyRow
	err := s.db.SelectContext(ctx, &rows, `SELECT id, alg, kek_id, key_sealed, created_at, retired_at FROM signing_keys
		WHERE kek_id = ANY($1) AND (retired_at IS NULL OR retired_at > $2) ORDER BY created_at, id`, pq.StringArray(ids), since)
	if err != nil {
		return nil, translate(ctx, err, "signing keys")
	}
	out := make([]core.SigningKey, 0, len(rows))
	for _, r := range rows {
		key, err := r.open(keks[r.KEKID])
		if err != nil {
			return nil, err
		}
		out = append(out, core.SigningKey{ID: r.ID, Alg: r.Alg, PEM: key, CreatedAt: r.CreatedAt.UTC(), RetiredAt: fromNullTime(r.RetiredAt)})
	}
	return out, nil
}

// Reseal seals every key sealed under the previous key-encryption key
// under the current one instead, in one transaction, and returns how many
// it moved. Run it once every instance reads the current key (has it as
// JWT_REFRESH_SECRET): an instance still on the previous one no longer
// reads the moved keys. An active key moved next to an active key of the
// same algorithm sealed under the current key (made by an instance that
// ran with the new secret alone) is retired at now; it stays published
// until the tokens it signed have expired. Without a previous key it does
// nothing.
func (s *SigningKeys) Reseal(ctx context.Context, now time.Time) (int, error) {
	if s.previous.aead == nil {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	n := 0
	err := inTx(ctx, s.db, "reseal signing keys", func(tx *sqlx.Tx) error {
		var rows []signingKeyRow
		if err := tx.SelectContext(ctx, &rows, `SELECT id, alg, kek_id, key_sealed, created_at, retired_at FROM signing_keys
			WHERE kek_id = $1 ORDER BY created_at, id FOR UPDATE`, s.previous.id); err != nil {
			return translate(ctx, err, "reseal signing keys")
		}
		for _, r := range rows {
			key, err := r.open(s.previous)
			if err != nil {
				return err
			}
			sealed := s.current.aead.Seal(nil, nil, key, additionalData(r.Alg, s.current.id))
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET retired_at = GREATEST($3, created_at)
				WHERE id = $1 AND retired_at IS NULL AND EXISTS (
					SELECT 1 FROM signing_keys o WHERE o.alg = $2 AND o.kek_id = $4 AND o.retired_at IS NULL)`,
				r.ID, r.Alg, now, s.current.id); err != nil {
				return translate(ctx, err, "reseal signing keys")
			}
			if _, err := tx.ExecContext(ctx, `UPDATE signing_keys SET kek_id = $2, key_sealed = $3 WHERE id = $1`,
				r.ID, s.current.id, sealed); err != nil {
				return translate(ctx, err, "reseal signing keys")
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// KeyCensus counts the stored signing keys by the key-encryption key that
// sealed them.
type KeyCensus struct {
	// Current, Previous and Next are sealed under JWT_REFRESH_SECRET,
	// JWT_REFRESH_SECRET_PREVIOUS and JWT_REFRESH_SECRET_NEXT; Other
	// under a secret not configured, which nothing reads.
	Current, Previous, Next, Other int
}

// Census counts the stored signing keys that are active or were retired
// after since (the zero time: every key), by the key that sealed them.
func (s *SigningKeys) Census(ctx context.Context, since time.Time) (KeyCensus, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var rows []struct {
		KEKID string `db:"kek_id"`
		N     int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT kek_id, count(*) AS n FROM signing_keys
		WHERE retired_at IS NULL OR retired_at > $1 GROUP BY kek_id`, since); err != nil {
		return KeyCensus{}, translate(ctx, err, "count signing keys")
	}
	var c KeyCensus
	for _, r := range rows {
		switch {
		case r.KEKID == s.current.id:
			c.Current += r.N
		case s.previous.aead != nil && r.KEKID == s.previous.id:
			c.Previous += r.N
		case s.next.aead != nil && r.KEKID == s.next.id:
			c.Next += r.N
		default:
			c.Other += r.N
		}
	}
	return c, nil
}

// AddSigningKey implements ports.SigningKeyStore: the partial unique index
// idx_signing_keys_alg_kek_id admits one active key per algorithm.
func (s *SigningKeys) AddSigningKey(ctx context.Context, k core.SigningKey) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sealed := s.current.aead.Seal(nil, nil, k.PEM, additionalData(k.Alg, s.current.id))
	res, err := s.db.ExecContext(ctx, `INSERT INTO signing_keys (id, alg, kek_id, key_sealed, created_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (alg, kek_id) WHERE retired_at IS NULL DO NOTHING`, k.ID, k.Alg, s.current.id, sealed, k.CreatedAt)
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

// additionalData binds a sealed key to its algorithm and key-encryption
// key.
func additionalData(alg, kekID string) []byte {
	return []byte("identityd signing key v1\x00" + alg + "\x00" + kekID)
}
