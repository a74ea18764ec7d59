package reactor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStatsHistogramsOfBeats: the cumulative buckets hold the observations
// the percentiles summarise, each beat counted under every bound at or
// above its lateness.
func TestStatsHistogramsOfBeats(t *testing.T) {
	h := newHarness(t, Config{})
	empty := h.r.Stats()
	bounds := histogramBounds()
	for _, hg := range []Histogram{empty.LatenessHistogram, empty.SendLatencyHistogram} {
		require.Len(t, hg.Buckets, len(bounds))
		for i, b := range hg.Buckets {
			assert.Equal(t, Bucket{UpperBound: bounds[i]}, b, "empty")
		}
		assert.Zero(t, hg.Count)
		assert.Zero(t, hg.Sum)
	}

	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	h.advance(jitter(b.Key(), b.Period)+7*time.Millisecond, 1)
	st := h.r.Stats()

	late := st.LatenessHistogram
	assert.Equal(t, st.Lateness.Count, late.Count)
	assert.Equal(t, uint64(1), late.Count)
	assert.InEpsilon(t, 0.007, late.Sum, 1.0/64)
	for _, bk := range late.Buckets {
		want := uint64(0)
		if bk.UpperBound >= 7*time.Millisecond {
			want = 1
		}
		assert.Equal(t, want, bk.Count, "le %v", bk.UpperBound)
	}

	send := st.SendLatencyHistogram
	assert.Equal(t, st.SendLatency.Count, send.Count)
	assert.Equal(t, uint64(1), send.Count)
	last := send.Buckets[len(send.Buckets)-1]
	assert.Equal(t, uint64(1), last.Count, "a fake send takes less than %v", last.UpperBound)
	assert.InEpsilon(t, st.SendLatency.Max.Seconds(), send.Sum, 1.0/32, "one observation: the sum is it")
}

// TestHistogramBoundsAscend: Buckets are documented ascending.
func TestHistogramBoundsAscend(t *testing.T) {
	bounds := histogramBounds()
	for i := 1; i < len(bounds); i++ {
		assert.Less(t, bounds[i-1], bounds[i])
	}
	assert.Equal(t, 100*time.Microsecond, bounds[0])
	assert.Equal(t, time.Minute, bounds[len(bounds)-1])
}
