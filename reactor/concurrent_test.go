package reactor

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
	"github.com/beatwheel/beatwheel/wheel/russellluo"
)

// TestConcurrentHandler runs the Reactor on the russellluo adapter, which
// calls the Handler from a goroutine per expiry, concurrently, with a job
// pool of six (two senders): every instance keeps beating, concurrent
// calls share no scratch (run it with -race), and once Close returns every
// job is back in the pool and nothing more is sent.
func TestConcurrentHandler(t *testing.T) {
	const n = 200
	f := newFake()
	r, err := New(Config{
		Transport: f,
		Senders:   2,
		BatchSize: 1,
		SkipLate:  neverSkip,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			return russellluo.New(russellluo.Config{Tick: time.Millisecond, WheelSize: 64}, h)
		},
	})
	require.NoError(t, err)
	for j := range n {
		b := instance(1, j)
		b.Period = 50 * time.Millisecond
		require.NoError(t, r.Add(b))
	}
	// Each instance beats, and beats again: its entry was re-armed.
	require.Eventually(t, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		seen := map[*BeatInfo]int{}
		for _, b := range f.beats {
			seen[b.Info]++
		}
		if len(seen) < n {
			return false
		}
		for _, c := range seen {
			if c < 2 {
				return false
			}
		}
		return true
	}, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Close(context.Background()))
	assert.True(t, r.idle(), "every job back in the pool")
	f.mu.Lock()
	sent := len(f.beats)
	f.mu.Unlock()
	time.Sleep(100 * time.Millisecond) // two periods
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Len(t, f.beats, sent, "no beat after Close")
}
