package schedulertest

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// Config describes the Scheduler under test.
type Config struct {
	// New builds a running Scheduler on the real clock that hands its
	// expiries to h.
	New func(h wheel.Handler) (wheel.Scheduler, error)
	// Tick is the Scheduler's resolution; the tests' delays are a few
	// ticks, so keep it small (a millisecond or two).
	Tick time.Duration
	// Early is how long before its due time an entry may fire: 0 for a
	// Scheduler that never fires early.
	Early time.Duration
}

// Run runs the contract's tests on the Scheduler cfg describes, each as a
// subtest. The caller's TestMain should check for leaked goroutines.
func Run(t *testing.T, cfg Config) {
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"FiresEachOnce", cfg.testFiresEachOnce},
		{"Cancel", cfg.testCancel},
		{"RearmPendingAndIdle", cfg.testRearmPendingAndIdle},
		{"Rearm", cfg.testRearm},
		{"CancelRacesExpiry", cfg.testCancelRacesExpiry},
		{"Stop", cfg.testStop},
		{"ConcurrentUse", cfg.testConcurrentUse},
		{"TimerIndicesAreDense", cfg.testTimerIndicesAreDense},
	} {
		t.Run(tc.name, tc.test)
	}
}

// start returns a running Scheduler, stopped at cleanup.
func (c Config) start(t *testing.T, h wheel.Handler) wheel.Scheduler {
	t.Helper()
	s, err := c.New(h)
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	return s
}

// collector is a Handler that records every expiry.
type collector struct {
	mu    sync.Mutex
	fired map[wheel.Timer][]wheel.Expired
	at    map[wheel.Timer]time.Duration
	now   func() time.Duration
	count atomic.Int64
}

func newCollector() *collector {
	return &collector{fired: map[wheel.Timer][]wheel.Expired{}, at: map[wheel.Timer]time.Duration{}}
}

func (c *collector) handle(batch []wheel.Expired) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range batch {
		c.fired[e.Timer] = append(c.fired[e.Timer], e)
		if c.now != nil {
			c.at[e.Timer] = c.now()
		}
		c.count.Add(1)
	}
}

// testFiresEachOnce arms entries over a spread of delays: each fires once,
// with its data and due time, no earlier than c.Early before it is due.
func (c Config) testFiresEachOnce(t *testing.T) {
	col := newCollector()
	s := c.start(t, col.handle)
	col.now = s.Now
	const n = 300
	want := map[wheel.Timer]wheel.Expired{}
	base := s.Now()
	for i := range n {
		due := base + time.Duration(i%60)*c.Tick
		tm, err := s.Add(due, uint32(i))
		require.NoError(t, err)
		want[tm] = wheel.Expired{Timer: tm, Data: uint32(i), Due: due}
	}
	require.Eventually(t, func() bool { return col.count.Load() >= n }, 10*time.Second, c.Tick)
	time.Sleep(20 * c.Tick) // nothing fires twice
	col.mu.Lock()
	defer col.mu.Unlock()
	require.Len(t, col.fired, n)
	for tm, w := range want {
		require.Len(t, col.fired[tm], 1, "timer %x", tm)
		assert.Equal(t, w, col.fired[tm][0])
		assert.GreaterOrEqual(t, col.at[tm], w.Due-c.Early, "at most Early early")
	}
}

func (c Config) testCancel(t *testing.T) {
	col := newCollector()
	s := c.start(t, col.handle)
	tm, err := s.Add(s.Now()+20*c.Tick, 1)
	require.NoError(t, err)
	assert.True(t, s.Cancel(tm), "pending")
	assert.False(t, s.Cancel(tm), "stale")
	assert.False(t, rearm(s, tm, s.Now(), 1), "stale")
	// A later Add reuses the slot under a new generation.
	tm2, err := s.Add(s.Now()+time.Hour, 2)
	require.NoError(t, err)
	assert.NotEqual(t, tm, tm2)
	assert.Equal(t, tm.Index(), tm2.Index())
	assert.False(t, s.Cancel(tm), "the old handle never names the new entry")
	time.Sleep(40 * c.Tick)
	assert.Zero(t, col.count.Load())
	assert.False(t, rearm(s, 0, 0, 0), "the zero Timer")
	assert.False(t, rearm(s, wheel.Timer(1<<32|999), 0, 0), "never issued")
}

// testRearmPendingAndIdle moves a pending entry earlier, then re-arms it
// from the Handler as a periodic beat does.
func (c Config) testRearmPendingAndIdle(t *testing.T) {
	const beats = 5
	var s wheel.Scheduler
	var mu sync.Mutex
	var dues []time.Duration
	done := make(chan struct{})
	s = c.start(t, func(batch []wheel.Expired) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range batch {
			dues = append(dues, e.Due)
			if len(dues) == beats {
				close(done)
				continue
			}
			assert.True(t, rearm(s, e.Timer, e.Due+5*c.Tick, e.Data))
		}
	})
	tm, err := s.Add(time.Hour, 7)
	require.NoError(t, err)
	first := s.Now() + 5*c.Tick
	require.True(t, rearm(s, tm, first, 7))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("periodic beats did not arrive")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, d := range dues {
		assert.Equal(t, first+time.Duration(i)*5*c.Tick, d)
	}
	assert.False(t, s.Cancel(tm), "idle after its last beat")
}

// testCancelRacesExpiry cancels entries, in random order, while they
// expire over ten ticks: for each, exactly one of "fired" and "Cancel
// returned true".
func (c Config) testCancelRacesExpiry(t *testing.T) {
	for round := range 5 {
		col := newCollector()
		s := c.start(t, col.handle)
		const n = 2000
		timers := make([]wheel.Timer, n)
		base := s.Now() + 2*c.Tick
		for i := range timers {
			var err error
			timers[i], err = s.Add(base+time.Duration(i)*10*c.Tick/n, uint32(i))
			require.NoError(t, err)
		}
		for s.Now() < base+5*c.Tick {
			time.Sleep(c.Tick / 10)
		}
		cancelled := make([]bool, n)
		for _, i := range rand.Perm(n) {
			cancelled[i] = s.Cancel(timers[i])
		}
		s.Stop() // every task has run: nothing more can fire
		col.mu.Lock()
		nCancelled := 0
		for i, tm := range timers {
			fired := len(col.fired[tm])
			assert.LessOrEqual(t, fired, 1, "round %d entry %d", round, i)
			assert.True(t, cancelled[i] != (fired == 1), "round %d entry %d: cancelled %v fired %d", round, i, cancelled[i], fired)
			if cancelled[i] {
				nCancelled++
			}
		}
		col.mu.Unlock()
		t.Logf("round %d: %d of %d cancelled in time", round, nCancelled, n)
	}
}

// testStop: pending entries never fire, Stop waits for a Handler call in
// progress, and the scheduler refuses work afterwards.
func (c Config) testStop(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int64
	s, err := c.New(func(batch []wheel.Expired) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	require.NoError(t, err)
	_, err = s.Add(s.Now()+c.Tick, 0)
	require.NoError(t, err)
	pending := make([]wheel.Timer, 1000)
	for i := range pending {
		pending[i], err = s.Add(s.Now()+time.Hour+time.Duration(i)*time.Second, uint32(i))
		require.NoError(t, err)
	}
	<-entered
	stopped := make(chan struct{})
	go func() {
		s.Stop()
		close(stopped)
	}()
	select {
	case <-stopped:
		t.Fatal("Stop returned while the Handler was running")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	<-stopped
	s.Stop() // idempotent
	assert.Equal(t, int64(1), calls.Load())
	_, err = s.Add(0, 0)
	assert.ErrorIs(t, err, wheel.ErrStopped)
	assert.False(t, rearm(s, pending[0], 0, 0), "stopped")
	assert.False(t, s.Cancel(pending[1]))
}

// testConcurrentUse adds, re-arms and cancels from many goroutines while
// entries fire and re-arm themselves; run it with -race.
func (c Config) testConcurrentUse(t *testing.T) {
	var s wheel.Scheduler
	var fired atomic.Int64
	s = c.start(t, func(batch []wheel.Expired) {
		for _, e := range batch {
			fired.Add(1)
			if e.Data%2 == 0 {
				rearm(s, e.Timer, s.Now()+2*c.Tick, e.Data)
			}
		}
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tm, err := s.Add(s.Now()+time.Duration(i%5)*c.Tick, uint32(g*1000+i))
				if !assert.NoError(t, err) {
					return
				}
				switch i % 3 {
				case 0:
					s.Cancel(tm)
				case 1:
					assert.True(t, rearm(s, tm, s.Now()+c.Tick, uint32(g*1000+i)))
				}
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return fired.Load() > 1000 }, 10*time.Second, c.Tick)
}

// testTimerIndicesAreDense: wheel.Timer's index contract: indices from 1,
// within a seventh above the most entries held at once however entries
// come and go (a *Wheel's reserved and free entries are within an eighth
// of its slab), and an index reused only under a new generation.
func (c Config) testTimerIndicesAreDense(t *testing.T) {
	const held = 50
	s := c.start(t, func([]wheel.Expired) {})
	rng := rand.New(rand.NewPCG(5, 6))
	gens := map[uint32]uint32{}
	var timers []wheel.Timer
	add := func() {
		// Spread over many ticks and levels, so that entries have few
		// neighbours due with them.
		tm, err := s.Add(s.Now()+time.Hour+time.Duration(rng.IntN(1000))*c.Tick, 0)
		require.NoError(t, err)
		require.Positive(t, tm.Index())
		require.LessOrEqual(t, tm.Index(), uint32(held+held/7+1), "index above a seventh over %d held", held)
		if g, ok := gens[tm.Index()]; ok {
			require.NotEqual(t, g, tm.Generation(), "index %d reused under its old generation", tm.Index())
		}
		gens[tm.Index()] = tm.Generation()
		timers = append(timers, tm)
	}
	for range held {
		add()
	}
	for range 20 * held {
		k := rng.IntN(len(timers))
		require.True(t, s.Cancel(timers[k]))
		timers[k] = timers[len(timers)-1]
		timers = timers[:len(timers)-1]
		add()
	}
}

// testRearm: Rearm re-arms live entries, pending or idle, for their own
// times with their new data; a cancelled entry's Timer is zeroed and the
// rest are unaffected; after Stop every Timer is zeroed.
func (c Config) testRearm(t *testing.T) {
	col := newCollector()
	s := c.start(t, col.handle)
	idle, err := s.Add(s.Now()+c.Tick, 1)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return col.count.Load() == 1 }, 5*time.Second, c.Tick)
	pending, err := s.Add(s.Now()+time.Hour, 2)
	require.NoError(t, err)
	gone, err := s.Add(s.Now()+time.Hour, 3)
	require.NoError(t, err)
	require.True(t, s.Cancel(gone))

	now := s.Now()
	arms := []wheel.Expired{
		{Timer: idle, Data: 11, Due: now + 2*c.Tick},
		{Timer: gone, Data: 13, Due: now + 2*c.Tick},
		{Timer: pending, Data: 12, Due: now + 4*c.Tick},
	}
	want := slices.Clone(arms)
	s.Rearm(arms)
	assert.Equal(t, []wheel.Timer{idle, 0, pending}, []wheel.Timer{arms[0].Timer, arms[1].Timer, arms[2].Timer})
	require.Eventually(t, func() bool { return col.count.Load() == 3 }, 5*time.Second, c.Tick)
	col.mu.Lock()
	assert.Len(t, col.fired[idle], 2)
	assert.Equal(t, want[0], col.fired[idle][1])
	assert.Equal(t, []wheel.Expired{want[2]}, col.fired[pending], "moved, with its new data")
	assert.Empty(t, col.fired[gone])
	col.mu.Unlock()

	s.Stop()
	arms = slices.Clone(want)
	s.Rearm(arms)
	for k := range arms {
		assert.Zero(t, arms[k].Timer, k)
	}
}

// rearm re-arms t for at with data through s.Rearm and reports whether
// it could.
func rearm(s wheel.Scheduler, t wheel.Timer, at time.Duration, data uint32) bool {
	arms := []wheel.Expired{{Timer: t, Data: data, Due: at}}
	s.Rearm(arms)
	return arms[0].Timer != 0
}
