package reliability

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// TestServerRestart: the server forgets every instance (nacostest Restart).
// Every instance must be back, healthy, within 2 periods plus the time the
// re-registration budget needs for all of them (N/ReregisterRate); the
// Reactor's Register calls must never exceed ReregisterBurst +
// ReregisterRate*w in any window w; and the Reactor loses no instance.
//
// After a 20404 an instance's beats are full, and a batch of 20404s makes
// every beat full for a period, so full beats re-register most instances
// (Nacos 1.4 registers the instance a full beat describes, and nacostest
// counts that in Counters.Registrations). The rate assertion is therefore
// about the Register calls the Reactor makes, counted by the decorator;
// the server's registrations per 100 ms are logged beside them.
func TestServerRestart(t *testing.T) {
	// 10k beats/s: light enough that a busy machine's lag stays far
	// under the server's 5-period health limit.
	n, period, drain := 5000, 500*time.Millisecond, 2.0
	if long() {
		// 100k beats/s: what 2 cores carry. The first batch of 20404s
		// makes every beat full, so only the few hundred beats in flight
		// meet a 20404: at N/rate = 20 s the 10 ms window's limit (64)
		// stays under their re-registrations.
		n, period, drain = 100_000, time.Second, 20
	}
	rate := float64(n) / drain // N/rate = drain seconds: the limiter binds
	const burst = 10
	st := newStack(t,
		nacostest.Config{ClientBeatInterval: period, UnhealthyAfter: 5 * period, RemoveAfter: 10 * period,
			CheckInterval: period / 4},
		transport.Config{Mode: transport.ModePipeline, ReadTimeout: 2 * time.Second},
		// A fixed rate (floor = ceiling = start): the token bucket's bound
		// is exact. How the rate follows the server is
		// TestReregistrationMatchesServerCapacity's.
		reactor.Config{MinInterval: period, ReregisterRate: rate, ReregisterBurst: burst,
			ReregisterMinRate: rate, ReregisterMaxRate: rate})
	st.add(n, period)
	took, ok := st.waitHealthy(20*period + 10*time.Second)
	require.True(t, ok, "registered by their first (full) beats: %+v", st.srv.Counters())
	t.Logf("%d instances registered and healthy after %v", n, took)
	time.Sleep(2 * period) // steady state: light beats

	// Sample the server's registrations every 100 ms from the restart on.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var serverMax uint64
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		last := st.srv.Counters().Registrations
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				cur := st.srv.Counters().Registrations
				serverMax = max(serverMax, cur-last)
				last = cur
			}
		}
	}()

	registersBefore := len(st.dec.registers())
	restartAt := time.Now()
	st.srv.Restart()
	budget := 2*period + time.Duration(float64(n)/rate*float64(time.Second))
	took, ok = st.waitHealthy(budget + 10*time.Second)
	require.True(t, ok, "every instance back: server %+v; reactor %+v; register errors %+v",
		st.srv.Counters(), st.r.Stats(), st.dec.registerErrors())
	// A busy machine delays beats and answers: the budget grows by the
	// most the Reactor saw a beat leave late and a send take.
	s := st.r.Stats()
	lag := s.Lateness.Max + s.SendLatency.Max
	t.Logf("all %d back and healthy %v after the restart (budget %v + lag %v)", n, took, budget, lag)
	if long() {
		// On a machine of its own; the short form, run in CI beside
		// other work, checked that every instance came back.
		assert.LessOrEqual(t, took, budget+lag, "back within 2 periods + N/ReregisterRate + the machine's lag")
	}

	// Let the re-registration queue drain, then check its pace.
	time.Sleep(time.Duration(float64(n)/rate*float64(time.Second)) + 2*period)
	close(stop)
	wg.Wait()
	st.checkEach()
	require.Equal(t, n, st.r.Len(), "no instance lost from the Reactor")

	regs := st.dec.registers()[registersBefore:]
	// How many instances meet a 20404 depends on how fast the
	// light-beat switch turns off after the restart, so on the machine;
	// the first job of light beats after the restart alone holds up to
	// BatchSize (256) of them, more than the 10 ms window's limit (39;
	// a tick's worth, n/period*tick, is 500 at the default 50 ms tick).
	// Each window the count can exceed is checked.
	checked := 0
	for _, w := range []time.Duration{10 * time.Millisecond, 100 * time.Millisecond, time.Second} {
		// A token bucket grants at most burst + rate*w in any window w. A
		// grant is stamped just after Wait returns, so each of the
		// Reactor's 4 re-registration workers may shift one stamp into a
		// later window.
		limit := burst + int(rate*w.Seconds()) + 4
		got := maxInWindow(regs, w)
		t.Logf("Register calls: %d in all, at most %d in %v (limit %d); server registrations at most %d per 100 ms",
			len(regs), got, w, limit, serverMax)
		assert.LessOrEqual(t, got, limit, "Register calls in a %v window", w)
		if len(regs) > limit {
			checked++
		}
	}
	require.Positive(t, checked, "%d re-registrations: too few to test the limiter in any window", len(regs))
	st.close()
	s = st.checkCounts()
	assert.Positive(t, s.Failed.NotFound, "the restart was seen as 20404s")
	assert.Positive(t, s.Reregistered)
	t.Logf("stats: sent %d ok %d 20404 %d reregistered %d coalesced %d, restart at %v",
		s.Sent, s.OK, s.Failed.NotFound, s.Reregistered, s.ReregisterCoalesced, restartAt.Format(time.StampMilli))
}
