package measure

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistogramQuantilesOfKnownInputs(t *testing.T) {
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.99, 0},
		{"one value", []time.Duration{5 * time.Millisecond}, 0.5, 5 * time.Millisecond},
		{"small values are exact", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.5, 5},
		{"p90 of ten", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.9, 9},
		{"p0 is the least", []time.Duration{7, 100, 1000}, 0, 7},
		{"p100 is the max", []time.Duration{7, 100, 1000}, 1, 1000},
		{"q above 1 is the max", []time.Duration{7, 100, 1000}, 2, 1000},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0},
		{"midpoint of a wide bucket", []time.Duration{1000}, 0.5, 1000},
		// 1 s is in bucket [59<<24, 60<<24): its midpoint is reported.
		{"p50 of 99 ms and 1 s", []time.Duration{99 * time.Millisecond, time.Second, time.Second}, 0.5, 59<<24 + 1<<23},
		// 3 ms is in bucket [45<<16, 46<<16).
		{"p99 of many equal", slices.Repeat([]time.Duration{3 * time.Millisecond}, 1000), 0.99, 45<<16 + 1<<15},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistogram()
			for i, v := range tc.values {
				h.Record(uint64(i), v)
			}
			assert.Equal(t, tc.want, h.Quantile(tc.q))
			assert.Equal(t, uint64(len(tc.values)), h.Count())
		})
	}
}

// TestHistogramErrorBound checks the estimate against the exact quantile of
// a random sample: within 1/64 of it, as Quantile promises.
func TestHistogramErrorBound(t *testing.T) {
	tests := []struct {
		name string
		draw func(r *rand.Rand) time.Duration
	}{
		{"exponential 10ms", func(r *rand.Rand) time.Duration { return time.Duration(r.ExpFloat64() * 10e6) }},
		{"uniform 0..100us", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(100_000)) }},
		{"log-uniform 1ns..100s", func(r *rand.Rand) time.Duration { return time.Duration(r.Float64() * r.Float64() * 1e11) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			h := NewHistogram()
			values := make([]time.Duration, 100_000)
			for i := range values {
				values[i] = tc.draw(rng)
				h.Record(uint64(i), values[i])
			}
			slices.Sort(values)
			for _, q := range []float64{0.001, 0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				exact := values[int(q*float64(len(values))+0.5)-1]
				got := h.Quantile(q)
				assert.InDelta(t, float64(exact), float64(got), float64(exact)/64+1, "q=%v", q)
			}
			assert.Equal(t, values[len(values)-1], h.Max())
		})
	}
}

// TestBuckets checks every bucket edge: buckets are contiguous, each value
// lands in the bucket whose bounds hold it, and no bucket is wider than
// 1/32 of its lowest value.
func TestBuckets(t *testing.T) {
	next := uint64(0)
	for i := range numBuckets {
		low, width := bucketLow(i)
		require.Equal(t, next, low, "bucket %d starts where %d ended", i, i-1)
		require.Equal(t, i, bucketOf(low), "low of %d", i)
		require.Equal(t, i, bucketOf(low+width-1), "high of %d", i)
		if low >= 2*subCount {
			require.LessOrEqual(t, width*subCount, low, "bucket %d too wide", i)
		}
		next = low + width
	}
	require.Equal(t, uint64(1)<<63, next, "buckets cover every int64")
}

func TestSnapshotSub(t *testing.T) {
	h := NewHistogram()
	for range 100 {
		h.Record(0, time.Second)
	}
	before := h.Snapshot()
	for range 10 {
		h.Record(1, time.Millisecond)
	}
	d := h.Snapshot().Sub(before)
	assert.Equal(t, uint64(10), d.Count())
	assert.InDelta(t, float64(time.Millisecond), float64(d.Quantile(0.99)), float64(time.Millisecond)/64)
	assert.InDelta(t, float64(time.Millisecond), float64(d.Max()), float64(time.Millisecond)/32,
		"the interval's max comes from its buckets, not from the older 1s")
	assert.Equal(t, uint64(110), h.Snapshot().Sub(nil).Count())
	assert.Zero(t, h.Snapshot().Sub(h.Snapshot()).Count())
}

func TestSnapshotSummary(t *testing.T) {
	assert.Equal(t, Summary{}, (&Snapshot{}).Summary(), "empty")
	h := NewHistogram()
	for i := range 1000 {
		h.Record(0, time.Duration(i+1)) // 1 ns ... 1000 ns
	}
	s := h.Snapshot()
	got := s.Summary()
	assert.Equal(t, Summary{Count: 1000, P50: s.Quantile(0.5), P90: s.Quantile(0.9), P99: s.Quantile(0.99),
		P999: s.Quantile(0.999), Max: 1000}, got)
	assert.InDelta(t, 500, float64(got.P50), 500.0/64)
	assert.InDelta(t, 900, float64(got.P90), 900.0/64)
	assert.InDelta(t, 990, float64(got.P99), 990.0/64)
	assert.InDelta(t, 999, float64(got.P999), 999.0/64)
}

func TestHistogramConcurrentRecord(t *testing.T) {
	h := NewHistogram()
	const goroutines, each = 8, 20_000
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				h.Record(uint64(g*each+i), time.Duration(i))
			}
		}()
	}
	// Reads race with the recorders and must not disturb them.
	for range 10 {
		_ = h.Snapshot()
		_ = h.Max()
	}
	wg.Wait()
	assert.Equal(t, uint64(goroutines*each), h.Count())
	assert.Equal(t, time.Duration(each-1), h.Max())
	assert.InDelta(t, float64(each/2), float64(h.Quantile(0.5)), float64(each/2)/64+1)
}

func TestHistogramRecordAllocatesNothing(t *testing.T) {
	h := NewHistogram()
	i := uint64(0)
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		h.Record(i, time.Duration(i)*time.Microsecond)
	})
	assert.Zero(t, allocs)
}

func BenchmarkHistogramRecord(b *testing.B) {
	h := NewHistogram()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := rand.Uint64()
		for pb.Next() {
			i++
			h.Record(i, time.Duration(i&0xfffff))
		}
	})
}

func TestStripedHistogramSizes(t *testing.T) {
	tests := []struct{ n, want int }{{-3, 1}, {0, 1}, {1, 1}, {3, 4}, {8, 8}, {1000, maxStripes}}
	for _, tc := range tests {
		h := NewStripedHistogram(tc.n)
		assert.Len(t, h.stripes, tc.want, "n=%d", tc.n)
		for i := range 100 {
			h.Record(uint64(i), time.Duration(i))
		}
		assert.Equal(t, uint64(100), h.Count(), "n=%d", tc.n)
		assert.Equal(t, 99*time.Nanosecond, h.Max(), "n=%d", tc.n)
	}
}
