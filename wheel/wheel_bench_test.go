package wheel

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkBeat measures the wheel alone on a Manual clock: one op is one
// beat fired and re-armed one period later, with n entries spread over the
// period. No clock reads, no sleeping: the cost of the data structure.
func BenchmarkBeat(b *testing.B) {
	const period = 5 * time.Second
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			var w *Wheel
			fired := 0
			w, err := New(Config{Manual: true}, func(batch []Expired) {
				fired += len(batch)
				for _, e := range batch {
					_ = w.Reset(e.Timer, e.Due+period)
				}
			})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Stop()
			for i := range n {
				if _, err := w.Add(period*time.Duration(i)/time.Duration(n), uint64(i)); err != nil {
					b.Fatal(err)
				}
			}
			now := time.Duration(0)
			b.ReportAllocs()
			b.ResetTimer()
			for fired < b.N {
				now += DefaultTick
				_ = w.Advance(now)
			}
		})
	}
}
