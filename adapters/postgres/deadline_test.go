package postgres_test

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/postgres"
	"github.com/identityd/identityd/core"
)

// silentServer accepts connections and never answers, as a server behind
// a network that drops packets looks from the client.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// A server that accepts the connection and then says nothing does not
// hold Open past its context: each attempt ends at the I/O bound.
func TestOpenGivesUpOnASilentServer(t *testing.T) {
	t.Parallel()
	addr := silentServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		db, err := postgres.Open(ctx, postgres.Options{
			URL: "postgres://u@" + addr + "/db?sslmode=disable", QueryTimeout: 100 * time.Millisecond,
			IOTimeout: 200 * time.Millisecond, RetryInitial: 10 * time.Millisecond,
		})
		if db != nil {
			_ = db.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.ErrorIs(t, err, core.ErrUnavailable)
	case <-time.After(30 * time.Second):
		t.Fatal("Open still waits for a silent server 30 s after its context ended")
	}
}
