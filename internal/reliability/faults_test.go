package reliability

import (
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// TestSlowAndBrokenServer runs one phase per fault of nacostest: answers
// later than the transport's ReadTimeout, HTTP 500 bursts, connection resets
// in the middle of pipelined batches, and bodies that are not JSON. In every
// phase:
//
//   - each failed beat is counted exactly once: Sent == OK + Failed, and the
//     Reactor's Stats equal the tally of a decorator around the transport
//     (checked once everything is closed);
//   - the server's counts agree with the client's: every 500 and every
//     malformed answer the server gave is exactly one failed beat or
//     registration at the client, but for those a session killed before
//     reading them (a timeout, a connection error: each fails the beats
//     in flight with its own error), every reset at least one, and the
//     client never saw more accepted beats than the server accepted;
//   - once the faults are cleared every instance beats again, and is
//     accepted, within two periods plus the ReadTimeout of a beat sent
//     just before plus the machine's lag the Reactor measured;
//   - the scheduler keeps every other beat on time: the lateness p99 over
//     the faults stays within a ReadTimeout of the p99 the same run
//     measured without faults (a scheduler held back by the slow answers
//     is late by ReadTimeouts).
//
// No beat is skipped as late (SkipLate +Inf): at a 200 ms period the skip
// floor is half a period, and skipping is the reactor's phase tests'
// subject, not this one's.
func TestSlowAndBrokenServer(t *testing.T) {
	n, period, phase := 1000, 200*time.Millisecond, time.Second
	if long() {
		n, period, phase = 20_000, 500*time.Millisecond, 10*time.Second
	}
	// Long against a busy machine's lag, so that the phases without
	// latency rarely time out and their counts are exact.
	const readTimeout = 500 * time.Millisecond
	st := newStack(t,
		nacostest.Config{ClientBeatInterval: period, UnhealthyAfter: 5 * period, RemoveAfter: 10 * period,
			CheckInterval: period / 4},
		transport.Config{Mode: transport.ModePipeline, ReadTimeout: readTimeout, WriteTimeout: time.Second},
		reactor.Config{MinInterval: period, ReregisterRate: float64(n), SkipLate: math.Inf(1)})
	st.dec.track = true
	st.add(n, period)
	_, ok := st.waitHealthy(20*period + 10*time.Second)
	require.True(t, ok, "registered: %+v", st.srv.Counters())
	// The baseline: the lateness this machine shows now, without faults.
	baseFrom := st.r.Stats().LatenessHistogram
	time.Sleep(phase)
	faultsFrom := st.r.Stats().LatenessHistogram

	// The latency phase comes after the counted ones: the server answers
	// the requests queued behind a late one after the client gave up on
	// the connection, so the next phase's answers on it are never read.
	phases := []struct {
		name   string
		faults nacostest.Faults
		// counted: no resets, so every 500 and malformed answer the
		// server wrote reaches the client unless a timeout or connection
		// error killed its session first (a reset discards the answers
		// queued before it on its connection).
		counted bool
		check   func(t *testing.T, before, after reactor.Stats)
	}{
		{"5xx burst", nacostest.Faults{ErrorRate: 0.5}, true, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"resets mid batch", nacostest.Faults{ResetRate: 0.02}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"malformed bodies", nacostest.Faults{MalformedRate: 0.5}, true, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"latency beyond ReadTimeout", nacostest.Faults{Latency: 2 * readTimeout}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Timeout, b.Failed.Timeout, "late answers fail as timeouts")
		}},
		{"all at once", nacostest.Faults{ErrorRate: 0.2, ResetRate: 0.01, MalformedRate: 0.2}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			before := st.r.Stats()
			srvBefore := st.srv.Counters()
			decBefore := st.dec.tally()
			require.NoError(t, st.srv.SetFaults(ph.faults))
			time.Sleep(phase)
			require.NoError(t, st.srv.SetFaults(nacostest.Faults{}))
			cleared := time.Now()
			// Every instance is accepted again within two periods, plus
			// the ReadTimeout of a beat sent just before, plus the most
			// the Reactor saw a beat leave late and a send take (plus
			// busySlack on a shared machine). An
			// instance the Reactor stopped beating, or whose beats keep
			// failing, misses any such bound.
			stale, bound := st.waitAccepted(cleared, 2*period+readTimeout+busySlack())
			assert.Zero(t, stale, "instances not accepted again within %v of the faults clearing", bound)
			after := st.r.Stats()
			ph.check(t, before, after)
			assert.Equal(t, n, st.r.Len())
			c := st.srv.Counters()
			d := st.dec.tally().sub(decBefore)
			if ph.counted {
				// Registrations fail too; the decorator counts them. A
				// timeout or connection error fails the beats in flight
				// on its session with its own error: the 500s and
				// malformed answers among them are never read.
				lost := d.cut
				errs, malformed := c.Errors-srvBefore.Errors, c.Malformed-srvBefore.Malformed
				t.Logf("server: 500s %d malformed %d; client: 500s %d malformed %d, lost to killed sessions %d",
					errs, malformed, d.status, d.response, lost)
				assert.LessOrEqual(t, d.status, errs, "no 500 seen that the server did not answer")
				assert.LessOrEqual(t, errs-d.status, lost,
					"each 500 the server answered is one failed beat or registration, but for those lost to a killed session")
				assert.LessOrEqual(t, d.response, malformed, "no malformed answer seen that the server did not give")
				assert.LessOrEqual(t, malformed-d.response, lost,
					"each malformed answer is one failed beat or registration, but for those lost to a killed session")
			}
			t.Logf("reactor: sent %d ok %d failed %+v lateness p99 %v max %v; server: beats %d errors %d resets %d malformed %d",
				after.Sent-before.Sent, after.OK-before.OK, after.Failed, after.Lateness.P99, after.Lateness.Max,
				c.Beats, c.Errors, c.Resets, c.Malformed)
		})
	}
	faultsTo := st.r.Stats().LatenessHistogram
	s := st.r.Stats()
	_, ok = st.waitHealthy(5*period + s.Lateness.Max + s.SendLatency.Max)
	assert.True(t, ok, "all healthy at the server after the faults")
	st.checkEach()

	st.close()
	c := st.srv.Counters()
	s = st.checkCounts()
	d := st.dec
	re := d.registerErrors()
	// No 500 or malformed answer is seen twice (pipelined beats are never
	// retried); a reset may discard answers queued before it.
	assert.LessOrEqual(t, d.status.Load()+uint64(re.status), c.Errors, "500s seen vs answered")
	assert.LessOrEqual(t, d.response.Load()+uint64(re.response), c.Malformed, "malformed seen vs answered")
	// A reset kills its connection: the reset request and those behind it
	// fail.
	assert.LessOrEqual(t, c.Resets, d.conn.Load()+uint64(re.conn), "resets vs connection errors")
	assert.Positive(t, c.Resets)
	// The server answered 10200 at least as often as the client counted OK.
	assert.LessOrEqual(t, s.OK+s.Failed.NotFound, c.Beats, "accepted beats")
	assert.LessOrEqual(t, s.OK, c.Beats-c.NotFound)
	assert.Zero(t, s.Failed.Code)
	// Lateness is measured when the scheduler hands a beat out: a slow
	// server must not hold the others back. Compared with the same run's
	// baseline, so a busy machine moves both: the p99 over the faults
	// (taken at the low end of its bucket) stays within a ReadTimeout of
	// the baseline's (at the high end of its bucket). With the
	// Histogram's buckets (..., 250 ms, 500 ms, 1 s, 2.5 s) that fails
	// once the p99 passes 1 s, five periods (the server's health limit),
	// while the baseline's stayed under 500 ms: what a scheduler that
	// waits for slow sends shows (Senders: 1 puts it in (1 s, 2.5 s]).
	base := quantileBetween(baseFrom, faultsFrom, 0.99)
	faults := quantileBetween(faultsFrom, faultsTo, 0.99)
	t.Logf("final: %+v; server %+v; register errors %+v", s, c, re)
	t.Logf("lateness p99: baseline in (%v, %v], over the faults in (%v, %v]", base.low, base.high, faults.low, faults.high)
	assert.LessOrEqual(t, faults.low, base.high+readTimeout, "lateness p99 over the faults vs the baseline")
}

// TestOversizedBodies: nacostest cannot answer with an oversized body, so a
// small fasthttp server does, for every other beat while oversize is set.
// Each such answer fails its beat (and its pipelined connection) with
// ErrBodyTooLarge, counted once as a transport failure, and the instances
// beat again and are accepted once the answers are back to normal.
func TestOversizedBodies(t *testing.T) {
	const n, period, maxBody = 500, 200 * time.Millisecond, 1024
	var oversize atomic.Bool
	var big, beats atomic.Uint64
	okBody := `{"clientBeatInterval":200,"code":10200,"lightBeatEnabled":true}`
	ts := newHTTPServer(t, func(ctx *fasthttp.RequestCtx) {
		if !strings.HasSuffix(string(ctx.Path()), "/beat") {
			ctx.SetBodyString("ok")
			return
		}
		if beats.Add(1)%2 == 0 && oversize.Load() {
			big.Add(1)
			ctx.SetBodyString(okBody + strings.Repeat(" ", 2*maxBody))
			return
		}
		ctx.SetBodyString(okBody)
	})
	st := &stack{t: t}
	st.start(transport.Config{Servers: []string{ts.addr}, Mode: transport.ModePipeline,
		MaxResponseBodySize: maxBody, ReadTimeout: time.Second},
		reactor.Config{MinInterval: period})
	dec := st.dec
	dec.track = true
	st.add(n, period)
	time.Sleep(2 * period)
	oversize.Store(true)
	time.Sleep(5 * period)
	oversize.Store(false)
	cleared := time.Now()
	time.Sleep(3 * period)
	stale := dec.staleSince(st.infos, cleared)
	assert.Zero(t, stale, "instances not accepted again after the oversized answers stopped")
	st.close()
	s := st.checkCounts()
	t.Logf("oversized answers %d; client: too large %d, connection %d; stats %+v", big.Load(), dec.tooLarge.Load(), dec.conn.Load(), s.Failed)
	require.Positive(t, big.Load())
	assert.GreaterOrEqual(t, dec.tooLarge.Load(), big.Load(), "each oversized answer fails at least its beat")
	assert.Equal(t, s.Failed.Transport, s.Failed.Total(), "counted as transport failures")
	assert.LessOrEqual(t, s.OK, beats.Load()-big.Load(), "no OK the server did not give")
}

type httpServer struct {
	addr string
	srv  *fasthttp.Server
	done chan struct{}
}

func newHTTPServer(t *testing.T, h fasthttp.RequestHandler) *httpServer {
	t.Helper()
	ln, err := netListen()
	require.NoError(t, err)
	hs := &httpServer{addr: ln.Addr().String(), done: make(chan struct{}),
		srv: &fasthttp.Server{Handler: h, NoDefaultDate: true}}
	go func() { defer close(hs.done); _ = hs.srv.Serve(ln) }()
	t.Cleanup(func() { _ = hs.srv.Shutdown(); <-hs.done })
	return hs
}
