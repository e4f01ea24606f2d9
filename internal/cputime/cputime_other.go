//go:build !unix

// Package cputime reads the CPU time the whole process has used, so that
// benchmarks can report CPU per operation next to wall time.
package cputime // import "github.com/redline-otel/redline/internal/cputime"

// Process is not measured on this platform: it returns 0.
func Process() int64 { return 0 }
