package measure

import (
	"syscall"
	"time"
)

// rusageThread is Linux's RUSAGE_THREAD, which package syscall lacks.
const rusageThread = 1

// ThreadCPU returns the CPU time the calling OS thread has used, user plus
// system, and true; false where the system cannot tell. The caller must
// be locked to its thread (runtime.LockOSThread) for two readings to be
// of one thread.
func ThreadCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return cpuOf(ru), true
}
