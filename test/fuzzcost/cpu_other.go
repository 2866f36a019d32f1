//go:build !linux

package fuzzcost

import "time"

var origin = time.Now()

// threadCPU falls back to the wall clock where the thread's CPU time is not
// available.
func threadCPU() time.Duration { return time.Since(origin) }
