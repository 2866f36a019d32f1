package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/ports"
	"github.com/identityd/identityd/ports/porttest"
)

func encryptionKey(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, 32)
	_, err := rand.Read(k)
	require.NoError(t, err)
	return k
}

// newSigningKeys opens its own pool on dsn, as another instance would.
func newSigningKeys(t *testing.T, dsn string, key []byte) *postgres.SigningKeys {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	s, err := postgres.NewSigningKeys(db, key, system.Clock{})
	require.NoError(t, err)
	return s
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunSigningKeyStoreTests(t, func(t *testing.T) ports.SigningKeyStore {
		return newSigningKeys(t, pgtest.NewSchema(t), encryptionKey(t))
	})
}

// Two instances on one database asking at once end up with one key.
func TestSigningKeysAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	key := encryptionKey(t)
	instances := []*postgres.SigningKeys{newSigningKeys(t, dsn, key), newSigningKeys(t, dsn, key)}
	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		got   [n][]byte
		errs  [n]error
	)
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = instances[i%2].SigningKey(context.Background(), "EdDSA", func() ([]byte, error) {
				k := make([]byte, 32)
				_, err := rand.Read(k)
				return k, err
			})
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		assert.Equal(t, got[0], got[i], "caller %d", i)
	}
}

func TestSigningKeysAreSealed(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	key := encryptionKey(t)
	s := newSigningKeys(t, dsn, key)
	ctx := context.Background()
	plain := []byte("-----BEGIN PRIVATE KEY-----\nsecret material\n-----END PRIVATE KEY-----\n")
	_, err := s.SigningKey(ctx, "ES256", func() ([]byte, error) { return plain, nil })
	require.NoError(t, err)

	raw, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = raw.Close() })
	var sealed []byte
	require.NoError(t, raw.QueryRowContext(ctx, `SELECT key_sealed FROM signing_keys WHERE alg = 'ES256'`).Scan(&sealed))
	assert.False(t, bytes.Contains(sealed, []byte("secret material")), "the key is not stored in clear")
	assert.Len(t, sealed, len(plain)+12+16, "nonce, ciphertext, tag")

	t.Run("another encryption key has a key of its own", func(t *testing.T) {
		other := newSigningKeys(t, dsn, encryptionKey(t))
		got, err := other.SigningKey(ctx, "ES256", func() ([]byte, error) { return []byte("other key"), nil })
		require.NoError(t, err)
		assert.Equal(t, []byte("other key"), got)
		got, err = s.SigningKey(ctx, "ES256", func() ([]byte, error) { return []byte("unused"), nil })
		require.NoError(t, err)
		assert.Equal(t, plain, got)
	})
	t.Run("a sealed key moved to another algorithm does not open", func(t *testing.T) {
		_, err := raw.ExecContext(ctx, `INSERT INTO signing_keys (alg, kek_id, key_sealed, created_at)
			SELECT 'RS256', kek_id, key_sealed, created_at FROM signing_keys WHERE alg = 'ES256' AND key_sealed = $1`, sealed)
		require.NoError(t, err)
		_, err = s.SigningKey(ctx, "RS256", func() ([]byte, error) { return []byte("unused"), nil })
		assert.ErrorContains(t, err, "altered")
	})
	t.Run("a bit flipped is detected", func(t *testing.T) {
		_, err := raw.ExecContext(ctx, `UPDATE signing_keys SET key_sealed = overlay(key_sealed placing '\x00'::bytea from 20 for 1) WHERE key_sealed = $1`, sealed)
		require.NoError(t, err)
		_, err = s.SigningKey(ctx, "ES256", func() ([]byte, error) { return []byte("unused"), nil })
		assert.ErrorContains(t, err, "altered")
	})
}

func TestNewSigningKeysNeedsA256BitKey(t *testing.T) {
	t.Parallel()
	_, err := postgres.NewSigningKeys(nil, make([]byte, 16), system.Clock{})
	assert.Error(t, err)
}
