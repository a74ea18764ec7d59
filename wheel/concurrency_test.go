package wheel

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run the wheel on its own goroutine and real clock. They assert
// behaviour (never early, exactly once, no leak), never speed: lateness
// bounds are measured by bench/ and beatbench, not here.

func TestRealClockFiresOnceNeverEarly(t *testing.T) {
	const n = 2000
	var (
		w     *Wheel
		mu    sync.Mutex
		count = make([]int, n)
		early []Expired
	)
	w, err := New(Config{Tick: time.Millisecond}, func(b []Expired) {
		now := w.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, e := range b {
			count[e.Data]++
			if now < e.Due {
				early = append(early, e)
			}
		}
	})
	require.NoError(t, err)
	defer w.Stop()
	start := w.Now()
	for i := range n {
		_, err := w.Add(start+time.Duration(rand.Int64N(int64(200*time.Millisecond))), uint32(i))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return w.Pending() == 0 }, 10*time.Second, 5*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, early)
	for i, c := range count {
		require.Equal(t, 1, c, "entry %d", i)
	}
}

// TestEarlierAddWakesSleepingWheel: the wheel sleeps until its next due
// entry, an hour away; an entry added for now must not wait for it.
func TestEarlierAddWakesSleepingWheel(t *testing.T) {
	got := make(chan uint32, 2)
	w, err := New(Config{}, func(b []Expired) {
		for _, e := range b {
			got <- e.Data
		}
	})
	require.NoError(t, err)
	defer w.Stop()
	_, err = w.Add(w.Now()+time.Hour, 1)
	require.NoError(t, err)
	time.Sleep(20 * time.Millisecond) // let it go to sleep
	_, err = w.Add(w.Now(), 2)
	require.NoError(t, err)
	select {
	case d := <-got:
		assert.Equal(t, uint32(2), d)
	case <-time.After(5 * time.Second):
		t.Fatal("the wheel slept through an earlier entry")
	}
}

// TestCancelRacingExpiry cancels entries from two goroutines while a third
// fires them tick by tick: every entry is fired or cancelled, never both,
// never neither. The goroutines wait for each other once, so that every
// round mixes the two outcomes however the machine schedules them: the
// cancellers start once some entries fired, and the clock moves past the
// first eighth of the ticks only once some entries were cancelled.
func TestCancelRacingExpiry(t *testing.T) {
	const n, ticks = 20000, 20000 / 4
	for round := range 3 {
		var firedN [n]atomic.Int32
		w, err := New(Config{Manual: true, Tick: time.Millisecond, MaxBatch: 16}, func(b []Expired) {
			for _, e := range b {
				firedN[e.Data].Add(1)
			}
		})
		require.NoError(t, err)
		timers := make([]Timer, n)
		for i := range timers {
			timers[i], err = w.Add(time.Duration(i/4)*time.Millisecond, uint32(i))
			require.NoError(t, err)
		}
		var cancelled [n]atomic.Bool
		var nCancelledSoFar atomic.Int64
		var wg sync.WaitGroup
		fired := make(chan struct{})      // closed once some entries fired
		cancelling := make(chan struct{}) // closed once some were cancelled
		var cancellingOnce sync.Once
		wg.Add(3)
		go func() {
			defer wg.Done()
			for tick := range ticks {
				assert.NoError(t, w.Advance(time.Duration(tick)*time.Millisecond))
				switch tick {
				case 0:
					close(fired) // tick 0's four entries fired
				case ticks / 8:
					<-cancelling
				}
			}
		}()
		for g := range 2 {
			go func() {
				defer wg.Done()
				order := rand.New(rand.NewPCG(uint64(g), uint64(round))).Perm(n)
				<-fired
				for _, i := range order {
					if w.Cancel(timers[i]) {
						assert.False(t, cancelled[i].Swap(true), "cancelled twice")
						nCancelledSoFar.Add(1)
						cancellingOnce.Do(func() { close(cancelling) })
					}
				}
				// Entries past tick ticks/8 were pending until a cancel
				// closed cancelling, so some Cancel succeeded.
			}()
		}
		wg.Wait()
		require.NoError(t, w.Advance(time.Hour))
		nFired, nCancelled := 0, 0
		for i := range n {
			f, c := firedN[i].Load(), cancelled[i].Load()
			require.True(t, (f == 1) != c, "entry %d: fired %d times, cancelled %v", i, f, c)
			if c {
				nCancelled++
			} else {
				nFired++
			}
		}
		t.Logf("round %d: fired %d, cancelled %d", round, nFired, nCancelled)
		require.GreaterOrEqual(t, nFired, 4, "tick 0's entries fired before any Cancel")
		require.Positive(t, nCancelled, "entries past tick %d were cancelled", ticks/8)
		require.Equal(t, int64(nCancelled), nCancelledSoFar.Load())
		w.Stop()
	}
}

// TestConcurrentUse hammers Add, Reset and Cancel from several goroutines
// while the Handler re-arms what fires, then checks the wheel's lists.
func TestConcurrentUse(t *testing.T) {
	var w *Wheel
	var fires atomic.Int64
	w, err := New(Config{Tick: MinTick, Slots: 64}, func(b []Expired) {
		for _, e := range b {
			fires.Add(1)
			if e.Data%2 == 0 {
				_ = w.Reset(e.Timer, e.Due+time.Duration(e.Data%7+1)*time.Millisecond)
			}
		}
	})
	require.NoError(t, err)
	var wg sync.WaitGroup
	live := make([][]Timer, 4)
	for g := range live {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			mine := live[g]
			for range 5000 {
				at := w.Now() + time.Duration(rng.Int64N(int64(50*time.Millisecond)))
				switch op := rng.IntN(4); {
				case op < 2 || len(mine) == 0:
					tm, err := w.Add(at, rng.Uint32())
					assert.NoError(t, err)
					mine = append(mine, tm)
				case op == 2:
					assert.NoError(t, w.Reset(mine[rng.IntN(len(mine))], at))
				default:
					k := rng.IntN(len(mine))
					w.Cancel(mine[k])
					mine[k] = mine[len(mine)-1]
					mine = mine[:len(mine)-1]
				}
			}
			live[g] = mine
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return fires.Load() > 1000 }, 10*time.Second, time.Millisecond)
	w.mu.Lock()
	require.NoError(t, w.l.check())
	w.mu.Unlock()
	for _, mine := range live {
		for _, tm := range mine {
			w.Cancel(tm)
		}
	}
	assert.Zero(t, w.Pending(), "every live timer was cancelled")
	w.Stop()
}
