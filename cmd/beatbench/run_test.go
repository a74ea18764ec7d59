package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
// checks that the report says something sane. Bounds are loose: the
// machine may be busy.
func TestRunShort(t *testing.T) {
	for _, tr := range transportNames() {
		for _, sched := range schedulerNames() {
			t.Run(tr+"/"+sched, func(t *testing.T) { runShort(t, tr, sched) })
		}
	}
}

func runShort(t *testing.T, transport, scheduler string) {
	cfg := testConfig(transport, scheduler)
	var out bytes.Buffer
	rep, err := run(context.Background(), cfg, &out)
	require.NoError(t, err)
	s := out.String()
	assert.Contains(t, s, "beatbench: 1000 instances, period 200ms, transport "+transport)
	assert.Contains(t, s, "scheduler "+scheduler)
	assert.Regexp(t, `(?m)^\s+1(\.\d)?s\s+\d+\s+\d+`, s, "a progress line after a second")
	assert.Contains(t, s, "Window: the steady")
	assert.True(t, rep.Window.Steady)
	assert.True(t, rep.Window.AllAdded)
	assert.Equal(t, 1000, rep.Window.Added)
	assert.InDelta(t, 100, rep.Beats.DeliveredPct, 20)
	assert.InDelta(t, 5000, rep.Beats.PerSecond, 1000)
	assert.Positive(t, rep.Cost.CPUPerBeat)
	assert.Regexp(t, `(?m)^Lateness(\s+\S+){5}$`, s)
	assert.Regexp(t, `(?m)^Beats\s+\d+\s+\d+\s+\d+\s+0\s+[0-9.]+%\s+\d+$`, s)
	assert.Empty(t, rep.Problems)
	assert.NotContains(t, s, "Errors")
	if transport == "none" {
		assert.Nil(t, rep.SendLatency)
		assert.NotContains(t, s, "Send latency")
		return
	}
	// The reactor's own count agrees with the beats the Meter saw.
	sent := float64(rep.Beats.Sent)
	assert.InDelta(t, float64(rep.Beats.OK), sent, 0.05*sent)
	assert.Zero(t, rep.Beats.Failed.Total)
	require.NotNil(t, rep.SendLatency)
	assert.Positive(t, rep.SendLatency.Count)
	if transport == "nacos" {
		// The embedded server saw every beat the reactor says it sent.
		require.NotNil(t, rep.Server)
		assert.InDelta(t, sent, float64(rep.Server.Beats), 0.05*sent)
		// Lateness covers the delivered beats: those the server received.
		assert.InDelta(t, float64(rep.Server.Beats), float64(rep.Lateness.Count), 0.05*sent)
		assert.Equal(t, 1000, rep.Server.Healthy)
		assert.Zero(t, rep.Server.Unhealthy)
		assert.Regexp(t, `(?m)^Server\s+\d+\s+0\s+1000\s+1000\s+0$`, s)
	}
}

// testConfig is a short run of 1000 instances, validated as run needs.
func testConfig(transport, scheduler string) config {
	cfg := config{instances: 1000, services: 10, period: 200 * time.Millisecond, duration: 1500 * time.Millisecond,
		tick: 10 * time.Millisecond, scheduler: scheduler, transport: transport, mode: tr.ModePipeline, shard: noShard}
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
// checks the report against the server's counters: the server received
// every beat the reactor says was delivered, and every instance is healthy.
func TestRunAgainstServer(t *testing.T) {
	const n = 600
	srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	defer srv.Close()
	cfg := testConfig("nacos", "wheel")
	cfg.instances, cfg.servers, cfg.keep = n, []string{srv.Addr()}, true
	var out bytes.Buffer
	rep, err := run(context.Background(), cfg, &out)
	require.NoError(t, err)
	c := srv.Counters()
	assert.NotContains(t, out.String(), "deregister", "-keep")
	assert.Zero(t, c.Deregistrations)

	assert.Nil(t, rep.Server, "no embedded server")
	assert.Equal(t, n, c.Healthy, "every instance healthy")
	assert.Zero(t, c.Unhealthy)
	assert.Equal(t, n, srv.Len())
	assert.Equal(t, uint64(n), c.Registrations)
	assert.Zero(t, rep.Registrations.Failed)
	assert.Zero(t, rep.Beats.Failed.Total)
	assert.Zero(t, c.NotFound)
	// The window is part of the run: the server saw at least the window's
	// beats and, over the whole run, no more than the run could send.
	assert.GreaterOrEqual(t, c.Beats, rep.Beats.OK)
	whole := float64(n) * (rep.End.Sub(rep.Start).Seconds() + 0.2) / cfg.period.Seconds()
	assert.LessOrEqual(t, float64(c.Beats), whole)
	sent := float64(rep.Beats.Sent)
	// Sent is counted when a batch's answers are handled, ok as each beat
	// is answered: a batch in flight at either edge of the window counts
	// in one and not the other.
	assert.InDelta(t, sent, float64(rep.Beats.OK), 0.05*sent, "ok within 5% of sent")
	assert.InDelta(t, 100, rep.Beats.DeliveredPct, 10)
}
