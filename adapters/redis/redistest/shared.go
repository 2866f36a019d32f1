package redistest

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// SharedCluster is one Redis Cluster for every test of a package that asks
// for it, each under a key prefix of its own: starting a cluster costs a
// few seconds, a prefix nothing. A test that fails the cluster (Kill,
// Freeze, Flush...) starts its own with StartCluster instead.
//
//	var cluster redistest.SharedCluster
//	func TestMain(m *testing.M) { code := m.Run(); cluster.Stop(); os.Exit(code) }
type SharedCluster struct {
	once sync.Once
	c    *Cluster
	err  error
	tb   *packageTB
}

// Get returns the cluster, starting it at the first call. It skips or fails
// t as StartCluster does when Redis is not available.
func (s *SharedCluster) Get(t testing.TB) *Cluster {
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
	s.once.Do(func() {
		s.tb = &packageTB{}
		defer func() {
			if r := recover(); r != nil {
				if f, ok := r.(packageFatal); ok {
					s.err = f
					return
				}
				panic(r)
			}
		}()
		s.c = StartCluster(s.tb)
	})
	if s.err != nil {
		t.Fatalf("redistest: shared cluster: %v", s.err)
	}
	return s.c
}

// Stop kills the cluster, if it was started; call it from TestMain once
// m.Run returns.
func (s *SharedCluster) Stop() {
	if s.tb != nil {
		s.tb.cleanup()
	}
}

// packageTB is the testing.TB of a cluster that outlives every single test:
// a failure ends the start (Get fails the asking test), cleanups run at
// Stop.
type packageTB struct {
	testing.TB // nil: only the methods below are called
	mu         sync.Mutex
	cleanups   []func()
}

type packageFatal string

func (f packageFatal) Error() string { return string(f) }

func (*packageTB) Helper()        {}
func (*packageTB) Name() string   { return "shared-cluster" }
func (*packageTB) Fatal(a ...any) { panic(packageFatal(fmt.Sprint(a...))) }
func (*packageTB) Fatalf(format string, a ...any) {
	panic(packageFatal(fmt.Sprintf(format, a...)))
}
func (*packageTB) Skipf(format string, a ...any) {
	panic(packageFatal(fmt.Sprintf(format, a...)))
}
func (p *packageTB) Cleanup(fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cleanups = append(p.cleanups, fn)
}
func (p *packageTB) TempDir() string {
	dir, err := os.MkdirTemp("", "redistest-cluster-")
	if err != nil {
		p.Fatalf("temp dir: %v", err)
	}
	p.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func (p *packageTB) cleanup() {
	p.mu.Lock()
	fns := p.cleanups
	p.cleanups = nil
	p.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}
