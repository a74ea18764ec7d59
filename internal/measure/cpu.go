package measure

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time the whole process has used so far, user plus
// system, as reported by getrusage(RUSAGE_SELF). It counts every thread, so
// it includes the garbage collector and the runtime's own work. It returns 0
// if getrusage fails, which it does not on Linux.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
