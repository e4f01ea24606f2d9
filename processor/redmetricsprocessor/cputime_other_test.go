//go:build !unix

package redmetricsprocessor

import "time"

func processUserCPU() (time.Duration, bool) { return 0, false }
