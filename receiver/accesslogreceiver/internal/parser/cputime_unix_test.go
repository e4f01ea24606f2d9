//go:build unix

package parser

import "syscall"

// processCPUTime is the user+system CPU time of the process in nanoseconds.
func processCPUTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
