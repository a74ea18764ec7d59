package measure

import "runtime/metrics"

// Names of the runtime/metrics read by this package.
const (
	metricHeapObjects = "/memory/classes/heap/objects:bytes"
	metricHeapStacks  = "/memory/classes/heap/stacks:bytes"
)

// readUint64 reads the named runtime/metrics, all of kind KindUint64, and
// returns their sum. An unsupported name counts as 0. It allocates a small
// slice; it is meant for once-a-second or once-a-run reads.
func readUint64(names ...string) uint64 {
	samples := make([]metrics.Sample, len(names))
	for i, n := range names {
		samples[i].Name = n
	}
	metrics.Read(samples)
	var sum uint64
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			sum += s.Value.Uint64()
		}
	}
	return sum
}
