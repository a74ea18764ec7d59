package russellluo

import (
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// counted starts an adapter with a 1 ms tick whose Handler records which
// timers fired; it is stopped at cleanup.
func counted(t *testing.T) (*Scheduler, *sync.Map, *atomic.Int64) {
	t.Helper()
	var fired sync.Map
	var n atomic.Int64
	s, err := New(Config{Tick: tick, WheelSize: 64}, func(batch []wheel.Expired) {
		for _, e := range batch {
			fired.Store(e.Timer, true)
			n.Add(1)
		}
	})
	require.NoError(t, err)
	t.Cleanup(s.Stop)
	return s, &fired, &n
}

// TestBadHandlesChangeNothing: handles the adapter did not issue, or no
// longer owns, are refused and leave the live entry alone.
func TestBadHandlesChangeNothing(t *testing.T) {
	s, _, count := counted(t)
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
	require.Eventually(t, func() bool { return count.Load() == 1 }, 5*time.Second, tick)
}

// TestExtremeTimes: an entry for the farthest future does not fire (the
// delay overflowed timingwheel's millisecond clock and fired at once), one
// for the most negative time fires at once.
func TestExtremeTimes(t *testing.T) {
	s, fired, count := counted(t)
	far, err := s.Add(math.MaxInt64, 1)
	require.NoError(t, err)
	_, err = s.Add(math.MinInt64, 2)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return count.Load() == 1 }, 5*time.Second, tick)
	time.Sleep(50 * tick)
	_, farFired := fired.Load(far)
	assert.False(t, farFired, "the farthest entry fired")
	assert.True(t, s.Cancel(far), "still pending")
}
