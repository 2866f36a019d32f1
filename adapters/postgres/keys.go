package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
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
// Rows are keyed by algorithm and kek_id, an identifier derived from the
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

// SigningKey implements ports.SigningKeyStore: read; when absent,
// generate, INSERT … ON CONFLICT DO NOTHING, and read back whichever row
// won.
func (s *SigningKeys) SigningKey(ctx context.Context, alg string, generate func() ([]byte, error)) ([]byte, error) {
	key, err := s.load(ctx, alg)
	if !errors.Is(err, core.ErrNotFound) {
		return key, err
	}
	key, err = generate()
	if err != nil {
		return nil, fmt.Errorf("generate %s signing key: %w", alg, err)
	}
	sealed := s.aead.Seal(nil, nil, key, s.additionalData(alg))
	if err := s.insert(ctx, alg, sealed); err != nil {
		return nil, err
	}
	return s.load(ctx, alg)
}

func (s *SigningKeys) insert(ctx context.Context, alg string, sealed []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO signing_keys (alg, kek_id, key_sealed, created_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (alg, kek_id) DO NOTHING`, alg, s.kekID, sealed, s.clock.Now())
	return translate(ctx, err, fmt.Sprintf("store %s signing key", alg))
}

func (s *SigningKeys) load(ctx context.Context, alg string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	var sealed []byte
	err := s.db.GetContext(ctx, &sealed, `SELECT key_sealed FROM signing_keys WHERE alg = $1 AND kek_id = $2`, alg, s.kekID)
	if err != nil {
		return nil, translate(ctx, err, fmt.Sprintf("%s signing key", alg))
	}
	key, err := s.aead.Open(nil, nil, sealed, s.additionalData(alg))
	if err != nil {
		return nil, fmt.Errorf("open %s signing key: the stored key was altered: %w", alg, err)
	}
	return key, nil
}

// additionalData binds a sealed key to its row.
func (s *SigningKeys) additionalData(alg string) []byte {
	return []byte("identityd signing key v1\x00" + alg + "\x00" + s.kekID)
}
