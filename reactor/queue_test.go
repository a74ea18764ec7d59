package reactor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStoppedWhileQueuedIsNeverSent: a beat already queued to the senders
// when its instance is removed never reaches the Transport.
func TestStoppedWhileQueuedIsNeverSent(t *testing.T) {
	h := newHarness(t, Config{Senders: 1, BatchSize: 1})
	block := make(chan struct{})
	h.f.mu.Lock()
	h.f.block = block
	h.f.mu.Unlock()
	// Three instances due one after another.
	var bs []*BeatInfo
	for j := 0; len(bs) < 3; j++ {
		b := instance(1, j)
		if len(bs) > 0 && firstDue(b) <= firstDue(bs[len(bs)-1]) {
			continue
		}
		require.NoError(t, h.r.Add(b))
		bs = append(bs, b)
	}
	first, queued, last := bs[0], bs[1], bs[2]
	require.NoError(t, h.w.Advance(firstDue(first)))
	<-h.f.sendsStarted // the one sender holds first's beat
	require.NoError(t, h.w.Advance(firstDue(queued)))
	require.Len(t, h.r.jobs, 1, "queued's beat waits in the queue")
	require.True(t, h.r.Remove(queued.ServiceName, queued.IP, queued.Port))
	close(block)
	// One sender takes jobs in order: once last's beat is sent, queued's
	// job was handled.
	h.advance(firstDue(last), 2)
	for _, beat := range h.f.sent() {
		assert.NotSame(t, queued, beat.Info, "a beat sent after Remove returned")
	}
	assert.Equal(t, uint64(2), h.r.Stats().Sent)
}
