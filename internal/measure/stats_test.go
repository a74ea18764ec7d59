package measure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBetween(t *testing.T) {
	m := NewMeter()
	for i := range 10 {
		m.Beat(uint64(i), time.Hour) // before the window: must not count
	}
	start := m.Sample()
	for i := range 1000 {
		m.Beat(uint64(i), time.Duration(i)*time.Microsecond)
	}
	end := m.Sample()
	// Pretend the window lasted 2 s of a 10 s period for 5000 instances:
	// 1000 beats expected.
	end.At = start.At.Add(2 * time.Second)
	end.CPU = start.CPU + 500*time.Microsecond
	end.Mallocs = start.Mallocs + 250
	end.Switches = start.Switches + 3000

	st := Between(start, end, 5000, 10*time.Second)
	assert.Equal(t, uint64(1000), st.Beats)
	assert.Equal(t, 2*time.Second, st.Elapsed)
	assert.InDelta(t, 1000, st.Expected, 1e-9)
	assert.InDelta(t, 1.0, st.FiredPerExpected(), 1e-9)
	assert.InDelta(t, 500.0, st.CPUPerBeat(), 1e-9)
	assert.InDelta(t, 500.0, st.BeatsPerSecond(), 1e-9)
	assert.InDelta(t, 0.025, st.CPUPercent(), 1e-9)
	assert.InDelta(t, 0.25, st.AllocsPerBeat(), 1e-9)
	assert.Equal(t, uint64(3000), st.Switches)
	assert.InDelta(t, 1500.0, st.SwitchesPerSecond(), 1e-9)
	assert.InDelta(t, float64(500*time.Microsecond), float64(st.P50()), float64(500*time.Microsecond)/64)
	assert.InDelta(t, float64(990*time.Microsecond), float64(st.P99()), float64(990*time.Microsecond)/64)
	assert.InDelta(t, float64(999*time.Microsecond), float64(st.P999()), float64(999*time.Microsecond)/64)
	assert.InDelta(t, float64(999*time.Microsecond), float64(st.MaxLate()), float64(999*time.Microsecond)/32)
	assert.Equal(t, uint64(1010), m.Beats())
}

func TestStatsOfEmptyWindow(t *testing.T) {
	tests := []struct {
		name      string
		instances int
		period    time.Duration
	}{
		{"no beats", 100, time.Second},
		{"no instances", 0, time.Second},
		{"no period", 100, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMeter()
			s := m.Sample()
			st := Between(s, s, tc.instances, tc.period)
			require.Zero(t, st.Beats)
			assert.Zero(t, st.CPUPerBeat())
			assert.Zero(t, st.BeatsPerSecond())
			assert.Zero(t, st.CPUPercent())
			assert.Zero(t, st.SwitchesPerSecond())
			assert.Zero(t, st.AllocsPerBeat())
			assert.Zero(t, st.FiredPerExpected())
			assert.Zero(t, st.P99())
			assert.Zero(t, st.MaxLate())
		})
	}
}

func TestMeterBeatAllocatesNothing(t *testing.T) {
	m := NewMeter()
	id := uint64(0)
	assert.Zero(t, testing.AllocsPerRun(1000, func() {
		id++
		m.Beat(id, time.Millisecond)
	}))
}
