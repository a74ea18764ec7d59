package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/report"
)

// writeShards writes fixedReport as shards 0/2 and 1/2 into dir, shard 0
// delivering every beat and shard 1 96 %, and returns the paths.
func writeShards(t *testing.T, dir string) (string, string) {
	t.Helper()
	a, b := fixedReport(), fixedReport()
	a.Shards[0].Index, b.Shards[0].Index = 0, 1
	a.Shards[0].Count, b.Shards[0].Count = 2, 2
	a.Beats.OK = 125_000
	b.Beats.OK = 120_000
	a.Derive()
	b.Derive()
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	require.NoError(t, report.WriteFile(pa, a))
	require.NoError(t, report.WriteFile(pb, b))
	return pa, pb
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	pa, pb := writeShards(t, dir)
	out := filepath.Join(dir, "merged.json")
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, realMain([]string{"merge", "-json", out, pb, pa}, &stdout, &stderr), stderr.String())
	assert.Empty(t, stderr.String())
	s := stdout.String()
	assert.Contains(t, s, "Summary: merged 50000 of 100000 instances (shard 0/2 1/2)")
	assert.Regexp(t, `(?m)^Beats\s+250000\s+249980\s+245000\s+30\s+98\.00%`, s)
	assert.Regexp(t, `(?m)^Failed by kind\s+8\s+2\s+10\s+6\s+4$`, s, "HTTP errors summed apart")

	m, err := report.ReadFile(out)
	require.NoError(t, err)
	assert.Len(t, m.Shards, 2)
	assert.Equal(t, uint64(245_000), m.Beats.OK)
	assert.InDelta(t, 250_000, m.Beats.Expected, 1e-9)
	assert.InDelta(t, 98, m.Beats.DeliveredPct, 1e-9)
	assert.Equal(t, 50_000, m.Server.Healthy)
}

func TestMergeCommandErrors(t *testing.T) {
	dir := t.TempDir()
	pa, pb := writeShards(t, dir)
	other := fixedReport() // shard 1/4: another run's
	po := filepath.Join(dir, "other.json")
	require.NoError(t, report.WriteFile(po, other))
	garbage := filepath.Join(dir, "garbage.json")
	require.NoError(t, os.WriteFile(garbage, []byte("not json"), 0o644))

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"gate met", []string{pa, pb, "-min-delivered=98"}, exitOK, ""},
		{"gate missed", []string{"-min-delivered=99", pa, pb}, exitBelow, "delivered 98.00% of expected beats in the steady window, below -min-delivered 99%"},
		{"no files", nil, exitUsage, "no report files to merge"},
		{"bad gate", []string{"-min-delivered=200", pa}, exitUsage, "-min-delivered 200"},
		{"missing file", []string{pa, filepath.Join(dir, "nope.json")}, exitError, "nope.json: no such file"},
		{"not a report", []string{pa, garbage}, exitError, "garbage.json: not a beatbench JSON report"},
		{"other run", []string{pa, po}, exitError, "reports do not match: report 2: shard 1/4, the first report is of 2 shards"},
		{"same shard twice", []string{pa, pa}, exitError, "shard 0/2 is in an earlier report too"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			assert.Equal(t, tc.code, realMain(append([]string{"merge"}, tc.args...), &stdout, &stderr))
			if tc.want == "" {
				assert.Empty(t, stderr.String())
				return
			}
			assert.Contains(t, stderr.String(), tc.want)
			assert.True(t, strings.HasPrefix(stderr.String(), "beatbench: "), stderr.String())
			assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line: %q", stderr.String())
		})
	}
}
