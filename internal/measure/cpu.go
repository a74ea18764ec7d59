package measure

import (
	"syscall"
	"time"
)

// usage returns getrusage(RUSAGE_SELF): the whole process, every thread
// counted, the garbage collector and the runtime's own work included. It is
// zero if getrusage fails, which it does not on Linux.
func usage() syscall.Rusage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return syscall.Rusage{}
	}
	return ru
}

// CPUTime returns the CPU time the whole process has used so far, user plus
// system, as reported by getrusage(RUSAGE_SELF).
func CPUTime() time.Duration { return cpuOf(usage()) }

// ContextSwitches returns how many times the process's threads have left
// the CPU so far, voluntarily (to sleep or wait) or not (preempted), as
// getrusage(RUSAGE_SELF) reports them. Each is a thread going to sleep and
// waking again, which costs far more on some VMs than on bare metal: the
// figure explains CPU per beat that differs between hosts running the same
// code.
func ContextSwitches() uint64 { return switchesOf(usage()) }

func cpuOf(ru syscall.Rusage) time.Duration {
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func switchesOf(ru syscall.Rusage) uint64 { return uint64(ru.Nvcsw + ru.Nivcsw) }
