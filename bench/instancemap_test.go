package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/puzpuzpuz/xsync/v3"
)

// BenchmarkInstanceMap reports what the Reactor's instance index costs
// alone: an xsync MapOf from a 32-bit hash to a 32-bit entry index, as
// reactor/instances.go builds it (presized to n), holding n random keys.
// xsync doubles its table of 64-byte buckets (5 entries each) once it is
// three quarters full, so the bytes per entry jump just past each doubling:
//
//	go test -run '^$' -bench InstanceMap -benchtime=1x -sizes=900000,1000000,1100000
func BenchmarkInstanceMap(b *testing.B) {
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, uint64(n)))
			var perEntry float64
			for range b.N {
				before := measure.HeapInUse()
				m := xsync.NewMapOf[uint32, uint32](xsync.WithPresize(n))
				for i := range n {
					m.Store(rng.Uint32(), uint32(i))
				}
				// Keys drawn at random collide about n²/2³³ times: count
				// what the map holds.
				perEntry = measure.PerInstance(before, measure.HeapInUse(), m.Size())
				runtime.KeepAlive(m)
			}
			b.ReportMetric(perEntry, "B/entry")
		})
	}
}
