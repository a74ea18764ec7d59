package main

import (
	"bytes"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

// sample parses testdata/keepalive.txt at n instances.
func sample(t *testing.T, n int) (data, error) {
	t.Helper()
	f, err := os.Open("testdata/keepalive.txt")
	require.NoError(t, err)
	defer f.Close()
	return parseBench(f, n)
}

func TestParseBench(t *testing.T) {
	d, err := sample(t, 1_000_000)
	require.NoError(t, err)

	assert.Equal(t, "AMD EPYC, GOMAXPROCS 2", d.machine)
	want := []row{ // ways' order; the 10k and reactor-replaced rows left out
		{"wheel", 1_000_000, 92.04, 38.6},
		{"reactor", 1_000_000, 146, 250.5},
		{"russellluo", 1_000_000, 1836, 174},
		{"afterfunc", 1_000_000, 1993, 216},
		{"goroutine", 1_000_000, 1974, 2584},
	}
	assert.Equal(t, want, d.rows)
}

func TestIncomplete(t *testing.T) {
	tests := []struct {
		name string
		n    int
	}{
		{"no row at that size", 100_000},
		{"a way missing", 10_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sample(t, tt.n)
			require.ErrorIs(t, err, errIncomplete)
		})
	}
}

func TestCSVRoundTrip(t *testing.T) {
	d, err := sample(t, 1_000_000)
	require.NoError(t, err)
	d.command, d.date = "go test -bench KeepAlive", "2026-11-25"

	var buf bytes.Buffer
	require.NoError(t, writeCSV(&buf, d))
	got, err := readCSV(&buf)
	require.NoError(t, err)
	assert.Equal(t, d, got)
}

// TestCommittedCSV checks that the CSV beside bench's README reads, with
// every way and where its figures come from.
func TestCommittedCSV(t *testing.T) {
	f, err := os.Open("../../comparison.csv")
	require.NoError(t, err)
	defer f.Close()
	d, err := readCSV(f)
	require.NoError(t, err)
	assert.Contains(t, d.command, "-bench KeepAlive")
	assert.NotEmpty(t, d.machine)
	assert.NotEmpty(t, d.date)
}

func TestReadCSVRejects(t *testing.T) {
	head := "way,instances,ns_per_beat,bytes_per_instance\n"
	full := "wheel,10,1,1\nreactor,10,1,1\nrussellluo,10,1,1\nafterfunc,10,1,1\ngoroutine,10,1,1\n"
	tests := []struct{ name, in, want string }{
		{"no header", full, "does not start with"},
		{"a number", head + strings.Replace(full, "wheel,10,1,1", "wheel,10,x,1", 1), "row 1"},
		{"a way twice", head + full + "wheel,10,1,1\n", "2 rows for wheel"},
		{"two sizes", head + strings.Replace(full, "goroutine,10", "goroutine,20", 1), "one N only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readCSV(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestRun draws the committed CSV through the command line and checks the
// PNG decodes at the promised size; and refills a CSV from bench output.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "c.png")
	require.Equal(t, 0, run([]string{"-csv", "../../comparison.csv", "-o", out}, io.Discard))
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	assert.Equal(t, int(width/vg.Inch*dpi), cfg.Width)
	assert.Equal(t, int(height/vg.Inch*dpi), cfg.Height)

	csvFile := filepath.Join(dir, "c.csv")
	require.Equal(t, 0, run([]string{"-bench", "testdata/keepalive.txt", "-date", "today", "-csv", csvFile}, io.Discard))
	data, err := os.ReadFile(csvFile)
	require.NoError(t, err)
	assert.Contains(t, string(data), "# date: today\n")
	assert.Contains(t, string(data), "\nwheel,1000000,92.04,38.6\n")
}

func TestRunBadUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"nothing to do", nil, 2},
		{"bench without date", []string{"-bench", "x.txt"}, 2},
		{"stray argument", []string{"-o", "x.png", "extra"}, 2},
		{"unknown flag", []string{"-x"}, 2},
		{"missing CSV", []string{"-csv", "nope.csv", "-o", filepath.Join(t.TempDir(), "x.png")}, 1},
		{"help", []string{"-h"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			assert.Equal(t, tt.code, run(tt.args, &stderr))
			if tt.code != 0 {
				assert.Contains(t, stderr.String(), "chart: ")
			}
		})
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 1836: "1,836", 1_000_000: "1,000,000", -2584: "-2,584"} {
		assert.Equal(t, want, thousands(n))
	}
	assert.Equal(t, "38.6", figure(38.6))
	assert.Equal(t, "2,584", figure(2584))
}
