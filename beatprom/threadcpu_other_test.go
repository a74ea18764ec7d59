//go:build !linux

package beatprom_test

import "time"

// threadCPU reports that this system gives no per-thread CPU time: scrapes
// are then timed by the wall clock.
func threadCPU() (time.Duration, bool) { return 0, false }
