package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/identityd/identityd/adapters/postgres"
)

// Migrate applies (up), rolls back one step of (down), or lists (status)
// the embedded SQL migrations on DATABASE_URL.
func Migrate(ctx context.Context, cfg Config, direction string, out io.Writer, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return postgres.Migrate(ctx, db, direction, out)
}
