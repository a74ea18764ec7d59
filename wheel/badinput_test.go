package wheel

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBadHandlesChangeNothing: Reset and Cancel with a handle the wheel did
// not issue, or no longer owns, are refused (ErrStale, false) and leave
// every live entry as it was: the same count pending, each firing once at
// its time.
func TestBadHandlesChangeNothing(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond, Slots: 64})
	a, err := w.Add(5*time.Millisecond, 1)
	require.NoError(t, err)
	_, err = w.Add(time.Second, 2) // in level 1
	require.NoError(t, err)
	gone, err := w.Add(time.Second, 3)
	require.NoError(t, err)
	require.True(t, w.Cancel(gone))

	for _, tc := range []struct {
		name string
		tm   Timer
	}{
		{"zero", 0},
		{"index 0 with a generation", Timer(7 << 32)},
		{"index never issued", Timer(uint64(a.Generation())<<32 | 1000)},
		{"max index", Timer(math.MaxUint32)},
		{"all ones", Timer(math.MaxUint64)},
		{"live index, wrong generation", Timer(uint64(a.Generation()+1)<<32 | uint64(a.Index()))},
		{"cancelled", gone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.ErrorIs(t, w.Reset(tc.tm, 2*time.Millisecond), ErrStale)
			assert.False(t, w.Cancel(tc.tm))
			assert.Equal(t, 2, w.Pending())
			require.NoError(t, w.l.check())
		})
	}
	require.NoError(t, w.Advance(2*time.Second))
	assert.Equal(t, []uint32{1, 2}, dataOf(f.got), "the live entries fired once each, in order")
	assert.Equal(t, []time.Duration{5 * time.Millisecond, time.Second}, []time.Duration{f.got[0].Due, f.got[1].Due})
}

// TestExtremeTimes: any time is accepted. One in the past (even the most
// negative) fires on the next tick; the farthest future never fires early
// and can be moved back.
func TestExtremeTimes(t *testing.T) {
	w, f := manual(t, Config{Tick: time.Millisecond})
	require.NoError(t, w.Advance(time.Second))
	past, err := w.Add(math.MinInt64, 1)
	require.NoError(t, err)
	far, err := w.Add(math.MaxInt64, 2)
	require.NoError(t, err)
	require.NoError(t, w.l.check())
	require.NoError(t, w.Advance(time.Second+time.Millisecond))
	require.Equal(t, []uint32{1}, dataOf(f.got))
	assert.Equal(t, past, f.got[0].Timer)
	require.NoError(t, w.Advance(time.Hour))
	assert.Len(t, f.got, 1, "the farthest entry does not fire early")
	require.NoError(t, w.Reset(far, math.MinInt64))
	require.NoError(t, w.Advance(time.Hour+time.Millisecond))
	assert.Equal(t, []uint32{1, 2}, dataOf(f.got))
	require.NoError(t, w.l.check())
}
