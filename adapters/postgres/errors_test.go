package postgres_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/lib/pq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

func TestTranslate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give error
		want error
	}{
		{"no rows", sql.ErrNoRows, core.ErrNotFound},
		{"wrapped no rows", fmt.Errorf("scan: %w", sql.ErrNoRows), core.ErrNotFound},
		{"unique violation", &pq.Error{Code: "23505"}, core.ErrAlreadyExists},
		{"foreign key violation", &pq.Error{Code: "23503"}, core.ErrConflict},
		{"admin shutdown", &pq.Error{Code: "57P01"}, core.ErrUnavailable},
		{"connection failure", &pq.Error{Code: "08006"}, core.ErrUnavailable},
		{"too many connections", &pq.Error{Code: "53300"}, core.ErrUnavailable},
		{"bad connection", driver.ErrBadConn, core.ErrUnavailable},
		{"network", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}, core.ErrUnavailable},
		{"pool wait timed out", context.DeadlineExceeded, core.ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := postgres.Translate(context.Background(), tt.give, "doing")
			assert.ErrorIs(t, got, tt.want)
			assert.ErrorIs(t, got, tt.give, "the driver error stays in the chain")
		})
	}
	t.Run("check violation is no sentinel", func(t *testing.T) {
		got := postgres.Translate(context.Background(), &pq.Error{Code: "23514"}, "doing")
		for _, s := range []error{core.ErrNotFound, core.ErrAlreadyExists, core.ErrConflict, core.ErrUnavailable} {
			assert.NotErrorIs(t, got, s)
		}
	})
	t.Run("nil stays nil", func(t *testing.T) {
		assert.NoError(t, postgres.Translate(context.Background(), nil, "doing"))
	})
}

func TestOpenGivesUpWhenUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := postgres.Open(ctx, postgres.Options{URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable", RetryInitial: 10 * time.Millisecond})
	require.Error(t, err)
	assert.ErrorIs(t, err, core.ErrUnavailable)
}

func TestOpenRejectsMalformedURL(t *testing.T) {
	t.Parallel()
	_, err := postgres.Open(context.Background(), postgres.Options{URL: "postgres://%zz"})
	assert.Error(t, err)
}
