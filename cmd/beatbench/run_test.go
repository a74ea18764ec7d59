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
	require.NoError(t, run(context.Background(), cfg, &out))
	s := out.String()
	assert.Contains(t, s, "beatbench: 1000 instances, period 200ms, transport "+transport)
	assert.Contains(t, s, "scheduler "+scheduler)
	assert.Regexp(t, `(?m)^\s+1s\s+1000\s+\d+`, s, "a progress line after a second")
	assert.Contains(t, s, "summary of the steady")
	assert.InDelta(t, 100, number(t, s, `delivered ([0-9.]+)%`), 20)
	assert.InDelta(t, 5000, number(t, s, `(?m)^  beats/s\s+([0-9.]+)`), 1000)
	assert.Positive(t, number(t, s, `CPU per beat\s+([0-9.]+) ns`))
	// Heap per instance is noise at 1000 instances: only its line is checked.
	assert.Regexp(t, `memory\s+-?[0-9]+ B per instance`, s)
	assert.Regexp(t, `lateness\s+p50 \S+, p99 \S+, p999 \S+, max \S+`, s)
	assert.NotContains(t, s, "errors")
	if transport == "none" {
		assert.NotContains(t, s, "reactor")
		return
	}
	// The reactor's own count agrees with the beats the Meter saw.
	sent := number(t, s, `(?m)^  reactor\s+(\d+) sent`)
	assert.InDelta(t, number(t, s, `(?m)^  beats\s+(\d+) of`), sent, 0.05*sent)
	assert.Contains(t, s, "failed: none")
	if transport == "nacos" {
		// The embedded server saw every beat the reactor says it sent.
		assert.InDelta(t, sent, number(t, s, `server\s+(\d+) beats received`), 0.05*sent)
		assert.Contains(t, s, "1000 healthy, 0 unhealthy")
	}
}

// testConfig is a short run of 1000 instances.
func testConfig(transport, scheduler string) config {
	return config{instances: 1000, services: 10, period: 200 * time.Millisecond, duration: 1500 * time.Millisecond,
		tick: 10 * time.Millisecond, scheduler: scheduler, transport: transport, mode: tr.ModePipeline}
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := testConfig("none", "wheel")
	cfg.duration = time.Hour
	var out bytes.Buffer
	start := time.Now()
	require.NoError(t, run(ctx, cfg, &out))
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, out.String(), "interrupted: the report so far")
	assert.Contains(t, out.String(), "too short to leave out a period of warm-up")
	assert.Positive(t, number(t, out.String(), `(?m)^  beats\s+(\d+) of`))
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, assert.AnError }

func TestRunReportsWriteErrors(t *testing.T) {
	cfg := testConfig("none", "wheel")
	cfg.duration = 50 * time.Millisecond
	require.ErrorIs(t, run(context.Background(), cfg, failWriter{}), assert.AnError)
}

func TestLate(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Nanosecond, "1.5µs"},
		{5_571_123 * time.Nanosecond, "5.571ms"},
		{12_345_678 * time.Nanosecond, "12.3ms"},
		{2345 * time.Millisecond, "2.345s"},
		{12345 * time.Millisecond, "12.3s"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, late(tc.d), "%d", tc.d)
	}
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
			err := run(context.Background(), cfg, &out)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "wrong", "the password stays out of errors")
			assert.Zero(t, srv.Len())
		})
	}
}
