package reliability

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// TestRestartAtScale is the long form of issue 11's restart scenario: a
// million instances beat every 5 s (the Nacos defaults) through the
// pipelined transport to nacostest, in this process; the server forgets
// every instance. Two periods later at least 99.9 % must be registered
// again; once every re-registration the 20404s queued has been made, the
// process heap (client and server: they share the process) must be back
// within 10 % of before the restart, and every instance healthy.
//
//	go test ./internal/reliability -run AtScale -long -timeout 60m
//
// The other two scenarios at a million (a stall, churn) run on a Manual
// wheel in reactor (TestStallAtScale, TestChurnAtScale).
func TestRestartAtScale(t *testing.T) {
	if !long() {
		t.Skip("long form: -long or BEATWHEEL_LONG=1")
	}
	const n, period = 1_000_000, 5 * time.Second
	st := newStack(t, nacostest.Config{ClientBeatInterval: period},
		transport.Config{Mode: transport.ModePipeline},
		reactor.Config{SizeHint: n})
	st.dec.forgetRegisters = true
	st.add(n, period)
	took, ok := st.waitHealthy(5 * time.Minute)
	require.True(t, ok, "registered: %+v", st.srv.Counters())
	t.Logf("%d instances registered and healthy after %v", n, took)
	time.Sleep(2 * period) // steady state: light beats, queue drained
	heap0 := measure.HeapInUse()

	st.srv.Restart()
	restartAt := time.Now()
	time.Sleep(2 * period)
	back := st.srv.Len()
	t.Logf("%d of %d registered again %v after the restart (%+v)", back, n, time.Since(restartAt), st.r.Stats())
	assert.GreaterOrEqual(t, float64(back), 0.999*n, "registered again within two periods")

	// Every 20404 ends in a registration or was coalesced into one.
	drained := func() bool {
		s := st.r.Stats()
		return s.Reregistered+s.ReregisterFailed+s.ReregisterCoalesced+s.ReregisterUnneeded == s.Failed.NotFound
	}
	deadline := time.Now().Add(15 * time.Minute)
	for !drained() && time.Now().Before(deadline) {
		time.Sleep(period)
	}
	require.True(t, drained(), "re-registrations drained: %+v", st.r.Stats())
	took, ok = st.waitHealthy(2 * time.Minute)
	require.True(t, ok, "every instance healthy: %+v", st.srv.Counters())
	time.Sleep(2 * period)
	heap1 := measure.HeapInUse()
	s := st.r.Stats()
	t.Logf("drained %v after the restart; heap %d -> %d MiB (%+.1f%%); 20404 %d, re-registered %d, coalesced %d, unneeded %d, rate now %.0f/s",
		time.Since(restartAt), heap0>>20, heap1>>20, 100*(float64(heap1)/float64(heap0)-1),
		s.Failed.NotFound, s.Reregistered, s.ReregisterCoalesced, s.ReregisterUnneeded, s.ReregisterRate)
	assert.LessOrEqual(t, float64(heap1), 1.1*float64(heap0), "heap back within 10 %% of before the restart")
	require.Equal(t, n, st.r.Len(), "no instance lost from the Reactor")
}
