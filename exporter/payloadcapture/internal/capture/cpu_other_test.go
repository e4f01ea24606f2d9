//go:build !unix

package capture

import "time"

// processCPU is not measured here; the cpu-s/op figure reads 0.
func processCPU() time.Duration { return 0 }
