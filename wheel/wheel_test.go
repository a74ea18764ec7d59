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

// fired collects every Expired handed to a Handler, with the wheel time at
// which it was handed out.
type fired struct {
	w     *Wheel
	got   []Expired
	at    []time.Duration
	sizes []int
}

func (f *fired) handle(b []Expired) {
	f.sizes = append(f.sizes, len(b))
	now := f.w.Now()
	for _, e := range b {
		f.got = append(f.got, e)
		f.at = append(f.at, now)
	}
}

// manual returns a Manual wheel and the recorder behind its Handler.
func manual(t *testing.T, cfg Config) (*Wheel, *fired) {
	t.Helper()
	cfg.Manual = true
	f := &fired{}
	w, err := New(cfg, f.handle)
	require.NoError(t, err)
	f.w = w
	t.Cleanup(w.Stop)
	return w, f
}

func TestConfigValidation(t *testing.T) {
	nop := func([]Expired) {}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero value", Config{}, true},
		{"smallest shape", Config{Tick: MinTick, Slots: MinSlots, MaxBatch: 1}, true},
		{"largest slots", Config{Slots: MaxSlots}, true},
		{"tick too fine", Config{Tick: MinTick - 1}, false},
		{"negative tick", Config{Tick: -time.Millisecond}, false},
		{"slots not a power of two", Config{Slots: 1000}, false},
		{"slots too few", Config{Slots: 32}, false},
		{"slots too many", Config{Slots: MaxSlots * 2}, false},
		{"negative slots", Config{Slots: -64}, false},
		{"negative batch", Config{MaxBatch: -1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Manual = true
			w, err := New(tc.cfg, nop)
			if tc.ok {
				require.NoError(t, err)
				w.Stop()
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			assert.Nil(t, w)
		})
	}
	_, err := New(Config{}, nil)
	require.ErrorIs(t, err, ErrInvalidConfig)
}

func TestEntryIs24Bytes(t *testing.T) {
	assert.Equal(t, uintptr(24), unsafe.Sizeof(entry{}))
}

// TestDelaysAcrossLevels arms single entries from one tick to far beyond
// the top of level 0 and of several upper levels, from several starting
// clocks, and checks each fires exactly once, never early and on its tick.
func TestDelaysAcrossLevels(t *testing.T) {
	const tick = time.Millisecond
	const slots = 64 // level 0: 64 ticks; level 1: 4096; level 2: 262144
	delays := []time.Duration{
		1, tick - 1, tick, tick + 1, 2 * tick,
		63 * tick, 64 * tick, 65 * tick, 127 * tick, 128 * tick,
		4095 * tick, 4096 * tick, 4097 * tick, 4096*tick + 1,
		262143 * tick, 262144 * tick, 262145 * tick,
		16777216*tick + 7, 365 * 24 * time.Hour,
	}
	starts := []time.Duration{0, 1, 63 * tick, 64 * tick, 4095*tick + 5, 262143 * tick}
	for _, start := range starts {
		for _, d := range delays {
			w, f := manual(t, Config{Tick: tick, Slots: slots})
			require.NoError(t, w.Advance(start))
			due := start + d
			tm, err := w.Add(due, 7)
			require.NoError(t, err)
			dueTick := (due + tick - 1) / tick * tick
			if dueTick > start {
				require.NoError(t, w.Advance(dueTick-1))
				require.Empty(t, f.got, "start %v delay %v fired early", start, d)
			}
			require.NoError(t, w.Advance(max(dueTick, start+tick)))
			require.Len(t, f.got, 1, "start %v delay %v", start, d)
			assert.Equal(t, Expired{Timer: tm, Data: 7, Due: due}, f.got[0])
			require.NoError(t, w.Advance(due+1000*time.Hour))
			assert.Len(t, f.got, 1, "fired twice")
			assert.Zero(t, w.Pending())
			w.Stop()
		}
	}
}

func TestPastDueFiresOnNextTick(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond})
	require.NoError(t, w.Advance(10*time.Millisecond))
	_, err := w.Add(3*time.Millisecond, 1)
	require.NoError(t, err)
	_, err = w.Add(-time.Hour, 2)
	require.NoError(t, err)
	require.NoError(t, w.Advance(10*time.Millisecond+time.Millisecond-1))
	assert.Empty(t, f.got)
	require.NoError(t, w.Advance(11*time.Millisecond))
	assert.Len(t, f.got, 2)
}

func TestCancel(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond})
	a, err := w.Add(5*time.Millisecond, 1)
	require.NoError(t, err)
	b, err := w.Add(5*time.Millisecond, 2)
	require.NoError(t, err)

	assert.True(t, w.Cancel(a), "pending entry")
	assert.False(t, w.Cancel(a), "already cancelled")
	require.NoError(t, w.Advance(time.Second))
	require.Len(t, f.got, 1)
	assert.Equal(t, uint32(2), f.got[0].Data)
	assert.False(t, w.Cancel(b), "already fired")
	assert.False(t, w.Cancel(0), "zero Timer")
	assert.False(t, w.Cancel(Timer(1<<40|999999)), "never issued")
	assert.ErrorIs(t, w.Reset(a, 2*time.Second), ErrStale)

	// The slot freed last is reused under a new generation: old handles
	// stay stale.
	c, err := w.Add(3*time.Second, 3)
	require.NoError(t, err)
	assert.Equal(t, uint32(b), uint32(c), "slot reused")
	assert.NotEqual(t, b, c)
	assert.False(t, w.Cancel(a))
	assert.ErrorIs(t, w.Reset(b, 4*time.Second), ErrStale)
	assert.Equal(t, 1, w.Pending())
}

func TestResetMovesPendingAndRearmsIdle(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond, Slots: 64})
	tm, err := w.Add(10*time.Millisecond, 1)
	require.NoError(t, err)
	require.NoError(t, w.Reset(tm, time.Second)) // moves to level 1
	require.NoError(t, w.Advance(999*time.Millisecond))
	assert.Empty(t, f.got)
	require.NoError(t, w.Reset(tm, 20*time.Millisecond)) // moves back, past due
	require.NoError(t, w.Advance(1000*time.Millisecond))
	require.Len(t, f.got, 1, "moved, not duplicated")
	assert.Equal(t, 20*time.Millisecond, f.got[0].Due)

	require.NoError(t, w.Reset(tm, 2*time.Second)) // idle: re-arm
	require.NoError(t, w.Advance(3*time.Second))
	require.Len(t, f.got, 2)
	assert.Equal(t, Expired{Timer: tm, Data: 1, Due: 2 * time.Second}, f.got[1])
}

func TestBatchesRespectMaxBatch(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond, MaxBatch: 3})
	for i := range 10 {
		_, err := w.Add(time.Duration(i%2+1)*time.Millisecond, uint32(i))
		require.NoError(t, err)
	}
	require.NoError(t, w.Advance(time.Second))
	assert.Equal(t, []int{3, 2, 3, 2}, f.sizes, "one tick per batch")
	var ticks []time.Duration
	for _, e := range f.got {
		ticks = append(ticks, e.Due)
	}
	assert.IsNonDecreasing(t, ticks, "tick order")
	// A tick fires in slab order, which with no Cancel or Reset is arm
	// order here. The Handler is promised no order within a tick.
	assert.Equal(t, []uint32{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}, dataOf(f.got))
}

func dataOf(es []Expired) []uint32 {
	out := make([]uint32, len(es))
	for i, e := range es {
		out[i] = e.Data
	}
	return out
}

// TestPeriodicRearmNoDrift re-arms from the Handler the way the reactor
// does, next due = due + period, across cascades, and counts exact beats.
func TestPeriodicRearmNoDrift(t *testing.T) {
	const period = 5 * time.Second
	tests := []struct {
		name  string
		cfg   Config
		steps time.Duration
	}{
		{"default shape, no cascade", Config{}, 7 * time.Millisecond},
		{"small level 0, cascades", Config{Tick: time.Millisecond, Slots: 64}, 333 * time.Millisecond},
		{"one catch-up of 20 periods", Config{}, 100 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Manual = true
			var w *Wheel
			beats := make([]int, 100)
			w, err := New(tc.cfg, func(b []Expired) {
				for _, e := range b {
					beats[e.Data]++
					require.NoError(t, w.Reset(e.Timer, e.Due+period))
				}
			})
			require.NoError(t, err)
			defer w.Stop()
			for i := range beats {
				_, err := w.Add(period*time.Duration(i)/time.Duration(len(beats)), uint32(i))
				require.NoError(t, err)
			}
			end := 20*period - 1
			for now := time.Duration(0); now <= end; now += tc.steps {
				require.NoError(t, w.Advance(now))
			}
			require.NoError(t, w.Advance(end))
			for i, n := range beats {
				assert.Equal(t, 20, n, "instance %d", i)
			}
		})
	}
}

func TestZeroAllocsPerBeat(t *testing.T) {
	var w *Wheel
	w, err := New(Config{Manual: true}, func(b []Expired) {
		for _, e := range b {
			_ = w.Reset(e.Timer, e.Due+time.Second)
		}
	})
	require.NoError(t, err)
	defer w.Stop()
	for i := range 10000 {
		_, err := w.Add(time.Duration(i)*100*time.Microsecond, uint32(i))
		require.NoError(t, err)
	}
	now := time.Duration(0)
	step := func() {
		now += 100 * time.Millisecond
		_ = w.Advance(now)
	}
	for range 20 {
		step() // warm up: every slot list and the batch buffer exist
	}
	assert.Zero(t, testing.AllocsPerRun(50, step))
}

func TestStopped(t *testing.T) {
	w, f := manual(t, Config{})
	tm, err := w.Add(time.Millisecond, 1)
	require.NoError(t, err)
	w.Stop()
	w.Stop() // idempotent
	_, err = w.Add(time.Second, 2)
	assert.ErrorIs(t, err, ErrStopped)
	assert.ErrorIs(t, w.Reset(tm, time.Second), ErrStopped)
	assert.False(t, w.Cancel(tm))
	assert.ErrorIs(t, w.Advance(time.Hour), ErrStopped)
	assert.Empty(t, f.got, "pending entries never fire after Stop")
	assert.Zero(t, w.Pending())
}

func TestAdvanceNeedsManual(t *testing.T) {
	w, err := New(Config{}, func([]Expired) {})
	require.NoError(t, err)
	defer w.Stop()
	assert.ErrorIs(t, w.Advance(time.Second), ErrNotManual)
}

func TestTimeNeverGoesBack(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond})
	require.NoError(t, w.Advance(time.Second))
	require.NoError(t, w.Advance(time.Millisecond))
	assert.Equal(t, time.Second, w.Now())
	_, err := w.Add(time.Second+time.Millisecond, 1)
	require.NoError(t, err)
	require.NoError(t, w.Advance(time.Second+time.Millisecond))
	assert.Len(t, f.got, 1)
}

// TestTimerIndicesAreDense: indices run from 1 up; reserved entries are at
// most an eighth of the slab, so indices stay within a seventh above the
// entries held (entries all due on one tick, as here, stay within an eighth
// plus one); a cancelled entry's index, beside the entries due with it, is
// reused under a new generation before the slab grows; the two fields make
// the Timer.
func TestTimerIndicesAreDense(t *testing.T) {
	w, _ := manual(t, Config{})
	var timers []Timer
	seen := map[uint32]bool{}
	for i := range 100 {
		tm, err := w.Add(time.Hour, uint32(i))
		require.NoError(t, err)
		require.False(t, seen[tm.Index()], "index %d handed out twice", tm.Index())
		seen[tm.Index()] = true
		assert.Positive(t, tm.Index())
		assert.LessOrEqual(t, tm.Index(), uint32(i+1+(i+1)/8+1))
		assert.Equal(t, Timer(uint64(tm.Generation())<<32|uint64(tm.Index())), tm)
		timers = append(timers, tm)
	}
	require.True(t, w.Cancel(timers[41]))
	n := w.l.slab.n
	for w.l.slab.n == n {
		tm, err := w.Add(time.Hour, 0)
		require.NoError(t, err)
		if tm.Index() == timers[41].Index() {
			assert.NotEqual(t, timers[41].Generation(), tm.Generation())
			return
		}
	}
	t.Fatal("the slab grew before reusing the freed index")
}

// TestEntriesDueTogetherSitTogether: entries due on one tick get adjacent
// indices, even when Adds for many ticks interleave, so a tick fires from
// a few runs of memory rather than from scattered entries.
func TestEntriesDueTogetherSitTogether(t *testing.T) {
	const ticks, perTick = 200, 2000
	w, f := manual(t, Config{Tick: time.Millisecond, MaxBatch: perTick})
	for range perTick {
		for d := range ticks {
			_, err := w.Add(time.Duration(d+1)*time.Millisecond, 0)
			require.NoError(t, err)
		}
	}
	require.NoError(t, w.l.check())
	for d := range ticks {
		f.got = f.got[:0]
		require.NoError(t, w.Advance(time.Duration(d+1)*time.Millisecond))
		require.Len(t, f.got, perTick)
		idx := make([]int, len(f.got))
		for k, e := range f.got {
			idx[k] = int(e.Timer.Index())
		}
		slices.Sort(idx)
		runs := 1
		for k := 1; k < len(idx); k++ {
			if idx[k] != idx[k-1]+1 {
				runs++
			}
		}
		// Runs double up to 256 entries, so 2000 would fit in about a
		// dozen; with 200 ticks filling at once the cap on reserved
		// entries shortens them (here to 40-50). Scattered, they would be
		// 2000 runs of one.
		assert.LessOrEqual(t, runs, perTick/32, "tick %d fired from %d runs", d+1, runs)
	}
}

// TestRunsCostLittleMemory: however Adds spread over ticks, at most an
// eighth of the slab's entries are reserved and unused.
func TestRunsCostLittleMemory(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w, _ := manual(t, Config{Tick: time.Millisecond})
	const n = 100_000
	for i := range n {
		// Tick populations of every size, the worst for a run that
		// doubles: 2^k+1 entries leave a run almost all unused.
		d := rng.IntN(1 + i/64)
		_, err := w.Add(time.Duration(d+1)*time.Millisecond, 0)
		require.NoError(t, err)
	}
	require.NoError(t, w.l.check())
	slab := int(w.l.slab.n - 1)
	assert.LessOrEqual(t, slab-n, slab/8+1)
	t.Logf("%d entries for %d: %d unused", slab, n, slab-n)
}

// TestRearmReplacesData: later expiries carry the data Rearm gave; Reset
// keeps whatever data the entry has.
func TestRearmReplacesData(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond})
	tm, err := w.Add(time.Hour, 1) // pending: Rearm moves it
	require.NoError(t, err)
	arms := []Expired{{Timer: tm, Data: 7, Due: 2 * time.Millisecond}}
	w.Rearm(arms)
	require.Equal(t, tm, arms[0].Timer)
	require.NoError(t, w.Advance(2*time.Millisecond))
	require.NoError(t, w.Reset(tm, 4*time.Millisecond)) // idle: re-arm, data kept
	require.NoError(t, w.Advance(4*time.Millisecond))
	assert.Equal(t, []uint32{7, 7}, dataOf(f.got))
	other, err := w.Add(time.Hour, 0)
	require.NoError(t, err)
	require.True(t, w.Cancel(other))
	arms = []Expired{{Timer: other, Data: 1, Due: time.Second}, {Timer: tm, Data: 1, Due: time.Second}}
	w.Rearm(arms)
	assert.Equal(t, []Timer{0, tm}, []Timer{arms[0].Timer, arms[1].Timer}, "the stale one zeroed, the live one re-armed")
	w.Stop()
	arms[1].Timer = tm
	w.Rearm(arms[1:])
	assert.Zero(t, arms[1].Timer, "stopped")
}
