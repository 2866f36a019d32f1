package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/identityd/identityd/migrations"
)

// Migration directions accepted by Migrate.
const (
	MigrateUp     = "up"
	MigrateDown   = "down"
	MigrateStatus = "status"
)

// Migrate applies the embedded migrations to db: "up" applies every pending
// one, "down" rolls back the last applied one, "status" lists them. It
// reports what it did to out, one line per migration. The goose version
// table lives in the connection's current schema, and a session advisory
// lock keyed by that schema keeps instances starting together from
// migrating at once. The pool's I/O bound (Options.IOTimeout) is lifted
// while it runs.
func Migrate(ctx context.Context, db *DB, direction string, out io.Writer) error {
	// A migration may run one statement for longer than any store call.
	defer db.conns.lift()()
	p, err := newProvider(ctx, db, migrations.FS)
	if err != nil {
		return err
	}
	// Not p.Close(): that would close db, which the caller owns.
	switch direction {
	case MigrateUp:
		res, err := p.Up(ctx)
		for _, r := range res {
			fmt.Fprintf(out, "migrated up %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
		}
		if err != nil {
			return fmt.Errorf("migrate up: %w", err)
		}
		if len(res) == 0 {
			fmt.Fprintln(out, "no pending migrations")
		}
	case MigrateDown:
		r, err := p.Down(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			fmt.Fprintln(out, "no migration to roll back")
			return nil
		}
		if err != nil {
			return fmt.Errorf("migrate down: %w", err)
		}
		fmt.Fprintf(out, "migrated down %s (%s)\n", r.Source.Path, r.Duration.Round(1e6))
	case MigrateStatus:
		st, err := p.Status(ctx)
		if err != nil {
			return fmt.Errorf("migrate status: %w", err)
		}
		for _, s := range st {
			applied := "-"
			if !s.AppliedAt.IsZero() {
				applied = s.AppliedAt.UTC().Format("2006-01-02T15:04:05Z")
			}
			fmt.Fprintf(out, "%-8s %-20s %s\n", s.State, applied, s.Source.Path)
		}
	default:
		return fmt.Errorf("migrate: unknown direction %q (want up, down or status)", direction)
	}
	return nil
}

func newProvider(ctx context.Context, db *DB, fsys fs.FS) (*goose.Provider, error) {
	var schema string
	if err := db.db.GetContext(ctx, &schema, `SELECT current_schema()`); err != nil {
		return nil, translate(ctx, err, "migrate: read current schema")
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("identityd-migrations:" + schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()>>1)),
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return nil, fmt.Errorf("migrate: lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db.SQL(), fsys, goose.WithSessionLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return p, nil
}
