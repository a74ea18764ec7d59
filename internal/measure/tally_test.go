package measure

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTallyMatchesRecord feeds the same values to one Histogram through
// Record and to another through a Tally: after Flush the two hold the
// same counts and maximum, and before it the Tally's Histogram holds at
// most what Record's does.
func TestTallyMatchesRecord(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	spread := func(n int, lo, width time.Duration) []time.Duration {
		v := make([]time.Duration, n)
		for i := range v {
			v[i] = lo + time.Duration(rng.Int64N(int64(width)))
		}
		return v
	}
	tests := []struct {
		name   string
		values []time.Duration
	}{
		{"empty", nil},
		{"one value", []time.Duration{3 * time.Millisecond}},
		{"negative counts as zero", []time.Duration{-time.Second, 0, 5}},
		{"one tick of lateness", spread(5000, 0, 10*time.Millisecond)},
		// Far more distinct buckets than a Tally's slots: slots are
		// written out as other buckets take them.
		{"every scale", spread(5000, 0, time.Hour)},
		{"the same bucket many times", spread(3000, time.Second, time.Nanosecond)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, got := NewStripedHistogram(4), NewStripedHistogram(4)
			tally := got.Tally(3)
			for i, v := range tc.values {
				want.Record(uint64(i), v)
				tally.Record(v)
			}
			assert.LessOrEqual(t, got.Count(), want.Count(), "before Flush")
			tally.Flush()
			assert.Equal(t, want.Snapshot(), got.Snapshot())
			assert.Equal(t, want.Max(), got.Max())

			// The emptied Tally takes the next batch, adding to the first.
			for i, v := range tc.values {
				want.Record(uint64(i), v)
				tally.Record(v)
			}
			tally.Flush()
			assert.Equal(t, want.Snapshot(), got.Snapshot())
		})
	}
}

// TestTallyKeepsTheLargerMax: a Tally's maximum replaces the Histogram's
// only if it is larger.
func TestTallyKeepsTheLargerMax(t *testing.T) {
	h := NewStripedHistogram(1)
	h.Record(0, time.Second)
	tally := h.Tally(0)
	tally.Record(time.Millisecond)
	tally.Flush()
	require.Equal(t, time.Second, h.Max())
	tally.Record(2 * time.Second)
	tally.Flush()
	assert.Equal(t, 2*time.Second, h.Max())
	assert.Equal(t, uint64(3), h.Count())
}

func TestTallyDoesNotAllocate(t *testing.T) {
	h := NewHistogram()
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		tally := h.Tally(7)
		for i := range 1000 {
			tally.Record(time.Duration(i) * time.Microsecond)
		}
		tally.Flush()
	}))
}

func BenchmarkTally(b *testing.B) {
	h := NewStripedHistogram(1)
	late := make([]time.Duration, 2048)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range late {
		late[i] = time.Duration(rng.Int64N(int64(10 * time.Millisecond)))
	}
	b.Run("Record", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			h.Record(0, late[i&2047])
		}
	})
	b.Run("Tally", func(b *testing.B) {
		tally := h.Tally(0)
		for i := 0; b.Loop(); i++ {
			tally.Record(late[i&2047])
			if i&2047 == 2047 {
				tally.Flush()
			}
		}
		tally.Flush()
	})
}
