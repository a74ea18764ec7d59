package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/transport"
)

// TestHarness runs every way through a small scenario, so that CI catches
// a broken harness or way without running the benchmark. A busy machine
// makes beats late, and a late beat moves out of the window or into it:
// the bounds on the window's count are widened by the lateness the window
// itself measured, plus a few periods (see windowBeats), so that a busy
// machine widens them instead of crossing them. They still fail a way that
// loses a third of its instances or beats twice a period. Lateness, CPU and
// memory figures are the benchmark's to report.
func TestHarness(t *testing.T) {
	sc := scenario{instances: 500, period: 100 * time.Millisecond, warmup: 100 * time.Millisecond, window: time.Second}
	for _, w := range ways() {
		t.Run(w.name, func(t *testing.T) {
			r, err := sc.run(w.start)
			require.NoError(t, err)
			st := r.steady
			require.Positive(t, st.Beats)
			low, high := windowBeats(sc.instances, sc.period, st)
			assert.GreaterOrEqual(t, float64(st.Beats), low, "fired %d of %.0f expected, max late %v", st.Beats, st.Expected, st.MaxLate())
			assert.LessOrEqual(t, float64(st.Beats), high, "fired %d of %.0f expected, max late %v", st.Beats, st.Expected, st.MaxLate())
			assert.GreaterOrEqual(t, st.Elapsed, sc.window)
			assert.Positive(t, st.CPUPerBeat())
			assert.Positive(t, r.add)
			// Heap per instance is noise at 500 instances (from -600 to
			// +1,225 B for one way in three runs): the benchmark measures
			// it, and internal/measure tests the reading.
		})
	}
}

// windowBeats bounds the beats n instances, each due every period, can
// fire in the window st measured, given the lateness it measured.
//
// An instance's due times are at least a period apart (every way re-arms
// a period after the due time, or later), and a beat fired in the window
// was due at most st.MaxLate() before it: at most (Elapsed + MaxLate) /
// period + 1 due times per instance, plus one period for what the window's
// two samples do not see (the time a sample takes, a reactor's hand-off to
// its senders). A beat due in the window and not fired in it was more late
// than any the window saw, or lost: at least (Elapsed - MaxLate) / period
// per instance, less three periods for beats due in the window's last
// moments and for the window's edges. A way that loses instances or
// fires each twice lands outside both as soon as lateness is below a few
// periods; a way that drifts (goroutine) only shows more lateness.
func windowBeats(n int, period time.Duration, st measure.Stats) (low, high float64) {
	late := float64(st.MaxLate())
	per := float64(period)
	elapsed := float64(st.Elapsed)
	low = float64(n) * (elapsed - late - 3*per) / per
	high = float64(n) * ((elapsed+late)/per + 2)
	return low, high
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "10000,100000,1000000", want: []int{10000, 100000, 1000000}},
		{in: " 2000 , 1_000_000", want: []int{2000, 1000000}},
		{in: "10k", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-5", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSizes(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestEndToEnd runs every end-to-end way through a small scenario against
// nacostest, so that CI catches a broken end-to-end harness. How many
// beats land in the window depends on the machine's speed (the benchmark
// reports it); what the test asserts does not: every instance registered,
// beats delivered in the window, no more beats over the run than were due,
// and, for the reactor ways, the server's counts and the reactor's
// agreeing beat for beat, with no failure a slow machine does not explain.
func TestEndToEnd(t *testing.T) {
	sc := scenario{instances: 200, period: 250 * time.Millisecond, warmup: 250 * time.Millisecond, window: time.Second}
	for _, w := range e2eWays() {
		t.Run(w.name, func(t *testing.T) {
			r, err := sc.runE2E(w.start, t.TempDir())
			require.NoError(t, err)
			n := uint64(sc.instances)
			assert.GreaterOrEqual(t, r.registered, n, "every instance registered before start returned")
			assert.LessOrEqual(t, r.atEnd.Healthy+r.atEnd.Unhealthy, sc.instances, "no instance outside the population")
			accepted := r.total.Beats - r.total.NotFound
			require.Positive(t, r.delivered)
			assert.LessOrEqual(t, r.delivered, accepted, "the window is part of the run")
			// An instance's beats are due a period apart or more (the SDK
			// sleeps a period after each answer), none before start:
			// each has at most untilEnd/period + 1 due by the window's end.
			due := n * uint64(r.untilEnd/sc.period+1)
			assert.LessOrEqual(t, r.atEnd.Beats-r.atEnd.NotFound, due, "beats accepted by the window's end against the most that were due")
			assert.Positive(t, r.cpuPerBeat())
			// Heap per instance is noise at 200 instances: the benchmark
			// measures it.
			if w.sdk {
				assert.Zero(t, r.total.LightBeats, "the SDK sends full beats only")
				assert.Zero(t, r.total.NotFound, "a full beat is never answered 20404")
				return
			}
			require.True(t, r.reactor)
			assert.Positive(t, r.sendP99)
			// In the window: a slow machine times beats out, and an
			// instance beaten too late is removed and answered 20404;
			// nothing else fails.
			assert.Zero(t, r.failures.Code, "answers other than 10200 and 20404")
			assert.Zero(t, r.failures.Transport, "transport errors")
			// Once the reactor is closed every beat it sent has its
			// outcome: the server accepted each beat the reactor counted
			// accepted, and each other one it accepted was a beat whose
			// answer the reactor did not get (timed out, or cut by Close).
			f := r.final
			assert.Zero(t, f.Failed.Code)
			assert.LessOrEqual(t, f.OK, accepted, "beats the reactor saw accepted")
			assert.LessOrEqual(t, accepted, f.OK+f.Failed.Timeout+f.Failed.Transport, "beats the server accepted")
			assert.LessOrEqual(t, f.Failed.NotFound, r.total.NotFound, "20404s the reactor saw")
			assert.LessOrEqual(t, r.total.Beats, f.Sent, "beats the server saw")
		})
	}
}

// TestBeatThroughput drives every client of BenchmarkBeatThroughput
// briefly, so that CI catches a broken client: each must get beats
// through, against a server with no connection limit and one that ends
// each connection after 100 requests; the server must count exactly the
// beats the client saw accepted, and none may fail but by waiting out its
// timeout. fasthttp's PipelineClient against the limit is the exception:
// it loses what it wrote behind the server's last answer, which is what
// BenchmarkBeatThroughput shows.
//
// fasthttp's HostClient (the baseline, and the transport's hostclient
// mode) can miss a connection released between its pool check and its
// queueing for one (valyala/fasthttp#2391, open against v1.69.0): that
// caller waits out MaxConnWaitTimeout and fails, though a connection is
// idle. A busy machine widens that gap. The window is shorter than the
// timeout, so such a failure ends a goroutine's last call: at most one
// call, of up to cfg.batch beats, per goroutine, and the run lasts the
// timeout at least.
func TestBeatThroughput(t *testing.T) {
	for _, limit := range []int{-1, 100} {
		t.Run(limitName(limit), func(t *testing.T) {
			cfg := tpConfig{instances: 100, conns: 2, goroutines: 4, batch: 8, window: 200 * time.Millisecond, limit: limit}
			srv, infos, err := tpServer(cfg)
			require.NoError(t, err)
			defer srv.Close()
			assert.Equal(t, cfg.instances, srv.Len())
			for _, mk := range tpClients(srv.Addr(), infos, cfg) {
				cl, err := mk()
				require.NoError(t, err)
				t.Run(cl.name, func(t *testing.T) {
					defer cl.close()
					r := runTP(srv, cl, cfg.window)
					assert.Positive(t, r.ok)
					assert.Positive(t, r.cpu)
					if limit > 0 && strings.HasPrefix(cl.name, "fasthttp.PipelineClient") {
						return
					}
					if r.failed > 0 {
						assert.GreaterOrEqual(t, r.elapsed, transport.DefaultTimeout, "%d beats failed before their timeout", r.failed)
						assert.LessOrEqual(t, r.failed, uint64(cl.goroutines*cfg.batch), "more failures than goroutines' last calls")
					}
					// Equal when nothing failed: a beat whose answer the client
					// did not get may or may not have reached the server.
					assert.LessOrEqual(t, r.ok, r.delivered, "the server counted every beat the client saw accepted")
					assert.LessOrEqual(t, r.delivered, r.ok+r.failed, "the client saw an answer to every beat the server counted")
				})
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	got, err := parseLimits("100, off,7")
	require.NoError(t, err)
	assert.Equal(t, []int{100, -1, 7}, got)
	for _, bad := range []string{"", "0", "-3", "x"} {
		_, err := parseLimits(bad)
		assert.Error(t, err, bad)
	}
}
