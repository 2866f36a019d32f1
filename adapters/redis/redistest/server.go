package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a redis-server process the test owns, on a loopback port, so a
// test can flush it, stop it, and start it again from an older snapshot.
type Server struct {
	t    testing.TB
	dir  string
	port int
	cmd  *exec.Cmd
}

// StartServer starts redis-server on a free loopback port with its data in
// a temporary directory; it is killed at cleanup. Without redis-server on
// PATH the test skips (or fails under REQUIRE_SERVICES=1).
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv(EnvRequireServices) == "1" {
			t.Fatalf("redis-server is not on PATH and %s=1", EnvRequireServices)
		}
		t.Skip("redis-server is not on PATH: skipping a test that runs its own Redis")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: free port: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	s := &Server{t: t, dir: t.TempDir(), port: port}
	s.Start()
	t.Cleanup(s.Kill)
	return s
}

// URL is the redis:// URL of the server.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr is its host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start (re)starts the server; it loads the last snapshot Save wrote.
func (s *Server) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--dbfilename", "dump.rdb", "--logfile", "")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.do(func(ctx context.Context, c *goredis.Client) error { return c.Ping(ctx).Err() }); err == nil {
			return
		} else if time.Now().After(deadline) {
			s.t.Fatalf("redistest: redis-server on %d did not answer: %v", s.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill stops the server at once, as a crash does, without saving.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Save writes a snapshot that the next Start loads: the "old data" a
// restore brings back.
func (s *Server) Save() {
	s.t.Helper()
	if err := s.do(func(ctx context.Context, c *goredis.Client) error { return c.Save(ctx).Err() }); err != nil {
		s.t.Fatalf("redistest: save: %v", err)
	}
}

// Flush deletes every key.
func (s *Server) Flush() {
	s.t.Helper()
	if err := s.do(func(ctx context.Context, c *goredis.Client) error { return c.FlushAll(ctx).Err() }); err != nil {
		s.t.Fatalf("redistest: flush: %v", err)
	}
}

func (s *Server) do(fn func(context.Context, *goredis.Client) error) error {
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return fn(ctx, c)
}
