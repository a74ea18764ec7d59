package measure

import "runtime"

// Mallocs returns the cumulative count of heap allocations made by the
// process, runtime.MemStats.Mallocs. Reading it stops the world for a few
// microseconds (runtime/metrics' allocation counters are cheaper but only
// count an allocation once its span is refilled, too late for a short
// window): read it per window or per second, not per beat.
func Mallocs() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}
