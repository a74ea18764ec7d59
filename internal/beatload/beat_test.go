package beatload

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/beatwheel/beatwheel/internal/measure"
)

func TestSpread(t *testing.T) {
	tests := []struct {
		name   string
		period time.Duration
		i, n   int
		want   time.Duration
	}{
		{"first is at once", 5 * time.Second, 0, 4, 0},
		{"quarter", 5 * time.Second, 1, 4, 1250 * time.Millisecond},
		{"last", 5 * time.Second, 3, 4, 3750 * time.Millisecond},
		{"rounds down", 10 * time.Nanosecond, 1, 3, 3},
		{"no overflow", math.MaxInt64, 9_999_999, 10_000_000, time.Duration(math.MaxInt64 / 10_000_000 * 9_999_999)},
		{"i out of range", 5 * time.Second, 4, 4, 0},
		{"negative i", 5 * time.Second, -1, 4, 0},
		{"no instances", 5 * time.Second, 0, 0, 0},
		{"no period", 0, 1, 4, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, float64(tc.want), float64(Spread(tc.period, tc.i, tc.n)), float64(tc.want)*1e-12)
		})
	}
}

func TestBeatRecords(t *testing.T) {
	m := measure.NewMeter()
	Beat(m, 7, 3*time.Millisecond)
	Beat(m, 8, -time.Millisecond)
	assert.Equal(t, uint64(2), m.Beats())
	assert.Equal(t, 3*time.Millisecond, m.Lateness().Max())
	assert.Zero(t, testing.AllocsPerRun(100, func() { Beat(m, 9, time.Millisecond) }))
}

// TestPhaseScattersAUniformSpread: Phase deals out exactly Spread's offsets,
// each once, but neighbours in index order are not neighbours in time.
func TestPhaseScattersAUniformSpread(t *testing.T) {
	const n, period = 1000, 5 * time.Second
	seen := map[time.Duration]bool{}
	adjacent := 0
	for i := range n {
		p := Phase(period, i, n)
		assert.False(t, seen[p], "offset %v dealt twice", p)
		seen[p] = true
		if i > 0 && (p-Phase(period, i-1, n)).Abs() <= period/n {
			adjacent++
		}
	}
	for i := range n {
		assert.True(t, seen[Spread(period, i, n)], "offset of slot %d missing", i)
	}
	assert.Less(t, adjacent, n/100, "index neighbours are time neighbours")
	assert.Zero(t, Phase(period, -1, n))
	assert.Zero(t, Phase(period, n, n))
	assert.Zero(t, Phase(period, 0, 0))
}
