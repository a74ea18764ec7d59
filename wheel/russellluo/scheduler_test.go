package russellluo

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/beatwheel/beatwheel/wheel"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// tick is the adapter's tick in these tests: the finest timingwheel has.
const tick = time.Millisecond

// start returns a running Scheduler with a 1 ms tick, stopped at cleanup.
func start(t *testing.T, h wheel.Handler) *Scheduler {
	t.Helper()
	s, err := New(Config{Tick: tick, WheelSize: 64}, h)
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

func TestConfig(t *testing.T) {
	nop := func([]wheel.Expired) {}
	tests := []struct {
		name    string
		cfg     Config
		h       wheel.Handler
		wantErr bool
	}{
		{name: "zero config", cfg: Config{}, h: nop},
		{name: "shaped", cfg: Config{Tick: 5 * time.Millisecond, WheelSize: 20}, h: nop},
		{name: "tick below a millisecond", cfg: Config{Tick: 500 * time.Microsecond}, h: nop, wantErr: true},
		{name: "fractional milliseconds", cfg: Config{Tick: 1500 * time.Microsecond}, h: nop, wantErr: true},
		{name: "negative tick", cfg: Config{Tick: -time.Millisecond}, h: nop, wantErr: true},
		{name: "one slot", cfg: Config{WheelSize: 1}, h: nop, wantErr: true},
		{name: "negative slots", cfg: Config{WheelSize: -8}, h: nop, wantErr: true},
		{name: "nil handler", cfg: Config{}, h: nil, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(tc.cfg, tc.h)
			if tc.wantErr {
				require.ErrorIs(t, err, wheel.ErrInvalidConfig)
				assert.Nil(t, s)
				return
			}
			require.NoError(t, err)
			s.Stop()
		})
	}
}

// TestFiresEachOnce arms entries over a spread of delays: each fires once,
// with its data and due time, no earlier than a tick before it is due.
func TestFiresEachOnce(t *testing.T) {
	c := newCollector()
	s := start(t, c.handle)
	c.now = s.Now
	const n = 300
	want := map[wheel.Timer]wheel.Expired{}
	base := s.Now()
	for i := range n {
		due := base + time.Duration(i%60)*tick
		tm, err := s.Add(due, uint64(i))
		require.NoError(t, err)
		want[tm] = wheel.Expired{Timer: tm, Data: uint64(i), Due: due}
	}
	require.Eventually(t, func() bool { return c.count.Load() >= n }, 10*time.Second, tick)
	time.Sleep(20 * tick) // nothing fires twice
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.fired, n)
	for tm, w := range want {
		require.Len(t, c.fired[tm], 1, "timer %x", tm)
		assert.Equal(t, w, c.fired[tm][0])
		assert.GreaterOrEqual(t, c.at[tm], w.Due-tick, "at most a tick early")
	}
}

func TestCancel(t *testing.T) {
	c := newCollector()
	s := start(t, c.handle)
	tm, err := s.Add(s.Now()+20*tick, 1)
	require.NoError(t, err)
	assert.True(t, s.Cancel(tm), "pending")
	assert.False(t, s.Cancel(tm), "stale")
	assert.ErrorIs(t, s.Reset(tm, s.Now()), wheel.ErrStale)
	// A later Add reuses the slot under a new generation.
	tm2, err := s.Add(s.Now()+time.Hour, 2)
	require.NoError(t, err)
	assert.NotEqual(t, tm, tm2)
	assert.False(t, s.Cancel(tm), "the old handle never names the new entry")
	time.Sleep(40 * tick)
	assert.Zero(t, c.count.Load())
	assert.ErrorIs(t, s.Reset(0, 0), wheel.ErrStale, "the zero Timer")
	assert.ErrorIs(t, s.Reset(wheel.Timer(1<<32|999), 0), wheel.ErrStale, "never issued")
}

// TestResetPendingAndIdle moves a pending entry earlier, then re-arms it
// from the Handler as a periodic beat does.
func TestResetPendingAndIdle(t *testing.T) {
	const beats = 5
	var s *Scheduler
	var mu sync.Mutex
	var dues []time.Duration
	done := make(chan struct{})
	s = start(t, func(batch []wheel.Expired) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range batch {
			dues = append(dues, e.Due)
			if len(dues) == beats {
				close(done)
				continue
			}
			assert.NoError(t, s.Reset(e.Timer, e.Due+5*tick))
		}
	})
	tm, err := s.Add(time.Hour, 7)
	require.NoError(t, err)
	first := s.Now() + 5*tick
	require.NoError(t, s.Reset(tm, first))
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("periodic beats did not arrive")
	}
	mu.Lock()
	defer mu.Unlock()
	for i, d := range dues {
		assert.Equal(t, first+time.Duration(i)*5*tick, d)
	}
	assert.False(t, s.Cancel(tm), "idle after its last beat")
}

// TestCancelRacesExpiry cancels entries, in random order, while they
// expire over ten ticks: for each, exactly one of "fired" and "Cancel
// returned true".
func TestCancelRacesExpiry(t *testing.T) {
	for round := range 5 {
		c := newCollector()
		s := start(t, c.handle)
		const n = 2000
		timers := make([]wheel.Timer, n)
		base := s.Now() + 2*tick
		for i := range timers {
			var err error
			timers[i], err = s.Add(base+time.Duration(i)*10*tick/n, uint64(i))
			require.NoError(t, err)
		}
		for s.Now() < base+5*tick {
			time.Sleep(tick / 10)
		}
		cancelled := make([]bool, n)
		for _, i := range rand.Perm(n) {
			cancelled[i] = s.Cancel(timers[i])
		}
		s.Stop() // every task has run: nothing more can fire
		c.mu.Lock()
		nCancelled := 0
		for i, tm := range timers {
			fired := len(c.fired[tm])
			assert.LessOrEqual(t, fired, 1, "round %d entry %d", round, i)
			assert.True(t, cancelled[i] != (fired == 1), "round %d entry %d: cancelled %v fired %d", round, i, cancelled[i], fired)
			if cancelled[i] {
				nCancelled++
			}
		}
		c.mu.Unlock()
		t.Logf("round %d: %d of %d cancelled in time", round, nCancelled, n)
	}
}

// TestStop: pending entries never fire, Stop waits for a Handler call in
// progress, and the scheduler refuses work afterwards.
func TestStop(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var calls atomic.Int64
	s, err := New(Config{Tick: tick}, func(batch []wheel.Expired) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	require.NoError(t, err)
	_, err = s.Add(s.Now()+tick, 0)
	require.NoError(t, err)
	pending := make([]wheel.Timer, 1000)
	for i := range pending {
		pending[i], err = s.Add(s.Now()+time.Hour+time.Duration(i)*time.Second, uint64(i))
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
	assert.ErrorIs(t, s.Reset(pending[0], 0), wheel.ErrStopped)
	assert.False(t, s.Cancel(pending[1]))
}

// TestConcurrentUse adds, re-arms and cancels from many goroutines while
// entries fire and re-arm themselves; run it with -race.
func TestConcurrentUse(t *testing.T) {
	var s *Scheduler
	var fired atomic.Int64
	s = start(t, func(batch []wheel.Expired) {
		for _, e := range batch {
			fired.Add(1)
			if e.Data%2 == 0 {
				_ = s.Reset(e.Timer, s.Now()+2*tick)
			}
		}
	})
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tm, err := s.Add(s.Now()+time.Duration(i%5)*tick, uint64(g*1000+i))
				if !assert.NoError(t, err) {
					return
				}
				switch i % 3 {
				case 0:
					s.Cancel(tm)
				case 1:
					assert.NoError(t, s.Reset(tm, s.Now()+tick))
				}
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return fired.Load() > 1000 }, 10*time.Second, tick)
}

// TestTimerIndicesAreDense: the adapter keeps wheel.Timer's index contract.
func TestTimerIndicesAreDense(t *testing.T) {
	s := start(t, func([]wheel.Expired) {})
	var timers []wheel.Timer
	for i := range 50 {
		tm, err := s.Add(s.Now()+time.Hour, uint64(i))
		require.NoError(t, err)
		assert.Equal(t, uint32(i+1), tm.Index())
		timers = append(timers, tm)
	}
	require.True(t, s.Cancel(timers[7]))
	tm, err := s.Add(s.Now()+time.Hour, 0)
	require.NoError(t, err)
	assert.Equal(t, timers[7].Index(), tm.Index())
	assert.NotEqual(t, timers[7].Generation(), tm.Generation())
}

func TestResetDataReplacesData(t *testing.T) {
	c := newCollector()
	s := start(t, c.handle)
	tm, err := s.Add(s.Now()+time.Hour, 1)
	require.NoError(t, err)
	require.NoError(t, s.ResetData(tm, s.Now()+2*tick, 9))
	require.Eventually(t, func() bool { return c.count.Load() == 1 }, 5*time.Second, tick)
	c.mu.Lock()
	assert.Equal(t, uint64(9), c.fired[tm][0].Data)
	c.mu.Unlock()
	assert.ErrorIs(t, s.ResetData(0, 0, 1), wheel.ErrStale)
}
