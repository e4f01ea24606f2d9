//go:build unix

// Package cputime reads the CPU time the whole process has used, so that
// benchmarks can report CPU per operation next to wall time: on a shared
// machine wall time mostly measures the neighbours.
package cputime // import "github.com/redline-otel/redline/internal/cputime"

import "syscall"

// Process is the user+system CPU time of the process in nanoseconds, or 0
// where it cannot be read.
func Process() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
