package measure

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCumulativeOfKnownInputs(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration
		bounds []time.Duration
		want   []uint64
	}{
		{"empty", nil, []time.Duration{1, 10}, []uint64{0, 0}},
		{"no bounds", []time.Duration{5}, nil, []uint64{}},
		{"small values are exact", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []time.Duration{0, 3, 9, 10, 11},
			[]uint64{0, 3, 9, 10, 10}},
		{"negative counts as zero", []time.Duration{-time.Second, 0}, []time.Duration{0, 1}, []uint64{2, 2}},
		{"above the last bound counts in none", []time.Duration{time.Millisecond, time.Hour}, []time.Duration{time.Second, time.Minute},
			[]uint64{1, 1}},
		// 1 s is in bucket [59<<24, 60<<24), midpoint 59<<24 + 1<<23 =
		// 998,244,352 ns: below a bound of 1 s, above one of 998 ms.
		{"a straddling bucket counts by its midpoint", []time.Duration{time.Second}, []time.Duration{998 * time.Millisecond, time.Second},
			[]uint64{0, 1}},
		{"equal bounds", []time.Duration{3, 3, 7}, []time.Duration{3, 3, 7}, []uint64{2, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewStripedHistogram(1)
			for _, v := range tc.values {
				h.Record(0, v)
			}
			got := make([]uint64, len(tc.bounds))
			h.Snapshot().Cumulative(tc.bounds, got)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestCumulativeErrorBound checks Cumulative against exact counts of a
// random sample: only observations within 3.1 % of a bound may be on the
// wrong side of it. SumSeconds is within 1.6 % of the exact sum.
func TestCumulativeErrorBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	h := NewStripedHistogram(1)
	values := make([]time.Duration, 100_000)
	var sum float64
	for i := range values {
		values[i] = time.Duration(rng.Float64() * rng.Float64() * 1e10) // 0..10 s, skewed low
		h.Record(0, values[i])
		sum += values[i].Seconds()
	}
	bounds := []time.Duration{time.Microsecond, 250 * time.Microsecond, time.Millisecond, 25 * time.Millisecond,
		100 * time.Millisecond, time.Second, 5 * time.Second}
	got := make([]uint64, len(bounds))
	s := h.Snapshot()
	s.Cumulative(bounds, got)
	for k, b := range bounds {
		// A bucket is at most 1/subCount as wide as the values in it, so a
		// value v in a bucket straddling b has |v-b| <= v/subCount.
		var surely, maybe uint64
		for _, v := range values {
			if float64(v) <= float64(b)*(1-1.0/subCount) {
				surely++
			}
			if float64(v) <= float64(b)*(1+1.0/(subCount-1)) {
				maybe++
			}
		}
		assert.GreaterOrEqual(t, got[k], surely, "bound %v", b)
		assert.LessOrEqual(t, got[k], maybe, "bound %v", b)
		if k > 0 {
			assert.GreaterOrEqual(t, got[k], got[k-1], "cumulative")
		}
	}
	require.Positive(t, sum)
	assert.InEpsilon(t, sum, s.SumSeconds(), 1.0/64)
	assert.Zero(t, (&Snapshot{}).SumSeconds(), "empty")
}

func TestCumulativeAllocatesNothing(t *testing.T) {
	h := NewStripedHistogram(1)
	h.Record(0, time.Millisecond)
	s := h.Snapshot()
	bounds := []time.Duration{time.Microsecond, time.Second}
	counts := make([]uint64, len(bounds))
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		s.Cumulative(bounds, counts)
		_ = s.SumSeconds()
	}))
	assert.Equal(t, []uint64{0, 1}, counts)
}
