package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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
		Beats:         report.Beats{Expected: 125_000, Sent: 124_990, OK: 124_980, Light: 124_000, Failed: report.Failures{NotFound: 4, Code: 1, HTTP: 5, Timeout: 3, Transport: 2}},
		SendLatency:   &report.Latency{Count: 12_000, P50: 700 * time.Microsecond, P90: time.Millisecond, P99: 4 * time.Millisecond, P999: 11 * time.Millisecond, Max: 14 * time.Millisecond},
		Lateness:      report.Latency{Count: 124_980, P50: 5 * time.Millisecond, P90: 9 * time.Millisecond, P99: 11 * time.Millisecond, P999: 19 * time.Millisecond, Max: 28 * time.Millisecond},
		Cost:          report.Cost{CPU: 2500 * time.Millisecond, Allocs: 250, Switches: 50_000, BytesPerInstance: 426, RSS: 64 << 20},
		Registrations: &report.Registrations{Failed: 1, Reregistered: 4},
		Server:        &report.Server{Beats: 124_990, NotFound: 4, Registrations: 25_004, Healthy: 25_000},
		Problems:      []string{"1 registrations failed, the first: timeout"},
		Series: []report.Point{
			{T: time.Second, Added: 12_000, Sent: 2400, OK: 2398, Failed: report.FailureRates{NotFound: 1, HTTP: 1, Total: 2},
				LatenessP99: 9 * time.Millisecond, SendP99: 3 * time.Millisecond, CPUPercent: 31.5, Switches: 2600, RSS: 60 << 20},
			{T: 2 * time.Second, Added: 25_000, Sent: 5000, OK: 5000, Reregistered: 1,
				LatenessP99: 11 * time.Millisecond, SendP99: 4 * time.Millisecond, CPUPercent: 10.2, Switches: 1900, RSS: 64 << 20},
		},
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

// TestRunHTMLAndPlot runs with -json and -html, then plots two reports on
// one page: the pages carry a chart per quantity and the run's series.
func TestRunHTMLAndPlot(t *testing.T) {
	dir := t.TempDir()
	jsonPath, htmlPath := filepath.Join(dir, "a.json"), filepath.Join(dir, "a.html")
	var stdout, stderr syncBuffer
	code := realMain([]string{"-transport=noop", "-instances=200", "-services=5", "-period=200ms", "-duration=1500ms",
		"-json", jsonPath, "-html", htmlPath}, &stdout, &stderr)
	require.Equal(t, exitOK, code, stderr.String())
	r, err := report.ReadFile(jsonPath)
	require.NoError(t, err)
	require.NotEmpty(t, r.Series, "a point a second")
	for i, p := range r.Series {
		assert.Positive(t, p.T)
		if i > 0 {
			assert.Greater(t, p.T, r.Series[i-1].T)
		}
		assert.Positive(t, p.RSS)
	}
	assert.Positive(t, r.Series[0].OK)
	html, err := os.ReadFile(htmlPath)
	require.NoError(t, err)
	assertPage(t, string(html), 1)
	assert.Contains(t, string(html), `"ok_per_s":`+strconv.FormatFloat(r.Series[0].OK, 'g', -1, 64), "the series the charts are drawn from")

	var out, errOut bytes.Buffer
	require.Equal(t, exitOK, realMain([]string{"plot", jsonPath, jsonPath, "-title", "two"}, &out, &errOut), errOut.String())
	assertPage(t, out.String(), 2)
	assert.Contains(t, out.String(), "<title>two</title>")
	assert.Equal(t, exitError, realMain([]string{"plot", filepath.Join(dir, "missing.json")}, &out, &errOut))
}

// assertPage checks an HTML report of runs runs.
func assertPage(t *testing.T, page string, runs int) {
	t.Helper()
	assert.True(t, strings.HasPrefix(page, "<!DOCTYPE html>"))
	assert.GreaterOrEqual(t, strings.Count(page, "<svg "), 5, "a chart per quantity")
	assert.Equal(t, strings.Count(page, "<svg "), strings.Count(page, "</svg>"))
	assert.NotRegexp(t, `(?i)https?://`, page, "nothing to fetch")
	assert.Equal(t, runs, strings.Count(page, "<pre>"), "a summary per run")
}
