package transport

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
)

func TestFailover(t *testing.T) {
	ts := newTestServer(t, nacosHandler)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			var logs logCapture
			servers := []string{deadAddr(t), ts.addr}
			c := newClient(t, Config{Servers: servers, Mode: mode, Logger: logs.logger()})
			res := make([]reactor.BeatResult, 2)
			c.SendBeats(bg(), testBeats(2), res)
			assert.ErrorIs(t, res[0].Err, ErrConnection)
			c.SendBeats(bg(), testBeats(2), res)
			assert.NoError(t, res[0].Err)
			assert.NoError(t, res[1].Err)
			assert.Contains(t, logs.String(), "moving to the next")
			assert.EqualValues(t, 1, c.stats.failovers.Load())

			c2 := newClient(t, Config{Servers: servers, Mode: mode})
			assert.NoError(t, c2.Register(bg(), testInfo(0)), "register retries on the next server")
			// The client failed over just now: the next failure does not
			// move it, yet a registration still tries the other server.
			c2.cur.Store(0)
			assert.NoError(t, c2.Register(bg(), testInfo(0)), "register retries on the next server")
			assert.EqualValues(t, 1, c2.stats.failovers.Load())
		})
	}
}

// TestFailoverOncePerInterval: against two dead servers, batches of 1024
// beats whose every beat fails move the client once per FailoverInterval
// and log one line for it, not one per beat.
func TestFailoverOncePerInterval(t *testing.T) {
	servers := []string{deadAddr(t), deadAddr(t)}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			var logs logCapture
			clk := newFakeClock()
			c := newClockedClient(t, Config{Servers: servers, Mode: mode, Logger: logs.logger()}, clk)
			beats := testBeats(1024)
			res := make([]reactor.BeatResult, len(beats))
			lines := func() int { return strings.Count(logs.String(), "moving to the next") }
			for round, want := range []uint64{1, 1, 2, 3} {
				if round >= 2 {
					clk.Add(c.cfg.FailoverInterval)
				}
				c.SendBeats(bg(), beats, res)
				for i := range res {
					require.ErrorIs(t, res[i].Err, ErrConnection, i)
				}
				assert.Equal(t, want, c.stats.failovers.Load(), "round %d", round)
				assert.EqualValues(t, want, lines(), "round %d", round)
				assert.EqualValues(t, want%2, c.cur.Load(), "round %d", round)
			}
		})
	}
}

// TestFailoverLogLimit: with a FailoverInterval under a second the client
// moves more often, but logs at most one line a second.
func TestFailoverLogLimit(t *testing.T) {
	var logs logCapture
	clk := newFakeClock()
	c := newClockedClient(t, Config{Servers: []string{"127.0.0.1:1", "127.0.0.1:2"}, Logger: logs.logger(),
		FailoverInterval: 1}, clk)
	cause := errors.New("refused")
	for k := range 10 {
		c.failover(k%2, cause)
		clk.Add(100)
	}
	assert.EqualValues(t, 10, c.stats.failovers.Load())
	assert.Equal(t, 1, strings.Count(logs.String(), "moving to the next"))
	c.failover(1-int(c.cur.Load()), cause) // not the current server: nothing to do
	assert.EqualValues(t, 10, c.stats.failovers.Load())
	require.NoError(t, c.Close())
	c.failover(int(c.cur.Load()), cause) // closed: nothing to do
	assert.EqualValues(t, 10, c.stats.failovers.Load())
}
