package fuzzcost

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD (linux/resource.h): the calling thread only.
const rusageThread = 1

// threadCPU is the user and system CPU time the calling thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
