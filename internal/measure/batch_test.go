package measure

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBatchCountsAsRecordDoes records the same values one by one and
// through Batches flushed at random points: the two Histograms must hold
// the same counts and max.
func TestBatchCountsAsRecordDoes(t *testing.T) {
	tests := []struct {
		name string
		draw func(r *rand.Rand) time.Duration
	}{
		{"a tick's lateness", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(10 * time.Millisecond))) }},
		{"log-uniform 1ns..100s", func(r *rand.Rand) time.Duration { return time.Duration(r.Float64() * r.Float64() * 1e11) }},
		{"negative and zero", func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(3) - 2) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			one, batched := NewHistogram(), NewHistogram()
			b := batched.Batch(7)
			for range 20_000 {
				v := tc.draw(rng)
				one.Record(1, v)
				b.Record(v)
				if rng.IntN(1000) == 0 {
					b.Flush()
				}
			}
			b.Flush()
			assert.Equal(t, one.Snapshot(), batched.Snapshot())
			b.Flush() // a second Flush adds nothing
			assert.Equal(t, one.Snapshot(), batched.Snapshot())
		})
	}
}

func TestBatchShowsNothingUntilFlush(t *testing.T) {
	h := NewStripedHistogram(1)
	h.Record(0, time.Second)
	b := h.Batch(0)
	b.Record(time.Millisecond)
	b.Record(3 * time.Second)
	require.Equal(t, uint64(1), h.Count())
	require.Equal(t, time.Second, h.Max())

	b.Flush()
	assert.Equal(t, uint64(3), h.Count())
	assert.Equal(t, 3*time.Second, h.Max())

	// After a Flush the Batch starts empty: a smaller max does not lower
	// the Histogram's.
	b.Record(time.Microsecond)
	b.Flush()
	assert.Equal(t, uint64(4), h.Count())
	assert.Equal(t, 3*time.Second, h.Max())
}

func TestBatchAllocatesNothing(t *testing.T) {
	h := NewHistogram()
	allocs := testing.AllocsPerRun(100, func() {
		b := h.Batch(1)
		for i := range 1000 {
			b.Record(time.Duration(i) * time.Microsecond)
		}
		b.Flush()
	})
	assert.Zero(t, allocs)
}

// BenchmarkRecord compares a tick's worth of lateness recorded one atomic
// add at a time with the same through a Batch.
func BenchmarkRecord(b *testing.B) {
	const n = 2000 // a 10 ms tick's beats at 1M instances and 5 s
	rng := rand.New(rand.NewPCG(5, 6))
	values := make([]time.Duration, n)
	for i := range values {
		values[i] = time.Duration(rng.Int64N(int64(10 * time.Millisecond)))
	}
	h := NewStripedHistogram(1)
	b.Run("atomic", func(b *testing.B) {
		for b.Loop() {
			for i, v := range values {
				h.Record(uint64(i), v)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			bt := h.Batch(0)
			for _, v := range values {
				bt.Record(v)
			}
			bt.Flush()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/value")
	})
}
