//go:build !linux

package measure

import "time"

// ThreadCPU reports that this system gives no per-thread CPU time.
func ThreadCPU() (time.Duration, bool) { return 0, false }
