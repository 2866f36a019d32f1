package app

import (
	"context"
	"io"
	"log/slog"

	"github.com/identityd/identityd/adapters/postgres"
)

// Migrate applies (up), rolls back one step of (down), or lists (status)
// the embedded SQL migrations on DATABASE_URL. Like serve, it gives up
// when the database has not answered within StartTimeout.
func Migrate(ctx context.Context, cfg Config, direction string, out io.Writer, log *slog.Logger) error {
	openCtx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	db, err := openDB(openCtx, cfg, log, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return postgres.Migrate(ctx, db, direction, out)
}
