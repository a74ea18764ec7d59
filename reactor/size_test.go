package reactor

import (
	"context"
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
