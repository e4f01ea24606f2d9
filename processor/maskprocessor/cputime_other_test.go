//go:build !unix

package maskprocessor

func processCPUTime() int64 { return 0 }
