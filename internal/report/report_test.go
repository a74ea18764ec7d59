package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// shardReport is a hand-made report of shard i of n.
func shardReport(i, n, instances int, expected float64, ok, sent uint64) *Report {
	start := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r := &Report{
		Config:   Config{Instances: 3000, Services: 10, Period: 5 * time.Second, Duration: 30 * time.Second, Transport: "nacos", Mode: "pipeline"},
		Shards:   []Shard{{Index: i, Count: n, Instances: instances, Host: "host"}},
		Start:    start.Add(time.Duration(i) * time.Second),
		End:      start.Add(time.Duration(35+i) * time.Second),
		Window:   Window{AllAdded: true, Steady: true, Added: instances, Add: time.Duration(i+1) * time.Second, Warmup: 6 * time.Second, Length: time.Duration(20+i) * time.Second},
		Beats:    Beats{Expected: expected, Sent: sent, OK: ok, Light: ok, Failed: Failures{NotFound: 1, Timeout: sent - ok - 1}},
		Lateness: Latency{Count: ok, P50: time.Duration(i+1) * time.Millisecond, P90: 5 * time.Millisecond, P99: time.Duration(10*(i+1)) * time.Millisecond, P999: 20 * time.Millisecond, Max: time.Duration(30-i) * time.Millisecond},
		Cost:     Cost{CPU: time.Duration(i+1) * time.Second, Allocs: 100, Switches: uint64(1000 * (i + 1)), BytesPerInstance: float64(300 + 100*i), RSS: 1 << 20},
		Server:   &Server{Beats: ok, Registrations: uint64(instances), Healthy: instances},
	}
	r.SendLatency = &Latency{Count: 10, P50: time.Millisecond, P99: time.Duration(i+2) * time.Millisecond, Max: 9 * time.Millisecond}
	r.Registrations = &Registrations{Reregistered: uint64(i)}
	r.Derive()
	return r
}

func TestDerive(t *testing.T) {
	tests := []struct {
		name                                                 string
		r                                                    Report
		delivered, perSec, perBeat, cpuPct, allocs, switches float64
		failed                                               uint64
	}{
		{name: "all delivered", r: Report{Window: Window{Length: 10 * time.Second}, Beats: Beats{Expected: 1000, OK: 1000},
			Cost: Cost{CPU: time.Millisecond, Allocs: 10, Switches: 25_000}}, delivered: 100, perSec: 100, perBeat: 1000, cpuPct: 0.01, allocs: 0.01,
			switches: 2500},
		{name: "some lost", r: Report{Window: Window{Length: 2 * time.Second}, Beats: Beats{Expected: 400, OK: 300,
			Failed: Failures{NotFound: 1, Code: 2, Timeout: 3, Transport: 4}}, Cost: Cost{CPU: 3 * time.Second}},
			delivered: 75, perSec: 150, perBeat: 1e7, cpuPct: 150, failed: 10},
		{name: "nothing expected", r: Report{Beats: Beats{OK: 5}}, delivered: 0},
		{name: "empty", r: Report{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.Derive()
			assert.Equal(t, Schema, r.Schema)
			assert.InDelta(t, tc.delivered, r.Beats.DeliveredPct, 1e-9)
			assert.InDelta(t, tc.perSec, r.Beats.PerSecond, 1e-9)
			assert.InDelta(t, tc.perBeat, r.Cost.CPUPerBeat, 1e-9)
			assert.InDelta(t, tc.cpuPct, r.Cost.CPUPercent, 1e-9)
			assert.InDelta(t, tc.allocs, r.Cost.AllocsPerBeat, 1e-9)
			assert.InDelta(t, tc.switches, r.Cost.SwitchesPerSecond, 1e-9)
			assert.Equal(t, tc.failed, r.Beats.Failed.Total)
		})
	}
}

func TestMerge(t *testing.T) {
	a := shardReport(0, 2, 1500, 6000, 5900, 5950)
	b := shardReport(1, 2, 1500, 6300, 6000, 6100)
	m, err := Merge(b, a)
	require.NoError(t, err)

	assert.Equal(t, []Shard{a.Shards[0], b.Shards[0]}, m.Shards, "in index order")
	assert.Equal(t, 3000, m.Instances())
	assert.Equal(t, a.Start, m.Start, "earliest start")
	assert.Equal(t, b.End, m.End, "latest end")
	assert.Equal(t, a.Config, m.Config)

	// Sums.
	assert.InDelta(t, 12300, m.Beats.Expected, 1e-9)
	assert.Equal(t, uint64(11900), m.Beats.OK)
	assert.Equal(t, uint64(12050), m.Beats.Sent)
	assert.Equal(t, Failures{NotFound: 2, Timeout: 148, Total: 150}, m.Beats.Failed)
	assert.Equal(t, 3*time.Second, m.Cost.CPU)
	assert.Equal(t, uint64(200), m.Cost.Allocs)
	assert.Equal(t, uint64(3000), m.Cost.Switches)
	assert.Equal(t, uint64(2<<20), m.Cost.RSS)
	assert.Equal(t, &Server{Beats: 11900, Registrations: 3000, Healthy: 3000}, m.Server)
	assert.Equal(t, &Registrations{Reregistered: 1}, m.Registrations)
	assert.Equal(t, 3000, m.Window.Added)

	// Recomputed from the sums, not averaged.
	assert.InDelta(t, 100*11900/12300.0, m.Beats.DeliveredPct, 1e-9)
	assert.InDelta(t, 3e9/11900, m.Cost.CPUPerBeat, 1e-9)
	assert.Equal(t, 21*time.Second, m.Window.Length, "the longest window")
	assert.InDelta(t, 11900/21.0, m.Beats.PerSecond, 1e-9)
	assert.InDelta(t, 100*3/21.0, m.Cost.CPUPercent, 1e-9)
	assert.InDelta(t, 3000/21.0, m.Cost.SwitchesPerSecond, 1e-9)
	assert.InDelta(t, 350, m.Cost.BytesPerInstance, 1e-9, "weighted by instances")
	assert.Equal(t, 2*time.Second, m.Window.Add, "the slowest shard's")

	// Percentiles: the larger of the two, counts summed.
	assert.Equal(t, Latency{Count: 11900, P50: 2 * time.Millisecond, P90: 5 * time.Millisecond, P99: 20 * time.Millisecond,
		P999: 20 * time.Millisecond, Max: 30 * time.Millisecond}, m.Lateness)
	assert.Equal(t, &Latency{Count: 20, P50: time.Millisecond, P99: 3 * time.Millisecond, Max: 9 * time.Millisecond}, m.SendLatency)

	// A merged report merges again as one of its parts.
	c := shardReport(2, 3, 1000, 1, 1, 1)
	_, err = Merge(m, c)
	assert.ErrorIs(t, err, ErrMismatch, "2 shards and 3 shards")
}

func TestMergeFlags(t *testing.T) {
	a := shardReport(0, 2, 1500, 6000, 5900, 5950)
	b := shardReport(1, 2, 1500, 6300, 6000, 6100)
	b.Interrupted, b.Window.Steady, b.Problems = true, false, []string{"boom"}
	m, err := Merge(a, b)
	require.NoError(t, err)
	assert.True(t, m.Interrupted)
	assert.False(t, m.Window.Steady)
	assert.True(t, m.Window.AllAdded)
	assert.Equal(t, []string{"shard 1/2: boom"}, m.Problems)
}

func TestMergeMismatch(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Report)
		want   string
	}{
		{"same shard twice", func(r *Report) { r.Shards[0].Index = 0 }, "shard 0/2 is in an earlier report too"},
		{"shard count", func(r *Report) { r.Shards[0].Count = 3 }, "shard 1/3, the first report is of 2 shards"},
		{"instances", func(r *Report) { r.Config.Instances = 5 }, "5 instances, the first report 3000"},
		{"services", func(r *Report) { r.Config.Services = 5 }, "5 services"},
		{"period", func(r *Report) { r.Config.Period = time.Second }, "period 1s, the first report 5s"},
		{"period in effect", func(r *Report) { r.Window.Period = time.Second }, "beating every 1s (the server's interval), the first report every 5s"},
		{"namespace", func(r *Report) { r.Config.Namespace = "dev" }, `namespace "dev"`},
		{"transport", func(r *Report) { r.Config.Transport = "noop" }, "transport noop"},
		{"schema", func(r *Report) { r.Schema = 3 }, "schema 3, want 2"},
		{"no shards", func(r *Report) { r.Shards = nil }, "no shards"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := shardReport(1, 2, 1500, 1, 1, 1)
			tc.modify(b)
			_, err := Merge(shardReport(0, 2, 1500, 1, 1, 1), b)
			require.ErrorIs(t, err, ErrMismatch)
			assert.ErrorContains(t, err, "report 2: "+tc.want)
		})
	}
	_, err := Merge()
	assert.Error(t, err)
}

func TestJSONRoundTrip(t *testing.T) {
	for _, r := range []*Report{shardReport(1, 2, 1500, 6300, 6000, 6100), {Shards: []Shard{{Count: 1}}}} {
		r.Derive()
		b, err := Marshal(r)
		require.NoError(t, err)
		got, err := Unmarshal(b)
		require.NoError(t, err)
		assert.Equal(t, r, got)
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o644))
		return p
	}
	_, err := ReadFile(filepath.Join(dir, "missing.json"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = ReadFile(write("text.json", "beats: 5"))
	assert.ErrorContains(t, err, "text.json: not a beatbench JSON report")
	_, err = ReadFile(write("future.json", `{"schema": 3}`))
	assert.ErrorContains(t, err, "future.json: report schema 3, this beatbench reads schema 2")
	_, err = ReadFile(write("none.json", `{}`))
	assert.ErrorContains(t, err, "schema 0")
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	r := shardReport(0, 1, 3000, 10, 10, 10)
	require.NoError(t, WriteFile(p, r))
	got, err := ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, r, got)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left")
	assert.Error(t, WriteFile(filepath.Join(dir, "no", "such", "dir.json"), r))
}

func TestWriteText(t *testing.T) {
	m, err := Merge(shardReport(0, 2, 1500, 6000, 5900, 5950), shardReport(1, 2, 1500, 6300, 6000, 6100))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, m))
	s := buf.String()
	assert.Contains(t, s, "Summary: merged 3000 of 3000 instances (shard 0/2 1/2), period 5s, transport nacos")
	assert.Contains(t, s, "Merged percentiles are the largest of the shards'")
	assert.Regexp(t, `(?m)^Beats\s+12300\s+12050\s+11900\s+150\s+96\.75%\s+567$`, s)
	assert.Regexp(t, `(?m)^Lateness\s+2ms\s+5ms\s+20ms\s+20ms\s+30ms$`, s)
	assert.Regexp(t, `(?m)^Server\s+11900\s+0\s+3000\s+3000\s+0$`, s)
	// Every table row lines up: label, then cells of one width.
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "Beats ") || strings.HasPrefix(line, "Cost ") {
			assert.Zero(t, (len([]rune(line))-labelWidth)%cellWidth, "%q", line)
		}
	}
	assert.Error(t, WriteText(failWriter{}, m))
	assert.NotContains(t, s, "Period:", "the period asked for is the one in effect")
}

// TestWriteTextPeriodInEffect: a run whose server asked for another period
// than -period says so, and counts its short window in the period in effect.
func TestWriteTextPeriodInEffect(t *testing.T) {
	r := shardReport(0, 1, 3000, 6000, 5900, 5950)
	r.Config.Period = time.Second
	r.Window.Period, r.Window.Length = 5*time.Second, 9*time.Second
	r.Derive()
	assert.Equal(t, 5*time.Second, r.BeatPeriod())
	assert.True(t, r.Window.Short, "9s is under two of the 5s periods in effect")
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, r))
	assert.Contains(t, buf.String(), "Period: the server asked for beats every 5s (clientBeatInterval), not -period 1s")
	assert.Contains(t, buf.String(), "Window shorter than two periods (10s)")
	r.Window.Period = 0
	assert.Equal(t, time.Second, r.BeatPeriod(), "a report without it: -period")
}

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                               "0s",
		1500 * time.Nanosecond:          "1.5µs",
		5_571_123 * time.Nanosecond:     "5.571ms",
		12_345_678 * time.Nanosecond:    "12.3ms",
		2345 * time.Millisecond:         "2.345s",
		5_993_912_345 * time.Nanosecond: "5.994s",
		12345 * time.Millisecond:        "12.3s",
	} {
		assert.Equal(t, want, Duration(d), "%d", d)
	}
	assert.Equal(t, "512 B", Bytes(512))
	assert.Equal(t, "1.5 KiB", Bytes(1536))
	assert.Equal(t, "212 MiB", Bytes(212<<20))
	assert.Equal(t, "2.0 GiB", Bytes(2<<30))
	assert.Equal(t, "0/3 2/3", Shards([]Shard{{Index: 0, Count: 3}, {Index: 2, Count: 3}}))
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestDeriveShort(t *testing.T) {
	tests := []struct {
		name     string
		length   time.Duration
		inEffect time.Duration // Window.Period
		was      bool
		want     bool
	}{
		{"two periods", 10 * time.Second, 0, false, false},
		{"under two periods", 10*time.Second - 1, 0, false, true},
		{"nothing", 0, 0, false, true},
		{"kept from a merge", time.Minute, 0, true, true},
		{"two of the server's periods", 2 * time.Second, time.Second, false, false},
		{"under two of the server's periods", 15 * time.Second, 10 * time.Second, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := Report{Config: Config{Period: 5 * time.Second}, Window: Window{Length: tc.length, Short: tc.was, Period: tc.inEffect}}
			r.Derive()
			assert.Equal(t, tc.want, r.Window.Short)
		})
	}
	a, b := shardReport(0, 2, 1500, 6000, 5900, 5950), shardReport(1, 2, 1500, 6300, 6000, 6100)
	b.Window.Length = time.Second
	b.Derive()
	m, err := Merge(a, b)
	require.NoError(t, err)
	assert.True(t, m.Window.Short, "a merge with a short shard is short")
}

func TestWriteTextKinds(t *testing.T) {
	r := shardReport(0, 1, 3000, 6000, 5900, 5950)
	r.Beats.Failed = Failures{NotFound: 1, Code: 2, HTTP: 3, Timeout: 4, Transport: 5}
	r.Beats.Light = 5000
	r.Window.Length = 9 * time.Second
	r.Derive()
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, r))
	s := buf.String()
	assert.Regexp(t, `(?m)^\s+20404\s+other code\s+HTTP error\s+timeout\s+transport$`, s)
	assert.Regexp(t, `(?m)^Failed by kind\s+1\s+2\s+3\s+4\s+5$`, s)
	assert.Regexp(t, `(?m)^Sent as\s+950\s+5000$`, s, "light is how beats were sent, not a failure kind")
	assert.Regexp(t, `(?m)^Beats\s+6000\s+5950\s+5900\s+15\s`, s)
	assert.Contains(t, s, "Window shorter than two periods (10s): too short to judge delivery by")
}
