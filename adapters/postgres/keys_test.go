package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/adapters/system"
	"github.com/identityd/identityd/core"
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
	return newRotatingSigningKeys(t, dsn, key, nil)
}

// newRotatingSigningKeys is newSigningKeys also reading previous.
func newRotatingSigningKeys(t *testing.T, dsn string, key, previous []byte) *postgres.SigningKeys {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 4})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, db.Close()) })
	s, err := postgres.NewSigningKeys(db, key, previous, system.Clock{})
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

func TestSecretUses(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunSecretUseStoreTests(t, func(t *testing.T) ports.SecretUseStore {
		return newSigningKeys(t, pgtest.NewSchema(t), encryptionKey(t))
	})
}

// Two instances on one database adding at once end up with one key, which
// both read.
func TestSigningKeysAcrossInstances(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	key := encryptionKey(t)
	instances := []*postgres.SigningKeys{newSigningKeys(t, dsn, key), newSigningKeys(t, dsn, key)}
	const n = 8
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		won   [n]bool
		errs  [n]error
	)
	now := time.Now().UTC()
	for i := range n {
		wg.Go(func() {
			<-start
			won[i], errs[i] = instances[i%2].AddSigningKey(context.Background(), core.SigningKey{ID: fmt.Sprint("k", i), Alg: "EdDSA", PEM: []byte(fmt.Sprint("key ", i)), CreatedAt: now})
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i := range n {
		require.NoError(t, errs[i])
		if won[i] {
			wins++
		}
	}
	assert.Equal(t, 1, wins)
	a, err := instances[0].SigningKeys(context.Background(), now)
	require.NoError(t, err)
	b, err := instances[1].SigningKeys(context.Background(), now)
	require.NoError(t, err)
	require.Len(t, a, 1)
	assert.Equal(t, a, b)
}

func TestSigningKeysAreSealed(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	key := encryptionKey(t)
	s := newSigningKeys(t, dsn, key)
	ctx := context.Background()
	plain := []byte("-----BEGIN PRIVATE KEY----- secret material")
	now := time.Now().UTC()
	_, err := s.AddSigningKey(ctx, core.SigningKey{ID: "k1", Alg: "ES256", PEM: plain, CreatedAt: now})
	require.NoError(t, err)

	db, err := sql.Open("postgres", dsn)
	require.NoError(t, err)
	defer db.Close()
	var stored []byte
	require.NoError(t, db.QueryRowContext(ctx, `SELECT key_sealed FROM signing_keys`).Scan(&stored))
	assert.False(t, bytes.Contains(stored, plain), "the key is not stored in clear")

	t.Run("another encryption key sees none of them and adds its own", func(t *testing.T) {
		other := newSigningKeys(t, dsn, encryptionKey(t))
		got, err := other.SigningKeys(ctx, now)
		require.NoError(t, err)
		assert.Empty(t, got)
		ok, err := other.AddSigningKey(ctx, core.SigningKey{ID: "k2", Alg: "ES256", PEM: []byte("other"), CreatedAt: now})
		require.NoError(t, err)
		assert.True(t, ok)
		got, err = s.SigningKeys(ctx, now)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, plain, got[0].PEM)
	})
	t.Run("an altered row is refused", func(t *testing.T) {
		_, err := db.ExecContext(ctx, `UPDATE signing_keys SET key_sealed = overlay(key_sealed placing '\x00'::bytea from 20 for 1) WHERE id = 'k1'`)
		require.NoError(t, err)
		_, err = s.SigningKeys(ctx, now)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "secret material")
	})
	t.Run("rotation needs no encryption key", func(t *testing.T) {
		pdb, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 1})
		require.NoError(t, err)
		defer pdb.Close()
		n, err := postgres.RotateSigningKeys(ctx, pdb, time.Now().UTC())
		require.NoError(t, err)
		assert.Equal(t, 2, n, "every active key, whichever encryption key sealed it")
	})
}

func TestNewSigningKeysNeedsA256BitKey(t *testing.T) {
	t.Parallel()
	_, err := postgres.NewSigningKeys(nil, make([]byte, 16), nil, system.Clock{})
	assert.Error(t, err)
	_, err = postgres.NewSigningKeys(nil, make([]byte, 32), make([]byte, 16), system.Clock{})
	assert.Error(t, err, "the previous key too")
	_, err = postgres.NewSigningKeys(nil, make([]byte, 32), make([]byte, 32), system.Clock{})
	assert.Error(t, err, "the previous key is another key")
}

// After a change of JWT_REFRESH_SECRET, an instance with the previous one
// configured reads the keys sealed under it (and adds none next to an
// active one); Reseal moves them, in one go, to the current key, after
// which the current key alone reads them all.
func TestSigningKeysUnderThePreviousKey(t *testing.T) {
	t.Parallel()
	dsn := pgtest.NewSchema(t)
	keyA, keyB := encryptionKey(t), encryptionKey(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Microsecond)
	underA := newSigningKeys(t, dsn, keyA)
	for i, alg := range []string{"RS256", "ES256"} {
		ok, err := underA.AddSigningKey(ctx, core.SigningKey{ID: "a-" + alg, Alg: alg, PEM: []byte("pem " + alg), CreatedAt: now.Add(time.Duration(i) * time.Second)})
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, err := underA.RetireSigningKeys(ctx, now, now.Add(time.Minute))
	require.NoError(t, err, "RS256 retired, ES256 active")
	want, err := underA.SigningKeys(ctx, now)
	require.NoError(t, err)
	require.Len(t, want, 2)

	rotating := newRotatingSigningKeys(t, dsn, keyB, keyA)
	got, err := rotating.SigningKeys(ctx, now)
	require.NoError(t, err)
	assert.Equal(t, want, got, "read under the previous key")
	ok, err := rotating.AddSigningKey(ctx, core.SigningKey{ID: "b-EdDSA", Alg: "EdDSA", PEM: []byte("pem EdDSA"), CreatedAt: now.Add(2 * time.Second)})
	require.NoError(t, err)
	require.True(t, ok, "new keys are sealed under the current key")
	census, err := rotating.Census(ctx, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, postgres.KeyCensus{Current: 1, Previous: 2}, census)

	// An instance that ran with the new secret alone made its own ES256
	// key: resealing retires the older active one, which stays published.
	onlyB := newSigningKeys(t, dsn, keyB)
	lone := core.SigningKey{ID: "b-ES256", Alg: "ES256", PEM: []byte("lone ES256"), CreatedAt: now.Add(3 * time.Second)}
	ok, err = onlyB.AddSigningKey(ctx, lone)
	require.NoError(t, err)
	require.True(t, ok)

	resealAt := now.Add(time.Hour)
	n, err := rotating.Reseal(ctx, resealAt)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	n, err = rotating.Reseal(ctx, resealAt)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "nothing left to move")

	census, err = onlyB.Census(ctx, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, postgres.KeyCensus{Current: 4}, census)
	got, err = onlyB.SigningKeys(ctx, now)
	require.NoError(t, err)
	byID := map[string]core.SigningKey{}
	for _, k := range got {
		byID[k.ID] = k
	}
	require.Len(t, byID, 4, "the current key alone reads every key")
	assert.Equal(t, want[0], byID["a-RS256"], "a retired key keeps its retirement")
	assert.Equal(t, []byte("pem ES256"), byID["a-ES256"].PEM)
	assert.True(t, byID["a-ES256"].RetiredAt.Equal(resealAt), "the older active ES256 key is retired: %v", byID["a-ES256"].RetiredAt)
	assert.True(t, byID["b-ES256"].Active())

	census, err = underA.Census(ctx, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, postgres.KeyCensus{Other: 4}, census, "an instance on the old secret alone reads none")
	n, err = onlyB.Reseal(ctx, resealAt)
	require.NoError(t, err)
	assert.Equal(t, 0, n, "without a previous key nothing to do")
}
