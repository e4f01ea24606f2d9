//go:build unix

package redmetricsprocessor

import (
	"syscall"
	"time"
)

// processUserCPU is the user CPU time of the whole test process (all
// goroutines, GC included). On a loaded machine wall-clock ns/op count the
// time other processes held the CPU; user CPU does not.
func processUserCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano()), true
}
