package measure

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sink keeps allocations alive so the garbage collector cannot drop them.
type sink struct{ blocks [][]byte }

func TestCPUTimeGrowsWithWork(t *testing.T) {
	before := CPUTime()
	assert.Positive(t, before)
	// Burn CPU until 20ms of it show, however busy the machine is.
	deadline := time.Now().Add(10 * time.Second)
	for CPUTime()-before < 20*time.Millisecond && time.Now().Before(deadline) {
	}
	assert.GreaterOrEqual(t, CPUTime()-before, 20*time.Millisecond)
}

// TestContextSwitchesCountSleeps: a process whose goroutines all sleep
// puts its threads to sleep, and each such sleep is a context switch.
func TestContextSwitchesCountSleeps(t *testing.T) {
	before := ContextSwitches()
	deadline := time.Now().Add(10 * time.Second)
	for ContextSwitches() == before && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	assert.Greater(t, ContextSwitches(), before)
}

func TestHeapInUseSeesLiveMemory(t *testing.T) {
	const n, size = 1000, 1024
	var s sink
	before := HeapInUse()
	for range n {
		s.blocks = append(s.blocks, make([]byte, size))
	}
	after := HeapInUse()
	per := PerInstance(before, after, n)
	// Each block is 1 KiB plus its share of the slice of headers.
	assert.InDelta(t, size+24, per, 64)
	runtime.KeepAlive(&s)
}

func TestHeapInUseCountsGoroutineStacks(t *testing.T) {
	const n = 200
	stop := make(chan struct{})
	started := make(chan struct{}, n)
	before := HeapInUse()
	for range n {
		go func() {
			started <- struct{}{}
			<-stop
		}()
	}
	for range n {
		<-started
	}
	per := PerInstance(before, HeapInUse(), n)
	close(stop)
	assert.GreaterOrEqual(t, per, 2048.0, "a parked goroutine has a stack of at least 2 KiB")
}

func TestPerInstance(t *testing.T) {
	tests := []struct {
		name          string
		before, after uint64
		n             int
		want          float64
	}{
		{"grew", 1000, 3000, 10, 200},
		{"shrank", 3000, 1000, 10, -200},
		{"no instances", 1000, 3000, 0, 0},
		{"negative instances", 1000, 3000, -1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.InDelta(t, tc.want, PerInstance(tc.before, tc.after, tc.n), 1e-9)
		})
	}
}

func TestMallocsCountsAllocations(t *testing.T) {
	var s sink
	before := Mallocs()
	for range 1000 {
		s.blocks = append(s.blocks, make([]byte, 64))
	}
	assert.GreaterOrEqual(t, Mallocs()-before, uint64(1000))
	runtime.KeepAlive(&s)
}

func TestRSSGrowsWithTouchedMemory(t *testing.T) {
	before := RSS()
	require.Positive(t, before)
	buf := make([]byte, 64<<20)
	for i := range buf {
		if i%4096 == 0 {
			buf[i] = 1
		}
	}
	assert.GreaterOrEqual(t, RSS(), before+32<<20)
	runtime.KeepAlive(buf)
}
