package main

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/identityd/identityd/adapters/hashing"
)

// measureBcrypt measures the bare bcrypt compare rate at the configured
// cost in this process, one goroutine per core, with the server's own
// hasher: the ceiling of the login scenario.
func (b *bench) measureBcrypt() {
	h := hashing.NewBcrypt(b.opts.bcryptCost)
	hash, err := h.Hash(benchPassword)
	if err != nil {
		b.report.bcryptErr = err
		return
	}
	logf("bcrypt: measuring compare rate at cost %d", b.opts.bcryptCost)
	const window = 3 * time.Second
	var n atomic.Int64
	var wg sync.WaitGroup
	cpu0 := selfCPU()
	start := time.Now()
	for range runtime.NumCPU() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < window {
				if err := h.Compare(hash, benchPassword); err == nil {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	b.report.bcryptRate = float64(n.Load()) / time.Since(start).Seconds()
	if n.Load() > 0 {
		b.report.bcryptCPU = (selfCPU() - cpu0) / float64(n.Load())
	}
}

// selfCPU is this process's user+system CPU seconds: unlike a rate, the
// CPU one compare costs does not depend on what else the machine runs.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
