package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"github.com/identityd/identityd/migrations"
)

// SchemaState is where a database's schema stands against this binary.
type SchemaState struct {
	// Current is the newest migration applied to the database; 0 for none.
	Current int64
	// Known is the newest migration embedded in this binary.
	Known int64
	// OldestBinary is the newest migration the oldest binary that can still
	// serve the schema must know (table schema_compatibility); 0 when the
	// schema names none.
	OldestBinary int64
	// Pending reports whether a migration of this binary is not applied.
	Pending bool
}

// Compatible reports whether this binary can serve the schema: it knows
// at least the schema's OldestBinary.
func (s SchemaState) Compatible() bool { return s.Known >= s.OldestBinary }

// ReadSchemaState reads the applied migrations and the compatibility row
// of db's current schema. Run it before migrating: a newer schema may
// hold migrations this binary does not know.
func ReadSchemaState(ctx context.Context, db *DB) (SchemaState, error) {
	known, err := KnownVersion()
	if err != nil {
		return SchemaState{}, err
	}
	st := SchemaState{Known: known}
	p, err := newProvider(ctx, db, migrations.FS)
	if err != nil {
		return st, err
	}
	if st.Current, err = p.GetDBVersion(ctx); err != nil {
		return st, fmt.Errorf("schema: read the applied migrations: %w", err)
	}
	if st.Current > 0 {
		// goose says "pending" only for what it can apply; an older
		// binary on a newer schema has nothing pending.
		if st.Pending, err = p.HasPending(ctx); err != nil && st.Current <= known {
			return st, fmt.Errorf("schema: read the pending migrations: %w", err)
		}
	} else {
		st.Pending = true
	}
	err = db.db.GetContext(ctx, &st.OldestBinary, `SELECT oldest_binary_version FROM schema_compatibility`)
	var pqErr *pq.Error
	switch {
	case errors.As(err, &pqErr) && pqErr.Code == "42P01", errors.Is(err, sql.ErrNoRows):
		// Not migrated this far yet: every binary may serve it.
		st.OldestBinary = 0
	case err != nil:
		return st, translate(ctx, err, "schema: read schema_compatibility")
	}
	return st, nil
}

// KnownVersion is the newest migration embedded in this binary.
func KnownVersion() (int64, error) {
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("schema: list the migrations: %w", err)
	}
	var newest int64
	for _, name := range names {
		n, err := strconv.ParseInt(strings.SplitN(name, "_", 2)[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("schema: migration %s is not numbered", name)
		}
		newest = max(newest, n)
	}
	return newest, nil
}
