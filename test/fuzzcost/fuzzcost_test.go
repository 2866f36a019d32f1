package fuzzcost

import (
	"testing"
	"time"
)

// recorder captures a failure instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
}

func TestWaitingIsNotCost(t *testing.T) {
	r := &recorder{TB: t}
	Within(r, "sleep", func() { time.Sleep(2 * Budget) })
	if r.failed != "" {
		t.Fatal("a goroutine that waits used no CPU, yet it failed")
	}
}

func TestSpinningIsCost(t *testing.T) {
	r := &recorder{TB: t}
	Within(r, "spin", func() {
		for start := threadCPU(); threadCPU()-start <= Budget; {
		}
	})
	if r.failed == "" {
		t.Fatal("a loop that burned more than the budget passed")
	}
}
