package wheel

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// BenchmarkBeat measures the wheel alone on a Manual clock: one op is one
// beat fired and re-armed one period later, with n entries spread over the
// period at random phases (as the reactor's key hash spreads them). No
// clock reads, no sleeping: the cost of the data structure, and of where
// its entries lie. fresh adds the n entries; replaced then cancels every
// one and adds a new one at a new random phase, one by one, a period of
// time passing over the replacement, as a population that churned.
func BenchmarkBeat(b *testing.B) {
	const period = 5 * time.Second
	for _, replaced := range []bool{false, true} {
		for _, n := range []int{10_000, 1_000_000} {
			name := fmt.Sprintf("fresh/n=%d", n)
			if replaced {
				name = fmt.Sprintf("replaced/n=%d", n)
			}
			b.Run(name, func(b *testing.B) {
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
				rng := rand.New(rand.NewPCG(7, 8))
				now := time.Duration(0)
				add := func() Timer {
					t, err := w.Add(now+time.Duration(rng.Int64N(int64(period))), 0)
					if err != nil {
						b.Fatal(err)
					}
					return t
				}
				timers := make([]Timer, n)
				for i := range timers {
					timers[i] = add()
				}
				if replaced {
					step := n / int(period/DefaultTick)
					for i := range timers {
						w.Cancel(timers[i])
						timers[i] = add()
						if i%step == 0 {
							now += DefaultTick
							_ = w.Advance(now)
						}
					}
				}
				for range int(period / DefaultTick) { // warm up: one period
					now += DefaultTick
					_ = w.Advance(now)
				}
				fired = 0
				b.ReportAllocs()
				b.ResetTimer()
				for fired < b.N {
					now += DefaultTick
					_ = w.Advance(now)
				}
			})
		}
	}
}
