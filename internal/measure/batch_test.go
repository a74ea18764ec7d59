package measure

import (
	"fmt"
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

// TestBatchBorrowsATableOnlyForALongRun: up to batchFew values stay as
// they are (a run of one costs no table of every bucket); one more
// borrows a table, which Flush returns empty, holding every value.
func TestBatchBorrowsATableOnlyForALongRun(t *testing.T) {
	for _, n := range []int{1, batchFew, batchFew + 1, 1000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			h := NewStripedHistogram(1)
			b := h.Batch(0)
			for i := range n {
				b.Record(time.Duration(i) * time.Millisecond)
			}
			assert.Equal(t, n > batchFew, b.counts != nil, "a table borrowed")
			c := b.counts
			b.Flush()
			assert.Nil(t, b.counts)
			assert.Equal(t, uint64(n), h.Count())
			assert.Equal(t, time.Duration(n-1)*time.Millisecond, h.Max())
			if c != nil {
				assert.Equal(t, bucketCounts{}, *c, "returned empty")
			}
		})
	}
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
// add at a time with the same through a Batch, and one value alone each
// way (a scheduler that hands out one beat per call).
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
	b.Run("one-atomic", func(b *testing.B) {
		for b.Loop() {
			h.Record(0, values[0])
		}
	})
	b.Run("one-batch", func(b *testing.B) {
		for b.Loop() {
			bt := h.Batch(0)
			bt.Record(values[0])
			bt.Flush()
		}
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
