//go:build !unix

package parser

// processCPUTime is not measured on this platform; benchmarks then skip the metric.
func processCPUTime() int64 { return 0 }
