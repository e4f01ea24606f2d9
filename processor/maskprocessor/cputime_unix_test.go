//go:build unix

package maskprocessor

import "syscall"

// processCPUTime is the user+system CPU time of the process in nanoseconds.
// Benchmarks report it next to wall time because the shared build machine
// inflates wall time several-fold while other jobs run.
func processCPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
