//go:build !unix

package accesslogreceiver

// processCPUTime is not measured on this platform; benchmarks then skip the metric.
func processCPUTime() int64 { return 0 }
