package beatload

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

const tick = wheel.DefaultTick

// manual starts a Load on a Manual wheel and returns both.
func manual(t *testing.T, n int, period time.Duration) (*Load, *wheel.Wheel, *measure.Meter) {
	t.Helper()
	var w *wheel.Wheel
	m := measure.NewMeter()
	l, err := Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		var err error
		w, err = wheel.New(wheel.Config{Manual: true}, h)
		return w, err
	}, Config{Instances: n, Period: period, Meter: m})
	require.NoError(t, err)
	t.Cleanup(l.Stop)
	return l, w, m
}

func TestStartValidates(t *testing.T) {
	m := measure.NewMeter()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no instances", Config{Instances: 0, Period: time.Second, Meter: m}},
		{"negative instances", Config{Instances: -5, Period: time.Second, Meter: m}},
		{"zero period", Config{Instances: 10, Period: 0, Meter: m}},
		{"negative period", Config{Instances: 10, Period: -time.Second, Meter: m}},
		{"no meter", Config{Instances: 10, Period: time.Second}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Start(func(wheel.Handler) (wheel.Scheduler, error) {
				t.Fatal("scheduler built for an invalid config")
				return nil, nil
			}, tc.cfg)
			require.ErrorIs(t, err, ErrInvalidConfig)
		})
	}
}

func TestStartWrapsSchedulerError(t *testing.T) {
	_, err := Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{Tick: time.Nanosecond}, h)
	}, Config{Instances: 1, Period: time.Second, Meter: measure.NewMeter()})
	require.ErrorIs(t, err, wheel.ErrInvalidConfig)
}

// TestBeatsEveryPeriodWithoutDrift drives a Manual wheel tick by tick: each
// period fires every instance exactly once, spread evenly over the period,
// and lateness stays within a tick.
func TestBeatsEveryPeriodWithoutDrift(t *testing.T) {
	const n, period = 1000, time.Second
	_, w, m := manual(t, n, period)
	perTick := make([]uint64, 0, period/tick)
	now := time.Duration(0)
	for p := 1; p <= 5; p++ {
		perTick = perTick[:0]
		for range period / tick {
			before := m.Beats()
			now += tick
			require.NoError(t, w.Advance(now))
			perTick = append(perTick, m.Beats()-before)
		}
		// Instance 0 is due at 0 and so at every period boundary, which
		// Advance(p*period) includes.
		assert.Equal(t, uint64(p*n+1), m.Beats(), "after period %d", p)
		for i, c := range perTick {
			assert.InDelta(t, n*tick/period, c, 1, "tick %d of period %d", i, p)
		}
	}
	// The Manual clock moves a tick at a time: at most a tick late.
	assert.LessOrEqual(t, m.Lateness().Max(), tick)
}

// TestFallenBehindDoesNotCatchUp: after the clock jumps three periods,
// each instance beats once late and once "now" (its re-arm time), not once
// per missed period, and then keeps its period from there.
func TestFallenBehindDoesNotCatchUp(t *testing.T) {
	const n, period = 100, time.Second
	l, w, m := manual(t, n, period)
	now := time.Duration(0)
	for now < period-tick {
		now += tick
		require.NoError(t, w.Advance(now))
	}
	require.Equal(t, uint64(n), m.Beats())

	now += 3 * period
	require.NoError(t, w.Advance(now))
	assert.Equal(t, uint64(3*n), m.Beats(), "two beats each, not four")
	assert.GreaterOrEqual(t, m.Lateness().Max(), 2*period)

	// Re-armed for now + period: nothing until then, then each once.
	require.NoError(t, w.Advance(now+period-tick))
	assert.Equal(t, uint64(3*n), m.Beats())
	require.NoError(t, w.Advance(now+period))
	assert.Equal(t, uint64(4*n), m.Beats())
	assert.Zero(t, l.ResetErrors())
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	const n, period = 10_000, time.Second
	_, w, m := manual(t, n, period)
	now := time.Duration(0)
	for now < 2*period { // warm up: every entry has fired and re-armed
		now += tick
		require.NoError(t, w.Advance(now))
	}
	before := m.Beats()
	allocs := testing.AllocsPerRun(100, func() {
		now += tick
		_ = w.Advance(now)
	})
	assert.Greater(t, m.Beats()-before, uint64(100*n*tick/period/2), "the runs fired beats")
	assert.Zero(t, allocs, "allocations per tick of about %d beats", n*tick/period)
}

func TestStopEndsBeats(t *testing.T) {
	l, w, m := manual(t, 10, time.Second)
	l.Stop()
	l.Stop()
	assert.ErrorIs(t, w.Advance(time.Hour), wheel.ErrStopped)
	assert.Zero(t, m.Beats())
}

// errScheduler refuses every re-arm, as a broken scheduler would.
type errScheduler struct {
	wheel.Scheduler
}

func (errScheduler) Rearm(arms []wheel.Expired) {
	for i := range arms {
		arms[i].Timer = 0
	}
}

func TestResetErrorsAreCounted(t *testing.T) {
	var w *wheel.Wheel
	l, err := Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		var err error
		var s errScheduler
		w, err = wheel.New(wheel.Config{Manual: true}, func(b []wheel.Expired) { h(b) })
		s.Scheduler = w
		return s, err
	}, Config{Instances: 10, Period: time.Second, Meter: measure.NewMeter()})
	require.NoError(t, err)
	defer l.Stop()
	require.NoError(t, w.Advance(time.Second))
	assert.Equal(t, uint64(10), l.ResetErrors())
}

// TestRealClock runs on the wheel's own goroutine and clock: fired/expected
// near 1 and median lateness under a period, loose bounds for a noisy
// machine.
func TestRealClock(t *testing.T) {
	const n, period = 1000, 100 * time.Millisecond
	m := measure.NewMeter()
	l, err := Start(func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{}, h)
	}, Config{Instances: n, Period: period, Meter: m})
	require.NoError(t, err)
	time.Sleep(period)
	start := m.Sample()
	time.Sleep(5 * period)
	st := measure.Between(start, m.Sample(), n, period)
	l.Stop()
	assert.InDelta(t, 1.0, st.FiredPerExpected(), 0.2)
	assert.Less(t, st.P50(), period)
	assert.Zero(t, l.ResetErrors())
}
