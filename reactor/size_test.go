package reactor

import (
	"context"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSizes guards the memory budget: a BeatInfo fills the 96-byte size
// class and a slot is 8 bytes. A field added to either must pay its way.
// A period travels in a scheduler entry's 32 bits of data: every period
// up to MaxPeriod must come back whole.
func TestSizes(t *testing.T) {
	assert.Equal(t, uintptr(96), unsafe.Sizeof(BeatInfo{}))
	assert.Equal(t, uintptr(8), unsafe.Sizeof(slot{}))
	for _, p := range []time.Duration{MinPeriod, DefaultPeriod, MaxPeriod} {
		assert.Equal(t, p, dataPeriod(periodData(p)))
	}
}

// TestClosedReactorKeepsNoInstance: after Close neither the index nor the
// slots point at a BeatInfo, so a process that goes on after closing a
// Reactor (beatbench deregistering what it registered) does not keep a
// million of them alive.
func TestClosedReactorKeepsNoInstance(t *testing.T) {
	h := newHarness(t, Config{})
	var added []*BeatInfo
	for j := range 3 {
		b := instance(1, j)
		require.NoError(t, h.r.Add(b))
		require.Same(t, b, h.r.slots.load(b.timerIdx))
		added = append(added, b)
	}
	require.NoError(t, h.r.Close(context.Background()))
	assert.Zero(t, h.r.Len())
	for _, b := range added {
		assert.Nil(t, h.r.slots.load(b.timerIdx))
		assert.True(t, b.Stopped())
		_, ok := h.r.Get(b.ServiceName, b.IP, b.Port)
		assert.False(t, ok)
	}
}

// TestCloseAllocatesNothingPerInstance: Close without DeregisterOnClose
// stops every instance in place. It used to collect them in a slice first
// (8 bytes per instance, 8 MB at a million, on top of the process's peak
// memory at the moment it shuts down), and emptying an index that had
// grown without a SizeHint shrank its table step by step, 26 bytes per
// instance more.
func TestCloseAllocatesNothingPerInstance(t *testing.T) {
	const n = 20_000
	h := newHarness(t, Config{}) // no SizeHint: the index grew as they came
	added := make([]*BeatInfo, n)
	for j := range added {
		added[j] = instance(j%50, j)
		require.NoError(t, h.r.Add(added[j]))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	require.NoError(t, h.r.Close(context.Background()))
	runtime.ReadMemStats(&after)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(n*8/4), "bytes allocated by Close")
	for _, b := range added {
		require.True(t, b.Stopped())
	}
}
