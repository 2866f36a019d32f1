package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/identityd/identityd/adapters/postgres"
)

// Environment variables read by NewSchema.
const (
	EnvDatabaseURL     = "TEST_DATABASE_URL"
	EnvRequireServices = "REQUIRE_SERVICES"
)

// URL returns TEST_DATABASE_URL, skipping the test when it is unset (or
// failing it when REQUIRE_SERVICES=1).
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvDatabaseURL)
	if u == "" {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("%s is not set and %s=1: PostgreSQL is required", EnvDatabaseURL, EnvRequireServices)
		}
		t.Skipf("%s is not set: skipping the PostgreSQL tests", EnvDatabaseURL)
	}
	return u
}

// NewSchema creates a migrated schema for this test and returns a connection
// URL that uses it. The schema is dropped at cleanup.
func NewSchema(t testing.TB) string {
	t.Helper()
	dsn := NewEmptySchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, postgres.Options{URL: dsn, MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("pgtest: open: %v", err)
	}
	defer db.Close()
	if err := postgres.Migrate(ctx, db, postgres.MigrateUp, io.Discard); err != nil {
		t.Fatalf("pgtest: migrate: %v", err)
	}
	return dsn
}

// NewEmptySchema is NewSchema without the migrations.
func NewEmptySchema(t testing.TB) string {
	t.Helper()
	base := URL(t)
	schema := schemaName(t.Name())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatalf("pgtest: open %s: %v", EnvDatabaseURL, err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+pq.QuoteIdentifier(schema)); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := sql.Open("postgres", base)
		if err != nil {
			t.Errorf("pgtest: open for cleanup: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.ExecContext(ctx, `DROP SCHEMA `+pq.QuoteIdentifier(schema)+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := withSearchPath(base, schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// withSearchPath adds search_path to a postgres:// URL or a key=value
// connection string. lib/pq passes parameters it does not know itself to
// the server as run-time settings at start-up.
func withSearchPath(base, schema string) (string, error) {
	if strings.HasPrefix(base, "postgres://") || strings.HasPrefix(base, "postgresql://") {
		u, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return base + " search_path=" + schema, nil
}

// schemaName makes a unique, valid schema name from a test name.
func schemaName(testName string) string {
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(testName) {
		if b.Len() >= 40 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	b.WriteByte('_')
	b.WriteString(hex.EncodeToString(rnd[:]))
	return b.String()
}
