// Package fuzzcost bounds what one fuzz input may cost. It measures the CPU
// time of the thread that runs the input, not the wall clock: on a busy
// machine a goroutine can wait hundreds of milliseconds for a core, and that
// wait says nothing about the parser. A super-linear input spends the time
// on the CPU and is caught all the same.
package fuzzcost

import (
	"runtime"
	"testing"
	"time"
)

// Budget is the most CPU time one input may cost: far above what any
// bounded parser needs for the largest body the server accepts.
const Budget = 250 * time.Millisecond

// Within runs fn and fails t when fn used more than Budget of CPU time on
// its thread. what names the parser in the failure.
func Within(t testing.TB, what string, fn func()) {
	t.Helper()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPU()
	fn()
	if d := threadCPU() - start; d > Budget {
		t.Fatalf("%s used %v of CPU time, over %v", what, d, Budget)
	}
}
