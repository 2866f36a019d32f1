package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/adapters/postgres/pgtest"
	"github.com/identityd/identityd/ports/porttest"
)

// newStore opens a Store over a fresh schema, closed at cleanup.
func newStore(t testing.TB, opts postgres.StoreOptions) (*postgres.Store, *postgres.DB) {
	t.Helper()
	dsn := pgtest.NewSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 8})
	require.NoError(t, err)
	s := postgres.NewStore(db, opts)
	t.Cleanup(func() {
		require.NoError(t, s.Close())
		require.NoError(t, db.Close())
	})
	return s, db
}

func TestStore(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunStoreTests(t, func(t *testing.T) porttest.Store {
		s, _ := newStore(t, postgres.StoreOptions{})
		return s
	})
}

func TestStoreWithoutGroupCommit(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunStoreTests(t, func(t *testing.T) porttest.Store {
		s, _ := newStore(t, postgres.StoreOptions{BatchMaxRows: 1})
		return s
	})
}

func TestDeviceCodes(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunDeviceCodeTests(t, func(t *testing.T) porttest.DeviceCodeFixture {
		s, _ := newStore(t, postgres.StoreOptions{})
		return porttest.NewDeviceCodeFixture(t, s)
	})
}

func TestFactors(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunFactorTests(t, func(t *testing.T) porttest.FactorStore {
		s, _ := newStore(t, postgres.StoreOptions{})
		return s
	})
}

func TestIdentityProviders(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunIdentityProviderTests(t, func(t *testing.T) porttest.IdentityProviderFixture {
		s, _ := newStore(t, postgres.StoreOptions{})
		return porttest.NewIdentityProviderFixture(s)
	})
}

func TestAuditLog(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunAuditLogTests(t, func(t *testing.T) porttest.AuditStore {
		s, _ := newStore(t, postgres.StoreOptions{})
		return s
	})
}

func TestClientNames(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunClientNameTests(t, func(t *testing.T) porttest.ClientNameStore {
		s, _ := newStore(t, postgres.StoreOptions{})
		return s
	})
}

func TestConsents(t *testing.T) {
	t.Parallel()
	pgtest.URL(t)
	porttest.RunConsentTests(t, func(t *testing.T) porttest.ConsentStore {
		s, _ := newStore(t, postgres.StoreOptions{})
		return s
	})
}
