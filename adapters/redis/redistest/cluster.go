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
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Cluster is a three-master Redis Cluster on loopback ports that the test
// owns; its nodes are killed at cleanup. Like Server, it lets a test fail
// it: flush it, stop one node or all, freeze them, and start them again
// from an older snapshot.
type Cluster struct {
	t     testing.TB
	dir   string
	nodes []*clusterNode
}

// clusterNode is one master: its port, and its process while it runs.
type clusterNode struct {
	port int
	cmd  *exec.Cmd
}

func (n *clusterNode) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// clusterNodeTimeout is cluster-node-timeout (ms): how long a silent node
// goes before the others mark it failing. Redis's default (15 s) would
// keep a master that comes back marked failed for up to 30 s (twice the
// timeout); 2 s keeps the fault tests short and is still far longer than
// a node of a loaded test machine goes without answering a ping.
const clusterNodeTimeout = "2000"

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
	c := &Cluster{t: t, dir: t.TempDir()}
	t.Cleanup(func() { c.Kill() })
	var addrs []string
	for range 3 {
		n := &clusterNode{port: clusterPort(t)}
		c.nodes = append(c.nodes, n)
		c.startNode(n)
		addrs = append(addrs, n.addr())
	}
	for _, n := range c.nodes {
		c.waitFor(n.addr(), func(ctx context.Context, rc *goredis.Client) error { return rc.Ping(ctx).Err() })
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redistest: redis-cli --cluster create: %v\n%s", err, out)
	}
	c.waitOK()
	return c
}

// startNode starts n's process; its data and cluster configuration live in
// files of its own, so a restart brings back its slots and its last
// snapshot.
func (c *Cluster) startNode(n *clusterNode) {
	c.t.Helper()
	p := strconv.Itoa(n.port)
	n.cmd = exec.Command("redis-server", "--port", p, "--bind", "127.0.0.1",
		"--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(c.dir, "nodes-"+p+".conf"),
		"--cluster-node-timeout", clusterNodeTimeout,
		"--dir", c.dir, "--dbfilename", "dump-"+p+".rdb",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	if err := n.cmd.Start(); err != nil {
		c.t.Fatalf("redistest: start redis-server: %v", err)
	}
}

// URL is the cluster URL identityd takes with REDIS_CLUSTER=true: the first
// node as the seed, the others as ?addr=.
func (c *Cluster) URL() string {
	u := "redis://" + c.nodes[0].addr()
	sep := "?"
	for _, n := range c.nodes[1:] {
		u += sep + "addr=" + n.addr()
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

// NodeFor is the index of the node that serves key's hash slot: the one a
// subscriber to the channel key listens on.
func (c *Cluster) NodeFor(key string) int {
	c.t.Helper()
	var slot int64
	c.waitFor(c.nodes[0].addr(), func(ctx context.Context, rc *goredis.Client) error {
		var err error
		slot, err = rc.ClusterKeySlot(ctx, key).Result()
		return err
	})
	var shards []goredis.ClusterShard
	c.waitFor(c.nodes[0].addr(), func(ctx context.Context, rc *goredis.Client) error {
		var err error
		shards, err = rc.ClusterShards(ctx).Result()
		return err
	})
	for _, sh := range shards {
		for _, r := range sh.Slots {
			if slot < r.Start || slot > r.End {
				continue
			}
			for _, sn := range sh.Nodes {
				for i, n := range c.nodes {
					if sn.Role == "master" && int(sn.Port) == n.port {
						return i
					}
				}
			}
		}
	}
	c.t.Fatalf("redistest: no node serves slot %d of %q", slot, key)
	return -1
}

// Flush deletes every key on every master.
func (c *Cluster) Flush() {
	c.t.Helper()
	for _, n := range c.nodes {
		c.waitFor(n.addr(), func(ctx context.Context, rc *goredis.Client) error { return rc.FlushAll(ctx).Err() })
	}
}

// Save writes a snapshot of every master that the next Start loads: the
// "old data" a restore brings back.
func (c *Cluster) Save() {
	c.t.Helper()
	for _, n := range c.nodes {
		c.waitFor(n.addr(), func(ctx context.Context, rc *goredis.Client) error { return rc.Save(ctx).Err() })
	}
}

// Kill stops every node at once, as a crash does, without saving; with
// nodes given, only those: a master that dies takes its slots with it.
func (c *Cluster) Kill(nodes ...int) {
	for _, n := range c.pick(nodes) {
		if n.cmd == nil || n.cmd.Process == nil {
			continue
		}
		_ = n.cmd.Process.Signal(syscall.SIGCONT) // a frozen node dies too
		_ = n.cmd.Process.Kill()
		_ = n.cmd.Wait()
		n.cmd = nil
	}
}

// Start starts every node that is not running, from its last snapshot, and
// waits until the cluster answers again (cluster_state:ok on every node).
func (c *Cluster) Start() {
	c.t.Helper()
	for _, n := range c.nodes {
		if n.cmd == nil {
			c.startNode(n)
		}
	}
	c.waitOK()
}

// Freeze stops every node's process (SIGSTOP), or only the nodes given:
// connections are still accepted, by the kernel, and never answered, as
// when a network drops every packet. Thaw ends it.
func (c *Cluster) Freeze(nodes ...int) { c.signal(syscall.SIGSTOP, nodes) }

// Thaw resumes frozen nodes (SIGCONT) and waits until the cluster answers.
func (c *Cluster) Thaw() {
	c.t.Helper()
	c.signal(syscall.SIGCONT, nil)
	c.waitOK()
}

func (c *Cluster) signal(sig syscall.Signal, nodes []int) {
	c.t.Helper()
	for _, n := range c.pick(nodes) {
		if n.cmd != nil && n.cmd.Process != nil {
			if err := n.cmd.Process.Signal(sig); err != nil {
				c.t.Fatalf("redistest: signal node %d: %v", n.port, err)
			}
		}
	}
}

// pick is the nodes of the given indexes, or all of them.
func (c *Cluster) pick(idx []int) []*clusterNode {
	if len(idx) == 0 {
		return c.nodes
	}
	out := make([]*clusterNode, 0, len(idx))
	for _, i := range idx {
		out = append(out, c.nodes[i])
	}
	return out
}

// waitOK waits until every node reports cluster_state:ok.
func (c *Cluster) waitOK() {
	c.t.Helper()
	for _, n := range c.nodes {
		c.waitFor(n.addr(), func(ctx context.Context, rc *goredis.Client) error {
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
}

// waitFor retries fn on the node at addr for up to 30 s.
func (c *Cluster) waitFor(addr string, fn func(context.Context, *goredis.Client) error) {
	c.t.Helper()
	rc := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := fn(ctx, rc)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("redistest: cluster node %s: %v", addr, err)
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
