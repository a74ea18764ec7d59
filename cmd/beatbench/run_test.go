package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/internal/report"
	tr "github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// number finds the number after label in a summary line of out.
func number(t *testing.T, out, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	require.Len(t, m, 2, "no %q in:\n%s", pattern, out)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

// TestRunShort runs each transport on each scheduler for real, briefly, and
// checks what cannot vary with the machine's speed: the run completes, its
// report's fields agree with each other, and once the run has stopped (no
// beat in flight) the reactor's, the Meter's and the embedded server's counts
// agree exactly. How many of the expected beats a busy machine delivers is
// not asserted beyond "some, and at most one beat per instance and period".
func TestRunShort(t *testing.T) {
	for _, tr := range transportNames() {
		for _, sched := range schedulerNames() {
			t.Run(tr+"/"+sched, func(t *testing.T) { runShort(t, tr, sched) })
		}
	}
}

// captured is what a run's load leaves behind, read once run has returned:
// the load has stopped then, so no beat is in flight and every counter is
// final.
type captured struct {
	ld load
	m  *measure.Meter
}

// capture makes cfg's transport hand its load and Meter to the returned
// captured as run starts it.
func capture(cfg *config) *captured {
	c := &captured{}
	start := cfg.trans.start
	cfg.trans.start = func(ctx context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
		ld, err := start(ctx, sched, cfg, m)
		c.ld, c.m = ld, m
		return ld, err
	}
	return c
}

// runCaptured runs cfg, returning its report, its output, what its load
// left behind, and how long run took: no instance can have beaten more than
// once per period for longer than that.
func runCaptured(t *testing.T, cfg config) (*report.Report, string, *captured, time.Duration) {
	t.Helper()
	c := capture(&cfg)
	var out bytes.Buffer
	start := time.Now()
	rep, err := run(context.Background(), cfg, &out)
	took := time.Since(start)
	require.NoError(t, err, out.String())
	require.NotNil(t, c.ld)
	return rep, out.String(), c, took
}

// probe is the beat a nacos run sends before adding its instances, to read
// the server's interval (serverPeriod): the server counts it, the reactor
// does not.
const probe = 1

// mostBeats is the most beats n instances beating every period can send in
// d: an instance's due times are at least a period apart, the first one
// after it is added, so it has at most d/period+1 of them, and one more
// for a scheduler that fires up to a tick early.
func mostBeats(n int, d, period time.Duration) uint64 {
	return uint64(n) * uint64(d/period+2)
}

// checkWindow checks what a report says of its steady window against
// itself: delivered beats are those the Meter counted in it, each with its
// lateness; the rate and percentage are theirs; and no more were delivered
// than the instances could send by the window's end.
func checkWindow(t *testing.T, rep *report.Report, n int) {
	t.Helper()
	w, b := rep.Window, rep.Beats
	assert.True(t, w.Steady)
	assert.True(t, w.AllAdded)
	assert.Equal(t, n, w.Added)
	assert.Equal(t, b.OK, rep.Lateness.Count, "lateness covers every delivered beat")
	// Expected follows the period the instances beat at: n per period.
	period := rep.BeatPeriod()
	assert.InEpsilon(t, float64(n)*w.Length.Seconds()/period.Seconds(), b.Expected, 1e-6)
	assert.InEpsilon(t, float64(b.OK)/w.Length.Seconds(), b.PerSecond, 1e-9)
	assert.InEpsilon(t, 100*float64(b.OK)/b.Expected, b.DeliveredPct, 1e-9)
	// Some beats got through even on a busy machine. A beat is counted
	// when answered, so a backlog a busy machine built before the window
	// may land in it: the window can hold more than n beats a period, but
	// never more than the instances could send from the start to its end.
	// A beat counted twice or an instance beating twice a period would
	// cross that for the whole run (mostBeats in the callers).
	assert.Positive(t, b.OK)
	assert.LessOrEqual(t, b.OK, mostBeats(n, w.Warmup+w.Length, period), "no more than sent by the window's end")
}

func runShort(t *testing.T, transport, scheduler string) {
	cfg := testConfig(transport, scheduler)
	rep, s, c, took := runCaptured(t, cfg)
	assert.Contains(t, s, "beatbench: 1000 instances, period 200ms, transport "+transport)
	assert.Contains(t, s, "scheduler "+scheduler)
	assert.Regexp(t, `(?m)^\s+1(\.\d)?s\s+\d+\s+\d+`, s, "a progress line after a second")
	assert.Contains(t, s, "Window: the steady")
	checkWindow(t, rep, 1000)
	assert.Equal(t, cfg.period, rep.Window.Period, "the embedded server asks for -period")
	assert.NotContains(t, s, "the server asks for beats every")
	assert.Positive(t, rep.Cost.CPUPerBeat)
	assert.Regexp(t, `(?m)^Lateness(\s+\S+){5}$`, s)
	assert.Regexp(t, `(?m)^Beats\s+\d+\s+\d+\s+\d+\s+0\s+[0-9.]+%\s+\d+$`, s)
	assert.Empty(t, rep.Problems)
	assert.NotContains(t, s, "Errors")
	// Over the whole run, the Meter saw at least the window's beats and no
	// more than the instances could send.
	total := c.m.Beats()
	assert.GreaterOrEqual(t, total, rep.Beats.OK)
	assert.LessOrEqual(t, total, mostBeats(1000, took, cfg.period))
	if transport == "none" {
		assert.Nil(t, rep.SendLatency)
		assert.NotContains(t, s, "Send latency")
		return
	}
	// The window's own reactor counts, then the whole run's, taken after
	// the load stopped: then the Meter has counted exactly the beats the
	// reactor says were accepted, and the reactor sent nothing else.
	assert.Zero(t, rep.Beats.Failed.Total)
	assert.Positive(t, rep.Beats.Sent)
	require.NotNil(t, rep.SendLatency)
	assert.Positive(t, rep.SendLatency.Count)
	st := c.ld.status()
	require.NotNil(t, st.stats)
	assert.LessOrEqual(t, rep.Beats.Sent, st.stats.Sent)
	assert.Equal(t, total, st.stats.OK, "the Meter counts every accepted beat, once")
	// Stopping the load cancels the beats still in flight: those fail
	// (after the window, which had no failure), and each beat sent is
	// accounted for once.
	assert.Equal(t, st.stats.Sent, st.stats.OK+st.stats.Failed.Total(), "sent = ok + failed: %+v", st.stats.Failed)
	if transport == "nacos" {
		// The embedded server received every beat the reactor sent, and
		// only those; every instance is registered and healthy.
		require.NotNil(t, rep.Server)
		require.NotNil(t, st.server)
		// A beat cancelled at the end may have reached the server; the one
		// beat beyond the reactor's is the probe run sends first (serverPeriod).
		assert.GreaterOrEqual(t, st.server.Beats, st.stats.OK+probe, "the server received every accepted beat")
		assert.LessOrEqual(t, st.server.Beats, st.stats.Sent+probe, "and no beat the reactor did not send")
		assert.LessOrEqual(t, rep.Server.Beats, st.server.Beats)
		assert.Zero(t, st.server.NotFound)
		assert.Equal(t, uint64(1000), st.server.Registrations)
		assert.Equal(t, 1000, rep.Server.Healthy)
		assert.Zero(t, rep.Server.Unhealthy)
		assert.Regexp(t, `(?m)^Server\s+\d+\s+0\s+1000\s+1000\s+0$`, s)
	}
}

// testConfig is a short run of 1000 instances, validated as run needs.
func testConfig(transport, scheduler string) config {
	cfg := config{instances: 1000, services: 10, period: 200 * time.Millisecond, duration: 1500 * time.Millisecond,
		tick: 10 * time.Millisecond, scheduler: scheduler, transport: transport, mode: tr.ModePipeline, shard: noShard, gogc: defaultGOGC}
	if err := cfg.validate(); err != nil {
		panic(err)
	}
	return cfg
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := testConfig("none", "wheel")
	cfg.duration, cfg.period = time.Hour, 10*time.Second
	var out bytes.Buffer
	start := time.Now()
	rep, err := run(ctx, cfg, &out)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, out.String(), "interrupted: the report so far")
	assert.Contains(t, out.String(), "too short to leave out a period of warm-up")
	assert.Contains(t, out.String(), "Window shorter than two periods (20s): too short to judge delivery by")
	assert.True(t, rep.Interrupted)
	assert.False(t, rep.Window.Steady)
	assert.True(t, rep.Window.Short)
	assert.Positive(t, rep.Beats.OK)
	assert.Positive(t, number(t, out.String(), `(?m)^Beats\s+\d+\s+\d+\s+(\d+)`))
}

// TestRunSetsGOGC: the garbage collector runs at -gogc while the run does,
// and at what it was before once run returns.
func TestRunSetsGOGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	cfg := testConfig("none", "wheel")
	cfg.gogc = 37
	seen := make(chan uint64, 1)
	stop := make(chan struct{})
	go func() {
		sample := []metrics.Sample{{Name: "/gc/gogc:percent"}}
		var other uint64
		for {
			select {
			case <-stop:
				seen <- other
				return
			case <-time.After(time.Millisecond):
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v != 100 {
				other = v
			}
		}
	}()
	var out bytes.Buffer
	_, err := run(context.Background(), cfg, &out)
	close(stop)
	require.NoError(t, err)
	assert.Equal(t, uint64(37), <-seen, "GOGC during the run")
	assert.Equal(t, 100, debug.SetGCPercent(100), "GOGC after the run")
	assert.Contains(t, out.String(), "GOGC 37")
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, assert.AnError }

func TestRunReportsWriteErrors(t *testing.T) {
	cfg := testConfig("none", "wheel")
	cfg.duration = 50 * time.Millisecond
	_, err := run(context.Background(), cfg, failWriter{})
	require.ErrorIs(t, err, assert.AnError)
}

// TestRunNacosErrors: an unreachable server and a wrong password are one
// clear error each, before any instance is added.
func TestRunNacosErrors(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{Username: "nacos", Password: "right"})
	require.NoError(t, err)
	defer srv.Close()
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	deadAddr := dead.Addr().String()
	require.NoError(t, dead.Close())

	tests := []struct {
		name   string
		modify func(*config)
		want   string
	}{
		{"unreachable", func(c *config) { c.servers = []string{deadAddr} }, "is the server up"},
		{"wrong password", func(c *config) {
			c.servers, c.username, c.password = []string{srv.Addr()}, "nacos", "wrong"
		}, "check -username and -password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("nacos", "wheel")
			tc.modify(&cfg)
			var out bytes.Buffer
			_, err := run(context.Background(), cfg, &out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "wrong", "the password stays out of errors")
			assert.Zero(t, srv.Len())
		})
	}
}

// TestRunAgainstServer runs against a nacostest server of its own and
// checks the report against the server's counters, read after the run when
// no beat is in flight: the server received every beat the reactor says
// was accepted and none it did not send, at least the window's, no more
// than the instances could send, and every instance is registered and
// healthy.
func TestRunAgainstServer(t *testing.T) {
	const n = 600
	srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	defer srv.Close()
	cfg := testConfig("nacos", "wheel")
	cfg.instances, cfg.servers, cfg.keep = n, []string{srv.Addr()}, true
	rep, out, cap, took := runCaptured(t, cfg)
	c := srv.Counters()
	assert.NotContains(t, out, "deregister", "-keep")
	assert.Zero(t, c.Deregistrations)

	assert.Nil(t, rep.Server, "no embedded server")
	assert.Equal(t, n, c.Healthy, "every instance healthy")
	assert.Zero(t, c.Unhealthy)
	assert.Equal(t, n, srv.Len())
	assert.Equal(t, uint64(n), c.Registrations)
	assert.Zero(t, rep.Registrations.Failed)
	assert.Zero(t, rep.Beats.Failed.Total)
	assert.Zero(t, c.NotFound)
	checkWindow(t, rep, n)

	st := cap.ld.status()
	require.NotNil(t, st.stats)
	// Stopping the load cancels the beats in flight, which may or may not
	// have reached the server: between the reactor's accepted and sent,
	// plus the probe run sends first.
	assert.GreaterOrEqual(t, c.Beats, st.stats.OK+probe, "the server received every accepted beat")
	assert.LessOrEqual(t, c.Beats, st.stats.Sent+probe, "and no beat the reactor did not send")
	assert.Equal(t, st.stats.Sent, st.stats.OK+st.stats.Failed.Total(), "sent = ok + failed")
	assert.Equal(t, cap.m.Beats(), st.stats.OK, "the Meter counted each accepted beat once")
	assert.GreaterOrEqual(t, c.Beats, rep.Beats.OK)
	assert.LessOrEqual(t, c.Beats, mostBeats(n, took, cfg.period))
}

// TestRunServerPeriod: a server asking for another period than -period
// (its clientBeatInterval) sets the period the instances beat at, as the
// Nacos client lets it; beatbench says so and counts expected beats, the
// warm-up and the server's beats in that period. With the old count from
// -period, a server asking for 200ms against -period 400ms would show about
// 200 % delivered and send more than mostBeats at 400ms allows; one asking
// for 400ms against 200ms would show about 50 % and fail Expected.
func TestRunServerPeriod(t *testing.T) {
	const n = 300
	tests := []struct {
		name           string
		period, server time.Duration
	}{
		{"server slower", 200 * time.Millisecond, 400 * time.Millisecond},
		{"server faster", 400 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: tc.server})
			require.NoError(t, err)
			defer srv.Close()
			cfg := testConfig("nacos", "wheel")
			cfg.instances, cfg.servers, cfg.keep = n, []string{srv.Addr()}, true
			cfg.period, cfg.duration = tc.period, 2*time.Second
			require.NoError(t, cfg.validate())
			rep, out, _, took := runCaptured(t, cfg)
			assert.Contains(t, out, "the server asks for beats every "+tc.server.String()+" (clientBeatInterval), not -period "+tc.period.String())
			assert.Contains(t, out, "Period: the server asked for beats every "+tc.server.String())
			assert.Equal(t, tc.period, rep.Config.Period, "the report keeps the -period asked for")
			assert.Equal(t, tc.server, rep.Window.Period)
			assert.Equal(t, tc.server, rep.BeatPeriod())
			assert.Empty(t, rep.Problems)
			checkWindow(t, rep, n)
			assert.GreaterOrEqual(t, rep.Window.Warmup-rep.Window.Add, tc.server, "a warm-up of the period in effect")
			c := srv.Counters()
			assert.Equal(t, n, c.Healthy)
			assert.LessOrEqual(t, c.Beats, mostBeats(n, took, tc.server))
		})
	}
}
