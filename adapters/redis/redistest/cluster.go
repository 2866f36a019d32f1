package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Cluster is a three-master Redis Cluster on loopback ports that the test
// owns; its nodes are killed at cleanup.
type Cluster struct {
	ports []int
}

// StartCluster starts three redis-server nodes in cluster mode, joins them
// with redis-cli --cluster create (no replicas) and waits until every node
// reports cluster_state:ok. Like New it needs TEST_REDIS_URL (the gate of
// every Redis test); without redis-server or redis-cli on PATH the test
// skips, or fails under REQUIRE_SERVICES=1.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	URL(t)
	for _, bin := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv(EnvRequireServices) == "1" {
				t.Fatalf("%s is not on PATH and %s=1", bin, EnvRequireServices)
			}
			t.Skipf("%s is not on PATH: skipping the Redis Cluster tests", bin)
		}
	}
	dir := t.TempDir()
	c := &Cluster{}
	var addrs []string
	for range 3 {
		port := clusterPort(t)
		cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(dir, fmt.Sprintf("nodes-%d.conf", port)),
			"--dir", dir, "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
		if err := cmd.Start(); err != nil {
			t.Fatalf("redistest: start redis-server: %v", err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		})
		c.ports = append(c.ports, port)
		addrs = append(addrs, "127.0.0.1:"+strconv.Itoa(port))
	}
	for _, a := range addrs {
		c.waitFor(t, a, func(ctx context.Context, rc *goredis.Client) error { return rc.Ping(ctx).Err() })
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, a := range addrs {
		c.waitFor(t, a, func(ctx context.Context, rc *goredis.Client) error {
			info, err := rc.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("cluster not ready yet")
			}
			return nil
		})
	}
	return c
}

// URL is the cluster URL identityd takes with REDIS_CLUSTER=true: the first
// node as the seed, the others as ?addr=.
func (c *Cluster) URL() string {
	u := fmt.Sprintf("redis://127.0.0.1:%d", c.ports[0])
	sep := "?"
	for _, p := range c.ports[1:] {
		u += fmt.Sprintf("%saddr=127.0.0.1:%d", sep, p)
		sep = "&"
	}
	return u
}

// Prefix returns a key prefix unique to t; the keys go with the cluster.
func (c *Cluster) Prefix(t testing.TB) string {
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	return "test:" + sanitize(t.Name()) + ":" + hex.EncodeToString(rnd[:]) + ":"
}

// waitFor retries fn on the node at addr for up to 10 s.
func (c *Cluster) waitFor(t testing.TB, addr string, fn func(context.Context, *goredis.Client) error) {
	t.Helper()
	rc := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := fn(ctx, rc)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: cluster node %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clusterPort is a free loopback port whose cluster bus port (+10000) is
// free too.
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("redistest: free port: %v", err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		_ = bus.Close()
		return port
	}
	t.Fatal("redistest: no free port pair for a cluster node")
	return 0
}
