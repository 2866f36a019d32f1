package app

import (
	"context"
	"errors"
	"io"
)

// Migrate applies, rolls back or lists the SQL migrations on the configured
// database.
func Migrate(ctx context.Context, cfg Config, direction string, out io.Writer) error {
	return errors.New("PostgreSQL support is not built yet")
}
