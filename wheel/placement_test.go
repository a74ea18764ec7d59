package wheel

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// beats is a population of periodic entries on a Manual wheel, re-armed
// one period after each was due, as the reactor re-arms beats, with every
// firing's entry index recorded by tick.
type beats struct {
	w      *Wheel
	period time.Duration
	fired  map[time.Duration][]uint32 // due time -> indices fired for it
	live   []Timer
	rng    *rand.Rand
}

func newBeats(t *testing.T, period time.Duration) *beats {
	t.Helper()
	b := &beats{period: period, fired: map[time.Duration][]uint32{}, rng: rand.New(rand.NewPCG(3, 4))}
	w, err := New(Config{Tick: time.Millisecond, Manual: true, MaxBatch: 4096}, func(batch []Expired) {
		for _, e := range batch {
			b.fired[e.Due] = append(b.fired[e.Due], e.Timer.Index())
			_ = b.w.Reset(e.Timer, e.Due+b.period) // cannot fail: nothing cancels meanwhile
		}
	})
	require.NoError(t, err)
	b.w = w
	t.Cleanup(w.Stop)
	return b
}

// add adds one entry whose first beat is at a random point of the next
// period, as the reactor's jitter places a new instance.
func (b *beats) add(t *testing.T) Timer {
	tm, err := b.w.Add(b.w.Now()+time.Duration(1+b.rng.IntN(int(b.period/time.Millisecond)))*time.Millisecond, 0)
	require.NoError(t, err)
	return tm
}

// replace cancels k entries picked at random and adds as many new ones.
func (b *beats) replace(t *testing.T, k int) {
	for range k {
		at := b.rng.IntN(len(b.live))
		require.True(t, b.w.Cancel(b.live[at]), "a live entry is pending between Advances")
		b.live[at] = b.add(t)
	}
}

// spread runs the wheel through one period, checks that each tick's
// entries fire in slab order (memory order), and returns the mean number
// of cache lines (64 bytes) and of 8 KiB regions of memory that the
// entries due on one tick lie in.
func (b *beats) spread(t *testing.T) (lines, regions float64) {
	clear(b.fired)
	start := b.w.Now()
	for d := time.Millisecond; d <= b.period; d += time.Millisecond {
		require.NoError(t, b.w.Advance(start+d))
	}
	require.NoError(t, b.w.l.check())
	nl, nr := 0, 0
	for due, idx := range b.fired {
		require.True(t, slices.IsSorted(idx), "the entries due at %v fire in slab order", due)
		l, r := map[uintptr]bool{}, map[uintptr]bool{}
		for _, i := range idx {
			at := uintptr(i) * unsafe.Sizeof(entry{})
			l[at/64], r[at/8192] = true, true
		}
		nl += len(l)
		nr += len(r)
	}
	ticks := len(b.fired)
	require.Equal(t, int(b.period/time.Millisecond), ticks, "every tick has entries")
	return float64(nl) / float64(ticks), float64(nr) / float64(ticks)
}

// TestChurnKeepsEntriesDueTogetherTogether: a population whose entries
// are replaced by new ones, at random, for as long as it takes to replace
// each several times over, fires each tick from no more regions of memory
// than the fresh population did. A new entry takes a free entry beside the
// entries it will fire with; were it to reuse free entries wherever they
// lie, a tick's 400 entries would lie in nearly 400 regions (the slab has
// about 180).
func TestChurnKeepsEntriesDueTogetherTogether(t *testing.T) {
	const period, perTick = 100 * time.Millisecond, 400
	n := int(period/time.Millisecond) * perTick
	tests := []struct {
		name string
		// perTick entries are replaced per tick, for periods periods.
		perTick, periods int
	}{
		{"every entry replaced once", n / 100, 1},
		{"every entry replaced twice", n / 100, 2},
		{"a tenth per period", n / 1000, 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBeats(t, period)
			for range n {
				b.live = append(b.live, b.add(t))
			}
			lines, regions := b.spread(t)
			start := b.w.Now()
			for d := time.Millisecond; d <= time.Duration(tc.periods)*period; d += time.Millisecond {
				b.replace(t, tc.perTick)
				require.NoError(t, b.w.Advance(start+d))
			}
			churnedLines, churnedRegions := b.spread(t)
			t.Logf("per tick: fresh %.1f lines in %.1f regions, after churn %.1f lines in %.1f regions", lines, regions, churnedLines, churnedRegions)
			assert.LessOrEqual(t, regions, float64(perTick)/8, "fresh entries sit together")
			assert.LessOrEqual(t, churnedLines, 1.15*lines, "churned entries share cache lines as fresh ones do")
			assert.LessOrEqual(t, churnedRegions, 1.5*regions, "churned entries sit as together as fresh ones")
		})
	}
}

// TestChurnCostsLittleMemory: however entries come and go, the slab holds
// at most an eighth above the most entries in use at once (the bound
// Timer.Index promises), and its free entries and reserved runs are the
// difference.
func TestChurnCostsLittleMemory(t *testing.T) {
	tests := []struct {
		name string
		// live is the population wanted at step k of 200.
		live func(k int) int
	}{
		{"steady", func(int) int { return 20_000 }},
		{"growing", func(k int) int { return 100 * (k + 1) }},
		{"shrinking and growing", func(k int) int { return 20_000 - 19_000*(k%50)/50 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBeats(t, 100*time.Millisecond)
			most := 0
			for k := range 200 {
				want := tc.live(k)
				for len(b.live) > want {
					at := b.rng.IntN(len(b.live))
					require.True(t, b.w.Cancel(b.live[at]))
					b.live[at] = b.live[len(b.live)-1]
					b.live = b.live[:len(b.live)-1]
				}
				for len(b.live) < want {
					b.live = append(b.live, b.add(t))
				}
				b.replace(t, len(b.live)/10)
				most = max(most, len(b.live))
				require.NoError(t, b.w.Advance(b.w.Now()+7*time.Millisecond))
				s := &b.w.l.slab
				require.NoError(t, b.w.l.check())
				require.LessOrEqual(t, int(s.n)-1, most+(most+1)/7+2, "step %d: slab of %d for at most %d entries", k, s.n-1, most)
				require.Equal(t, int(s.n)-1, len(b.live)+int(s.free+s.reserved), "step %d: every entry is live, free or reserved", k)
			}
		})
	}
}
