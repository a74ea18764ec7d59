package reactor_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

// BenchmarkBeat is the engine's own cost per beat, with the network and
// the wall clock taken out: n instances on a Manual wheel beat through the
// no-op transport, and each op moves the clock one period, a tick at a
// time, and waits until every beat of it was answered. ns/beat is wall
// time per beat; cpu-ns/beat is the process's CPU time per beat, senders
// included, which a busy neighbour disturbs less. Compare commits with
// alternating runs: go test -run '^$' -bench Beat -count 6 ./reactor.
func BenchmarkBeat(b *testing.B) {
	const period, step = time.Second, 10 * time.Millisecond
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var w *wheel.Wheel
			m := measure.NewMeter()
			l, err := beatload.StartReactor(func(h wheel.Handler) (wheel.Scheduler, error) {
				var err error
				w, err = wheel.New(wheel.Config{Manual: true, Tick: step}, h)
				return w, err
			}, beatload.Config{Instances: n, Period: period, Meter: m})
			require.NoError(b, err)
			defer l.Stop()
			var now time.Duration
			// period moves the clock one period in steps of a tick, so no
			// beat is late enough to be skipped, and waits for its beats.
			period := func() {
				want := m.Beats() + uint64(n)
				for end := now + period; now < end; {
					now += step
					require.NoError(b, w.Advance(now))
				}
				for m.Beats() < want {
					runtime.Gosched()
				}
			}
			period() // warm-up: the slots, the job pool, the wheel's arrays
			cpu0, allocs0 := measure.CPUTime(), measure.Mallocs()
			b.ResetTimer()
			for range b.N {
				period()
			}
			b.StopTimer()
			beats := float64(b.N) * float64(n)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/beats, "ns/beat")
			b.ReportMetric(float64(measure.CPUTime()-cpu0)/beats, "cpu-ns/beat")
			b.ReportMetric(float64(measure.Mallocs()-allocs0)/beats, "allocs/beat")
		})
	}
}
