package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestPlanWindow: the window's edges are set from when the last instance
// was added, whenever run hears of it, not from the progress tick.
func TestPlanWindow(t *testing.T) {
	added := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name          string
		now           time.Time
		period, dur   time.Duration
		warmIn, endIn time.Duration
	}{
		{"heard at once", added, 5 * time.Second, 27 * time.Second, 5 * time.Second, 27 * time.Second},
		{"heard 300ms late", added.Add(300 * time.Millisecond), 5 * time.Second, 27 * time.Second, 4700 * time.Millisecond, 26700 * time.Millisecond},
		{"heard after the warm-up", added.Add(6 * time.Second), 5 * time.Second, 27 * time.Second, 0, 21 * time.Second},
		{"heard after the end", added.Add(time.Minute), 5 * time.Second, 27 * time.Second, 0, 0},
		{"duration within the warm-up", added, 5 * time.Second, 2 * time.Second, 5 * time.Second, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			warmIn, endIn := planWindow(added, tc.now, tc.period, tc.dur)
			assert.Equal(t, tc.warmIn, warmIn)
			assert.Equal(t, tc.endIn, endIn)
			// Whenever heard of, the run ends duration after adding,
			// and the steady window starts a period after it.
			if tc.endIn > 0 {
				assert.Equal(t, added.Add(tc.dur), tc.now.Add(endIn))
			}
			if tc.warmIn > 0 {
				assert.Equal(t, added.Add(tc.period), tc.now.Add(warmIn))
			}
		})
	}
}

// TestRunWindowLength: the window's edges are timers from when the last
// instance was added. Timers fire late on a busy machine, never early: the
// warm-up is at least a period and the run at least -duration after
// adding, and the window runs from the end of the warm-up to the end.
func TestRunWindowLength(t *testing.T) {
	cfg := testConfig("noop", "wheel")
	cfg.period, cfg.duration = 100*time.Millisecond, 500*time.Millisecond
	rep, err := run(t.Context(), cfg, io.Discard)
	assert.NoError(t, err)
	assert.True(t, rep.Window.Steady)
	w := rep.Window
	assert.GreaterOrEqual(t, w.Warmup-w.Add, cfg.period)
	sinceAdded := rep.End.Sub(rep.Start) - w.Add
	assert.GreaterOrEqual(t, sinceAdded, cfg.duration-time.Millisecond, "wall and monotonic clocks may differ by rounding")
	assert.InDelta(t, rep.End.Sub(rep.Start)-w.Warmup, w.Length, float64(time.Millisecond))
}
