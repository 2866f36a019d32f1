package redis_test

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

	"github.com/identityd/identityd/adapters/redis"
)

// Waiting for a Redis that does not answer logs one line, whatever the
// number of attempts, and the error says how long it waited.
func TestOpenWaitsWithOneLine(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())

	var buf bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 700*time.Millisecond)
	defer cancel()
	_, err = redis.Open(ctx, redis.Options{
		URL:          fmt.Sprintf("redis://127.0.0.1:%d/0", port),
		Logger:       slog.New(slog.NewJSONHandler(&buf, nil)),
		RetryInitial: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond,
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis: gave up connecting after")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, buf.String())
	assert.Contains(t, lines[0], `"msg":"waiting for redis"`)
}
