package main

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunkFor(t *testing.T) {
	tests := []struct{ n, want int }{
		{0, 64},
		{1000, 64},
		{200_000, 200_000 / (8 * registerWorkers)},
		{1_000_000, registerChunk},
		{10_000_000, registerChunk},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, chunkFor(tt.n), tt.n)
	}
}

// TestInChunks: workers sharing next cover [from, n) in chunks of at most
// size, each index exactly once; a worker whose fn returns false stops.
func TestInChunks(t *testing.T) {
	const n, size, from = 10_007, 64, 1
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		seen    = make([]atomic.Int32, n)
		stopped atomic.Int32
	)
	next.Store(from)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inChunks(&next, n, size, func(lo, hi int) bool {
				assert.LessOrEqual(t, hi-lo, size)
				for k := lo; k < hi; k++ {
					seen[k].Add(1)
				}
				if w == 0 {
					stopped.Add(1)
					return false // worker 0 does one chunk only
				}
				return true
			})
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, stopped.Load(), int32(1), "worker 0 stops after its first chunk")
	require.Zero(t, seen[0].Load())
	for k := from; k < n; k++ {
		require.EqualValues(t, 1, seen[k].Load(), k)
	}
}
