package wheel

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// refEntry is the reference model's view of one timer.
type refEntry struct {
	timer Timer
	at    time.Duration
	data  uint32
	tick  int64 // the tick it must fire on
}

// reference is the obvious implementation: a list of pending entries sorted
// by the tick they must fire on.
type reference struct {
	tick    time.Duration
	now     time.Duration
	pending []refEntry
	idle    map[Timer]refEntry
}

func (r *reference) arm(e refEntry) {
	cur := int64(r.now / r.tick)
	e.tick = max(int64((max(e.at, 0)+r.tick-1)/r.tick), cur+1)
	// Entries of one tick fire in no particular order: among them, where
	// e goes does not matter.
	i, _ := slices.BinarySearchFunc(r.pending, e.tick, func(a refEntry, tick int64) int {
		return cmp.Compare(a.tick, tick)
	})
	r.pending = slices.Insert(r.pending, i, e)
}

// take removes t, reporting whether it was pending.
func (r *reference) take(t Timer) (refEntry, bool) {
	for i, e := range r.pending {
		if e.timer == t {
			r.pending = slices.Delete(r.pending, i, i+1)
			return e, true
		}
	}
	e := r.idle[t]
	delete(r.idle, t)
	return e, false
}

// advance returns the entries due by now, in the order they must fire.
func (r *reference) advance(now time.Duration) []refEntry {
	r.now = max(r.now, now)
	n := 0
	for n < len(r.pending) && r.pending[n].tick <= int64(r.now/r.tick) {
		r.idle[r.pending[n].timer] = r.pending[n]
		n++
	}
	due := slices.Clone(r.pending[:n])
	r.pending = r.pending[n:]
	return due
}

func (r *reference) live() []Timer {
	var ts []Timer
	for _, e := range r.pending {
		ts = append(ts, e.timer)
	}
	for t := range r.idle {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// TestModel drives the wheel and the reference with the same random
// operations and requires identical results after every step: the same
// entries fire on the same Advance, in tick order, Cancel reports the same,
// and the internal lists stay consistent.
func TestModel(t *testing.T) {
	const tick = time.Millisecond
	for seed := range uint64(8) {
		t.Run("", func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed*7919))
			w, f := manual(t, Config{Tick: tick, Slots: 64, MaxBatch: 1 + rng.IntN(16)})
			ref := &reference{tick: tick, idle: map[Timer]refEntry{}}
			delay := func() time.Duration {
				switch rng.IntN(5) {
				case 0:
					return time.Duration(rng.Int64N(int64(100*tick))) - 50*tick // near, maybe past
				case 1:
					return time.Duration(rng.Int64N(int64(64 * tick)))
				case 2:
					return time.Duration(rng.Int64N(int64(5000 * tick)))
				case 3:
					return time.Duration(rng.Int64N(int64(300000 * tick)))
				default:
					return time.Duration(rng.Int64N(int64(1 << 40)))
				}
			}
			data, firedTotal := uint32(0), 0
			for step := range 4000 {
				live := ref.live()
				switch op := rng.IntN(10); {
				case op < 4 || len(live) == 0:
					at := ref.now + delay()
					data++
					tm, err := w.Add(at, data)
					require.NoError(t, err)
					ref.arm(refEntry{timer: tm, at: at, data: data})
				case op < 6:
					tm := live[rng.IntN(len(live))]
					at := ref.now + delay()
					require.NoError(t, w.Reset(tm, at))
					e, _ := ref.take(tm)
					e.at = at
					ref.arm(e)
				case op < 7:
					tm := live[rng.IntN(len(live))]
					_, pending := ref.take(tm)
					require.Equal(t, pending, w.Cancel(tm), "step %d", step)
				default:
					var to time.Duration
					switch rng.IntN(3) {
					case 0:
						to = ref.now + time.Duration(rng.Int64N(int64(4*tick)))
					case 1:
						to = ref.now + time.Duration(rng.Int64N(int64(100000*tick)))
					default: // exactly to the next due tick, or one nanosecond before
						if len(ref.pending) == 0 {
							continue
						}
						to = time.Duration(ref.pending[0].tick)*tick - time.Duration(rng.IntN(2))
					}
					f.got = f.got[:0]
					require.NoError(t, w.Advance(to))
					firedTotal += len(f.got)
					want := ref.advance(to)
					require.Len(t, f.got, len(want), "step %d: advance to %v", step, to)
					byTimer := map[Timer]refEntry{}
					for _, e := range want {
						byTimer[e.timer] = e
					}
					lastTick := int64(0)
					for _, got := range f.got {
						e, ok := byTimer[got.Timer]
						require.True(t, ok, "step %d: fired %+v not due (or twice)", step, got)
						delete(byTimer, got.Timer)
						require.Equal(t, Expired{Timer: e.timer, Data: e.data, Due: e.at}, got)
						require.GreaterOrEqual(t, e.tick, lastTick, "step %d: tick order", step)
						lastTick = e.tick
						require.LessOrEqual(t, e.at, w.Now(), "never early")
					}
				}
				require.NoError(t, w.l.check(), "step %d", step)
				require.Equal(t, len(ref.pending), w.Pending())
			}
			require.Greater(t, firedTotal, 300, "the walk must fire entries")
		})
	}
}
