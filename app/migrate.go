package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

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

// RotateSigningKeys retires every active signing key in the database at
// databaseURL (`identityd keys rotate`). It needs no secret: each instance
// sharing the database makes or finds the new active keys at its next
// refresh, within a minute, and keeps publishing the retired ones until
// the tokens they signed have expired.
func RotateSigningKeys(ctx context.Context, databaseURL string, log *slog.Logger) (int, error) {
	db, err := postgres.Open(ctx, postgres.Options{URL: databaseURL, MaxOpenConns: 1, Logger: log})
	if err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	defer db.Close()
	return postgres.RotateSigningKeys(ctx, db, time.Now().UTC())
}
