package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
)

// closedPort returns a local port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// Waiting for a database that does not answer logs one line, whatever the
// number of attempts, and the error says how long it waited.
func TestOpenWaitsWithOneLine(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	_, err := postgres.Open(ctx, postgres.Options{
		URL:          fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable", closedPort(t)),
		Logger:       slog.New(slog.NewJSONHandler(&buf, nil)),
		RetryInitial: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "postgres: gave up connecting after")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, buf.String())
	assert.Contains(t, lines[0], `"msg":"waiting for postgres"`)
	assert.Contains(t, lines[0], `"gives_up_in":"1s"`)
	assert.Contains(t, lines[0], "connection refused")
}
