//go:build !unix

package masker

func processCPUTime() int64 { return 0 }
