package main

import (
	"runtime"
	"sync"
	"sync/atomic"
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
}
