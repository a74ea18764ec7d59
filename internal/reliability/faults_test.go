package reliability

import (
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
//     registration at the client, every reset at least one, and the client
//     never saw more accepted beats than the server accepted;
//   - once the faults are cleared every instance beats again, and is
//     accepted, within two periods;
//   - the scheduler keeps every other beat on time: lateness p99 stays a
//     few ticks.
func TestSlowAndBrokenServer(t *testing.T) {
	n, period, phase := 1000, 200*time.Millisecond, time.Second
	if long() {
		n, period, phase = 20_000, 500*time.Millisecond, 10*time.Second
	}
	const readTimeout = 100 * time.Millisecond
	st := newStack(t,
		nacostest.Config{ClientBeatInterval: period, UnhealthyAfter: 5 * period, RemoveAfter: 10 * period,
			CheckInterval: period / 4},
		transport.Config{Mode: transport.ModePipeline, ReadTimeout: readTimeout, WriteTimeout: time.Second},
		reactor.Config{MinInterval: period, ReregisterRate: float64(n)})
	st.dec.track = true
	st.add(n, period)
	_, ok := st.waitHealthy(20*period + 10*time.Second)
	require.True(t, ok, "registered: %+v", st.srv.Counters())

	phases := []struct {
		name   string
		faults nacostest.Faults
		// exact: no resets, so every 500 and malformed answer the server
		// wrote reaches the client (a reset discards the answers queued
		// before it on its connection).
		exact bool
		check func(t *testing.T, before, after reactor.Stats)
	}{
		{"latency beyond ReadTimeout", nacostest.Faults{Latency: 3 * readTimeout}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Timeout, b.Failed.Timeout, "late answers fail as timeouts")
		}},
		{"5xx burst", nacostest.Faults{ErrorRate: 0.5}, true, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"resets mid batch", nacostest.Faults{ResetRate: 0.02}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"malformed bodies", nacostest.Faults{MalformedRate: 0.5}, true, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
		{"all at once", nacostest.Faults{ErrorRate: 0.2, ResetRate: 0.01, MalformedRate: 0.2}, false, func(t *testing.T, b, a reactor.Stats) {
			assert.Greater(t, a.Failed.Transport, b.Failed.Transport)
		}},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			before := st.r.Stats()
			srvBefore := st.srv.Counters()
			statusBefore, responseBefore := st.dec.status.Load(), st.dec.response.Load()
			regBefore := st.dec.registerErrors()
			require.NoError(t, st.srv.SetFaults(ph.faults))
			time.Sleep(phase)
			require.NoError(t, st.srv.SetFaults(nacostest.Faults{}))
			cleared := time.Now()
			// Every instance is accepted again within two periods
			// (plus the ReadTimeout of a beat sent just before).
			deadline := cleared.Add(2*period + readTimeout + 50*time.Millisecond)
			if raceEnabled {
				deadline = deadline.Add(2 * period)
			}
			time.Sleep(time.Until(deadline))
			stale := st.dec.staleSince(st.infos, cleared)
			assert.Zero(t, stale, "instances not accepted again within 2 periods of the faults clearing")
			after := st.r.Stats()
			ph.check(t, before, after)
			assert.Equal(t, n, st.r.Len())
			c := st.srv.Counters()
			if ph.exact {
				// Registrations fail too; the decorator counts them.
				re := st.dec.registerErrors()
				assert.Equal(t, c.Errors-srvBefore.Errors, st.dec.status.Load()-statusBefore+uint64(re.status-regBefore.status),
					"each 500 the server answered is one failed beat or registration")
				assert.Equal(t, c.Malformed-srvBefore.Malformed, st.dec.response.Load()-responseBefore+uint64(re.response-regBefore.response),
					"each malformed answer is one failed beat or registration")
			}
			t.Logf("reactor: sent %d ok %d failed %+v lateness p99 %v max %v; server: beats %d errors %d resets %d malformed %d",
				after.Sent-before.Sent, after.OK-before.OK, after.Failed, after.Lateness.P99, after.Lateness.Max,
				c.Beats, c.Errors, c.Resets, c.Malformed)
		})
	}
	_, ok = st.waitHealthy(5 * period)
	assert.True(t, ok, "all healthy at the server after the faults")
	st.checkEach()

	st.close()
	c := st.srv.Counters()
	s := st.checkCounts()
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
	// server must not hold the others back.
	lateLimit := 50 * time.Millisecond // 5 ticks of the default wheel
	if raceEnabled {
		lateLimit = 150 * time.Millisecond
	}
	t.Logf("final: %+v; server %+v; register errors %+v", s, c, re)
	assert.LessOrEqual(t, s.Lateness.P99, lateLimit, "lateness p99")
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
