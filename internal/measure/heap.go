package measure

import "runtime"

// HeapInUse runs a full garbage collection and returns the bytes the process
// then keeps on the heap: live heap objects (runtime/metrics
// /memory/classes/heap/objects:bytes, which equals runtime.MemStats.HeapAlloc
// after a collection) plus goroutine stacks
// (/memory/classes/heap/stacks:bytes, MemStats.StackInuse). Stacks are
// counted so that a way of keeping beats alive with one goroutine per
// instance pays for its goroutines.
//
// Memory per instance is PerInstance(HeapInUse() before, HeapInUse()
// after adding N, N).
func HeapInUse() uint64 {
	runtime.GC()
	return readUint64(metricHeapObjects, metricHeapStacks)
}

// PerInstance returns (after - before) / n in bytes, or 0 if n is not
// positive. A heap that shrank gives a negative figure.
func PerInstance(before, after uint64, n int) float64 {
	if n <= 0 {
		return 0
	}
	return (float64(after) - float64(before)) / float64(n)
}
