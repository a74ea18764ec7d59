package reactor

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// TestConfigValidationMore completes TestConfigValidation: the config
// errors it does not cover, and a Config that fails leaves no goroutine
// behind (goleak in TestMain).
func TestConfigValidationMore(t *testing.T) {
	f := newFake()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"NaN rate", Config{Transport: f, ReregisterRate: math.NaN()}},
		{"negative infinite rate", Config{Transport: f, ReregisterRate: math.Inf(-1)}},
		{"negative interval floor", Config{Transport: f, MinInterval: -time.Second}},
		{"rate ceiling under the start", Config{Transport: f, ReregisterRate: 100, ReregisterMaxRate: 99}},
		{"rate floor over the start", Config{Transport: f, ReregisterRate: 100, ReregisterMinRate: 101}},
		{"negative rate floor", Config{Transport: f, ReregisterMinRate: -1}},
		{"NaN rate ceiling", Config{Transport: f, ReregisterMaxRate: math.NaN()}},
		{"negative slow registration", Config{Transport: f, ReregisterSlow: -time.Second}},
		{"interval floor just below MinPeriod", Config{Transport: f, MinInterval: MinPeriod - 1}},
		{"interval floor just above MaxPeriod", Config{Transport: f, MinInterval: MaxPeriod + 1}},
		{"scheduler func returns nil, nil", Config{Transport: f, Scheduler: func(wheel.Handler) (wheel.Scheduler, error) {
			return nil, nil
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
			assert.Nil(t, r)
		})
	}
	// The edges are valid.
	for _, cfg := range []Config{
		{Transport: f, MinInterval: MinPeriod},
		{Transport: f, MinInterval: MaxPeriod},
		{Transport: f, ReregisterRate: math.Inf(1), Senders: 1, BatchSize: 1, ReregisterBurst: 1},
		{Transport: f, ReregisterRate: 5, ReregisterMinRate: 5, ReregisterMaxRate: 5}, // a fixed rate
		{Transport: f, ReregisterRate: 1, ReregisterMaxRate: math.Inf(1)},
	} {
		r, err := New(cfg)
		require.NoError(t, err, "%+v", cfg)
		require.NoError(t, r.Close(context.Background()))
	}
}

// TestPeriodBelowTheTickIsRefused: a scheduler cannot beat more often
// than it ticks, so Add refuses a period shorter than the tick, valid as
// it is elsewhere, and takes one of a whole tick.
func TestPeriodBelowTheTickIsRefused(t *testing.T) {
	r, err := New(Config{Transport: newFake()})
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close(context.Background())) }()

	b := instance(1, 1)
	b.Period = DefaultTick - time.Millisecond
	require.NoError(t, b.Validate(), "the period is within [MinPeriod, MaxPeriod]")
	require.ErrorIs(t, r.Add(b), ErrPeriod)
	assert.Zero(t, r.Len())
	require.ErrorIs(t, r.Register(context.Background(), b), ErrPeriod)
	assert.Zero(t, r.Len())

	b.Period = DefaultTick
	require.NoError(t, r.Add(b))
	assert.Equal(t, 1, r.Len())
}

// TestIntervalFloorIsAtLeastTheTick: a MinInterval below the scheduler's
// tick is raised to the tick, so no server's clientBeatInterval makes a
// period the scheduler cannot keep; one above it stays.
func TestIntervalFloorIsAtLeastTheTick(t *testing.T) {
	coarse := func(h wheel.Handler) (wheel.Scheduler, error) {
		return wheel.New(wheel.Config{Tick: 2 * time.Second}, h)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want time.Duration
	}{
		{"default scheduler, floor below its tick", Config{MinInterval: MinPeriod}, DefaultTick},
		{"default scheduler, default floor", Config{}, DefaultMinInterval},
		{"coarse scheduler, default floor", Config{Scheduler: coarse}, 2 * time.Second},
		{"coarse scheduler, floor above its tick", Config{Scheduler: coarse, MinInterval: 3 * time.Second}, 3 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Transport = newFake()
			r, err := New(tc.cfg)
			require.NoError(t, err)
			defer func() { require.NoError(t, r.Close(context.Background())) }()
			assert.Equal(t, tc.want, r.cfg.MinInterval)
		})
	}
}

// TestRejectedAddChangesNothing: every invalid BeatInfo is refused with its
// sentinel, leaves the Reactor as it was (Len, the wheel's entries, the
// instance already beating under the key), and is accepted once fixed.
func TestRejectedAddChangesNothing(t *testing.T) {
	h := newHarness(t, Config{})
	existing := instance(1, 1)
	require.NoError(t, h.r.Add(existing))

	for _, tc := range []struct {
		name   string
		break_ func(*BeatInfo)
		want   error
	}{
		{"empty service", func(b *BeatInfo) { b.ServiceName = "" }, ErrServiceName},
		{"empty group", func(b *BeatInfo) { b.ServiceName = "@@svc" }, ErrServiceName},
		{"empty name", func(b *BeatInfo) { b.ServiceName = "g@@" }, ErrServiceName},
		{"only separator", func(b *BeatInfo) { b.ServiceName = "@@" }, ErrServiceName},
		{"empty IP", func(b *BeatInfo) { b.IP = "" }, ErrIP},
		{"hostname", func(b *BeatInfo) { b.IP = "localhost" }, ErrIP},
		{"IP with port", func(b *BeatInfo) { b.IP = "10.0.0.1:80" }, ErrIP},
		{"IP with spaces", func(b *BeatInfo) { b.IP = " 10.0.0.1" }, ErrIP},
		{"zoned IPv6", func(b *BeatInfo) { b.IP = "fe80::1%lo" }, ErrIP},
		{"port 0", func(b *BeatInfo) { b.Port = 0 }, ErrPort},
		{"port 65536", func(b *BeatInfo) { b.Port = 65536 }, ErrPort},
		{"huge port", func(b *BeatInfo) { b.Port = math.MaxInt }, ErrPort},
		{"negative weight", func(b *BeatInfo) { b.Weight = -0.5 }, ErrWeight},
		{"NaN weight", func(b *BeatInfo) { b.Weight = math.NaN() }, ErrWeight},
		{"-Inf weight", func(b *BeatInfo) { b.Weight = math.Inf(-1) }, ErrWeight},
		{"negative period", func(b *BeatInfo) { b.Period = -1 }, ErrPeriod},
		{"period below MinPeriod", func(b *BeatInfo) { b.Period = time.Millisecond }, ErrPeriod},
		{"period above MaxPeriod", func(b *BeatInfo) { b.Period = MaxPeriod + time.Nanosecond }, ErrPeriod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := instance(2, 2)
			good := instance(2, 2)
			tc.break_(b)
			broken := struct {
				ServiceName, IP string
				Period          time.Duration
			}{b.ServiceName, b.IP, b.Period}
			err := h.r.Add(b)
			require.ErrorIs(t, err, tc.want)
			for _, other := range []error{ErrServiceName, ErrCluster, ErrIP, ErrPort, ErrWeight, ErrPeriod, ErrNilBeat, ErrClosed, ErrInUse} {
				if other != tc.want {
					assert.NotErrorIs(t, err, other, "one sentinel per error")
				}
			}
			assert.Equal(t, 1, h.r.Len())
			assert.Equal(t, 1, h.w.Pending())
			assert.Equal(t, broken.ServiceName, b.ServiceName, "Add changed the rejected BeatInfo")
			assert.Equal(t, broken.IP, b.IP)
			assert.Equal(t, broken.Period, b.Period)
			assert.False(t, b.Stopped())
			got, ok := h.r.Get(existing.ServiceName, existing.IP, existing.Port)
			require.True(t, ok)
			assert.Same(t, existing, got)

			// Fixed, the same BeatInfo is accepted.
			b.ServiceName, b.IP, b.Port, b.Weight, b.Period = good.ServiceName, good.IP, good.Port, good.Weight, good.Period
			require.NoError(t, h.r.Add(b))
			assert.Equal(t, 2, h.r.Len())
			require.True(t, h.r.Remove(b.ServiceName, b.IP, b.Port))
			assert.True(t, b.Stopped())
			assert.Equal(t, 1, h.w.Pending())
		})
	}

	t.Run("nil", func(t *testing.T) {
		require.ErrorIs(t, h.r.Add(nil), ErrNilBeat)
		assert.Equal(t, 1, h.r.Len())
	})
	t.Run("added twice", func(t *testing.T) {
		require.ErrorIs(t, h.r.Add(existing), ErrInUse)
		got, ok := h.r.Get(existing.ServiceName, existing.IP, existing.Port)
		require.True(t, ok)
		assert.Same(t, existing, got)
		assert.False(t, existing.Stopped())
		assert.Equal(t, 1, h.w.Pending())
	})
	t.Run("unknown instance", func(t *testing.T) {
		assert.False(t, h.r.Remove("nope", "10.0.0.1", 1))
		assert.False(t, h.r.Remove("", "", 0))
		_, ok := h.r.Get("", "", -1)
		assert.False(t, ok)
		assert.Equal(t, 1, h.r.Len())
		assert.False(t, existing.Stopped())
	})
}

// failingScheduler is a Manual wheel whose Add fails while fail is set.
type failingScheduler struct {
	*wheel.Wheel
	fail bool
}

func (s *failingScheduler) Add(at time.Duration, data uint32) (wheel.Timer, error) {
	if s.fail {
		return 0, wheel.ErrFull
	}
	return s.Wheel.Add(at, data)
}

// TestAddSchedulerFailure: a scheduler that refuses the entry fails Add with
// its error, adds nothing, and leaves the BeatInfo addable (it is not "in
// use").
func TestAddSchedulerFailure(t *testing.T) {
	var fs *failingScheduler
	r, err := New(Config{Transport: newFake(), Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
		w, err := wheel.New(wheel.Config{Manual: true}, h)
		fs = &failingScheduler{Wheel: w, fail: true}
		return fs, err
	}})
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close(context.Background())) }()
	b := instance(1, 1)
	require.ErrorIs(t, r.Add(b), wheel.ErrFull)
	assert.Zero(t, r.Len())
	assert.False(t, b.Stopped())
	fs.fail = false
	require.NoError(t, r.Add(b), "a BeatInfo refused by the scheduler can be added again")
	assert.Equal(t, 1, r.Len())
}

// TestAddAfterCloseLeavesBeatInfoUsable: a BeatInfo refused by a closed
// Reactor is not marked added, so another Reactor takes it.
func TestAddAfterCloseLeavesBeatInfoUsable(t *testing.T) {
	r, err := New(Config{Transport: newFake()})
	require.NoError(t, err)
	require.NoError(t, r.Close(context.Background()))
	b := instance(1, 1)
	require.ErrorIs(t, r.Add(b), ErrClosed)
	assert.Zero(t, r.Len())
	assert.False(t, r.Remove(b.ServiceName, b.IP, b.Port))

	r2, err := New(Config{Transport: newFake()})
	require.NoError(t, err)
	defer func() { require.NoError(t, r2.Close(context.Background())) }()
	require.NoError(t, r2.Add(b))
	assert.True(t, errors.Is(r.Close(context.Background()), nil), "Close again is a no-op")
}
