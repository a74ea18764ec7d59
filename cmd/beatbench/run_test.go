package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	cfg := config{instances: 1000, period: 200 * time.Millisecond, duration: 1500 * time.Millisecond, tick: 10 * time.Millisecond, scheduler: scheduler, transport: transport}
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), cfg, &out))
	s := out.String()
	assert.Contains(t, s, "beatbench: 1000 instances, period 200ms, transport "+transport+", scheduler "+scheduler)
	assert.Regexp(t, `(?m)^\s+1s\s+\d+`, s, "a progress line after a second")
	assert.Contains(t, s, "summary of the steady")
	assert.InDelta(t, 1.0, number(t, s, `fired/expected ([0-9.]+)`), 0.2)
	assert.InDelta(t, 5000, number(t, s, `(?m)^  beats/s\s+([0-9.]+)`), 1000)
	assert.Positive(t, number(t, s, `CPU per beat\s+([0-9.]+) ns`))
	assert.Positive(t, number(t, s, `memory\s+([0-9.]+) B per instance`))
	assert.Regexp(t, `lateness\s+p50 \S+, p99 \S+, p999 \S+, max \S+`, s)
	assert.NotContains(t, s, "errors")
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	cfg := config{instances: 100, period: 100 * time.Millisecond, duration: time.Hour, tick: 10 * time.Millisecond, scheduler: "wheel", transport: "none"}
	var out bytes.Buffer
	start := time.Now()
	require.NoError(t, run(ctx, cfg, &out))
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, out.String(), "interrupted: the report so far")
	assert.Contains(t, out.String(), "summary of the whole")
	assert.Positive(t, number(t, out.String(), `(?m)^  beats\s+(\d+) of`))
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, assert.AnError }

func TestRunReportsWriteErrors(t *testing.T) {
	cfg := config{instances: 10, period: 100 * time.Millisecond, duration: 50 * time.Millisecond, tick: 10 * time.Millisecond, scheduler: "wheel", transport: "none"}
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
