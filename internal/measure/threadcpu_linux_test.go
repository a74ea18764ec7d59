package measure

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestThreadCPUCountsThisThread: work on a locked thread shows in its
// CPU time, which is part of the process's.
func TestThreadCPUCountsThisThread(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	before, ok := ThreadCPU()
	require.True(t, ok)
	// Burn CPU until 20ms of it show, however busy the machine is.
	deadline := time.Now().Add(10 * time.Second)
	for now, _ := ThreadCPU(); now-before < 20*time.Millisecond && time.Now().Before(deadline); now, _ = ThreadCPU() {
	}
	after, _ := ThreadCPU()
	assert.GreaterOrEqual(t, after-before, 20*time.Millisecond)
	assert.LessOrEqual(t, after-before, CPUTime(), "a thread's time is part of the process's")
}
