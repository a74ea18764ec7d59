package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/report"
	tr "github.com/beatwheel/beatwheel/transport"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// fixedReport is a report with every field set, for the golden file.
func fixedReport() *report.Report {
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	cfg := config{instances: 100_000, services: 1000, period: 5 * time.Second, duration: 30 * time.Second,
		tick: 10 * time.Millisecond, scheduler: "wheel", transport: "nacos", mode: tr.ModePipeline,
		servers: []string{"10.0.0.1:8848"}, ns: "dev", username: "nacos", password: "secret",
		shard: shard{index: 1, count: 4}, minDelivered: 99}
	r := &report.Report{
		Config:        configReport(cfg),
		Shards:        []report.Shard{{Index: 1, Count: 4, Instances: 25_000, Host: "load-2"}},
		Start:         start,
		End:           start.Add(37 * time.Second),
		Window:        report.Window{AllAdded: true, Steady: true, Added: 25_000, Add: 1200 * time.Millisecond, Warmup: 6200 * time.Millisecond, Length: 25 * time.Second},
		Beats:         report.Beats{Expected: 125_000, Sent: 124_990, OK: 124_980, Light: 124_000, Failed: report.Failures{NotFound: 4, Code: 1, Timeout: 3, Transport: 2}},
		SendLatency:   &report.Latency{Count: 12_000, P50: 700 * time.Microsecond, P90: time.Millisecond, P99: 4 * time.Millisecond, P999: 11 * time.Millisecond, Max: 14 * time.Millisecond},
		Lateness:      report.Latency{Count: 124_980, P50: 5 * time.Millisecond, P90: 9 * time.Millisecond, P99: 11 * time.Millisecond, P999: 19 * time.Millisecond, Max: 28 * time.Millisecond},
		Cost:          report.Cost{CPU: 2500 * time.Millisecond, Allocs: 250, BytesPerInstance: 426, RSS: 64 << 20},
		Registrations: &report.Registrations{Failed: 1, Reregistered: 4},
		Server:        &report.Server{Beats: 124_990, NotFound: 4, Registrations: 25_004, Healthy: 25_000},
		Problems:      []string{"1 registrations failed, the first: timeout"},
	}
	r.Derive()
	return r
}

// TestReportGolden pins the JSON form: a change to it shows up here, and
// needs -update and a schema thought.
func TestReportGolden(t *testing.T) {
	got, err := report.Marshal(fixedReport())
	require.NoError(t, err)
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test -run TestReportGolden -update")
	assert.Equal(t, string(want), string(got))
	assert.NotContains(t, string(got), "secret", "no password in the report")
	assert.NotContains(t, string(got), "password")

	// The golden file reads back as the report it was made from.
	r, err := report.Unmarshal(want)
	require.NoError(t, err)
	assert.Equal(t, fixedReport(), r)
}

// TestRunJSON runs with -json and checks that the file holds the report
// run returned, and that text and JSON agree.
func TestRunJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	var stdout, stderr syncBuffer
	code := realMain([]string{"-transport=noop", "-instances=500", "-services=5", "-period=200ms", "-duration=700ms", "-shard=1/2",
		"-json", path}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	r, err := report.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, []report.Shard{{Index: 1, Count: 2, Instances: 250, Host: r.Shards[0].Host}}, r.Shards)
	assert.Equal(t, 500, r.Config.Instances)
	assert.Equal(t, "noop", r.Config.Transport)
	assert.Equal(t, 250, r.Window.Added)
	assert.Positive(t, r.Beats.OK)
	assert.Contains(t, stdout.String(), "beatbench: 250 of 500 (shard 1/2) instances")
	assert.Contains(t, stdout.String(), "Summary: 250 of 500 instances (shard 1/2)")
	assert.Regexp(t, `(?m)^Beats\s+\d+\s+\d+\s+`+strconv.FormatUint(r.Beats.OK, 10)+`\s`, stdout.String(), "text and JSON show one report")
}
