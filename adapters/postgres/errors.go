package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"

	"github.com/identityd/identityd/core"
)

// translate maps a driver error to the core sentinels, keeping the original
// error in the chain for logs. what says what was being done.
func translate(ctx context.Context, err error, what string) error {
	if err == nil {
		return nil
	}
	if sentinel := classify(ctx, err); sentinel != nil {
		return fmt.Errorf("%s: %w: %w", what, sentinel, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// classify returns the core sentinel for err, or nil when none applies.
func classify(ctx context.Context, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		// database/sql reports a query cut short by its context as
		// no rows now and then: once the context has ended, "no rows"
		// says nothing about the row.
		switch {
		case errors.Is(ctx.Err(), context.DeadlineExceeded):
			return core.ErrUnavailable
		case ctx.Err() != nil:
			return ctx.Err()
		}
		return core.ErrNotFound
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch {
		case pqErr.Code == "23505": // unique_violation
			return core.ErrAlreadyExists
		case pqErr.Code == "23503": // foreign_key_violation
			return core.ErrConflict
		case pqErr.Code.Class() == "08", // connection_exception
			pqErr.Code.Class() == "53",                                          // insufficient_resources, e.g. too_many_connections
			pqErr.Code == "57P01", pqErr.Code == "57P02", pqErr.Code == "57P03", // admin_shutdown, crash_shutdown, cannot_connect_now
			pqErr.Code == "57014" && errors.Is(ctx.Err(), context.DeadlineExceeded): // query_canceled by our timeout
			return core.ErrUnavailable
		}
		return nil
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF),
		errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.As(err, &netErr):
		return core.ErrUnavailable
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		// The driver reported the cancellation its own way.
		return core.ErrUnavailable
	}
	return nil
}
