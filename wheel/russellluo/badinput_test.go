package russellluo

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// TestBadHandlesChangeNothing: handles the adapter did not issue, or no
// longer owns, are refused and leave the live entry alone.
func TestBadHandlesChangeNothing(t *testing.T) {
	c := newCollector()
	s := start(t, c.handle)
	live, err := s.Add(s.Now()+time.Hour, 1)
	require.NoError(t, err)
	gone, err := s.Add(s.Now()+time.Hour, 2)
	require.NoError(t, err)
	require.True(t, s.Cancel(gone))
	for _, tm := range []wheel.Timer{0, wheel.Timer(7 << 32), wheel.Timer(math.MaxUint32), wheel.Timer(math.MaxUint64),
		wheel.Timer(uint64(live.Generation()+1)<<32 | uint64(live.Index())), gone} {
		assert.ErrorIs(t, s.Reset(tm, 0), wheel.ErrStale, "%x", uint64(tm))
		assert.False(t, s.Cancel(tm), "%x", uint64(tm))
	}
	require.NoError(t, s.Reset(live, s.Now()+2*tick), "the live entry is still there")
	require.Eventually(t, func() bool { return c.count.Load() == 1 }, 5*time.Second, tick)
}

// TestExtremeTimes: an entry for the farthest future does not fire (the
// delay overflowed timingwheel's millisecond clock and fired at once), one
// for the most negative time fires at once.
func TestExtremeTimes(t *testing.T) {
	c := newCollector()
	s := start(t, c.handle)
	far, err := s.Add(math.MaxInt64, 1)
	require.NoError(t, err)
	_, err = s.Add(math.MinInt64, 2)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return c.count.Load() == 1 }, 5*time.Second, tick)
	time.Sleep(50 * tick)
	c.mu.Lock()
	assert.Empty(t, c.fired[far], "the farthest entry fired")
	c.mu.Unlock()
	assert.True(t, s.Cancel(far), "still pending")
}
