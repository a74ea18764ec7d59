package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spinEnv makes the test binary a command to measure: it spins for the
// duration it holds, then prints the figure in spinFigureEnv.
const spinEnv, spinFigureEnv = "SIDEBYSIDE_SPIN", "SIDEBYSIDE_FIGURE"

func TestMain(m *testing.M) {
	if d, err := time.ParseDuration(os.Getenv(spinEnv)); err == nil {
		for end := time.Now().Add(d); time.Now().Before(end); {
		}
		fmt.Printf("BenchmarkX 1 %s ns/beat\n", os.Getenv(spinFigureEnv))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // error text; empty for none
	}{
		{"both commands", []string{"-a", "x 1", "-b", "y"}, ""},
		{"no B", []string{"-a", "x"}, "-a and -b are required"},
		{"no rounds", []string{"-a", "x", "-b", "y", "-rounds", "0"}, "-rounds 0"},
		{"trim not below tail", []string{"-a", "x", "-b", "y", "-tail", "2", "-trim", "2"}, "need 0 <= trim < tail"},
		{"negative delay", []string{"-a", "x", "-b", "y", "-delay-a", "-1s"}, "-delay-a -1s"},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, &bytes.Buffer{})
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"x", "1"}, cfg.a)
			assert.Equal(t, 3, cfg.rounds)
		})
	}
}

func TestWindowAndFigures(t *testing.T) {
	perSec := []float64{900, 800, 10, 30, 20, 5}
	assert.Equal(t, 20.0, window(perSec, 4, 1), "median of 10, 30, 20")
	assert.Zero(t, window(perSec, 7, 1), "too few samples")
	assert.Equal(t, 2.5, median([]float64{4, 1, 3, 2}))
	assert.Zero(t, median(nil))
	re := regexp.MustCompile(`([0-9.]+)\s+ns/beat\b`)
	assert.Equal(t, 7.5, lastFigure(re, []byte("a 3 ns/beat\nb 7.5 ns/beat 9 churn-ns/beat")))
	assert.Zero(t, lastFigure(re, []byte("no figure")))
}

// TestRun measures two copies of this binary that spin for a second and
// print 100 and 150 ns/beat: the figures' ratio is exact.
func TestRun(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	cfg, err := parseFlags([]string{"-a", self, "-b", self, "-rounds", "1", "-tail", "1", "-trim", "0"}, &bytes.Buffer{})
	require.NoError(t, err)
	t.Setenv(spinEnv, "1500ms")
	// Both children see the same environment; B's figure comes from a
	// wrapper of its own.
	cfg.b = []string{"env", spinFigureEnv + "=150", self}
	t.Setenv(spinFigureEnv, "100")
	var out bytes.Buffer
	require.NoError(t, run(cfg, &out))
	assert.Contains(t, out.String(), "round 1: CPU per second A ")
	assert.Contains(t, out.String(), "ns/beat A 100, B 150: B/A 1.500")
	assert.True(t, strings.HasSuffix(out.String(), "ns/beat, B/A: median 1.500 of [1.500]\n"), out.String())
}

// TestRunReportsAFailedCommand: a command that fails ends the run with its
// output.
func TestRunReportsAFailedCommand(t *testing.T) {
	cfg, err := parseFlags([]string{"-a", "false", "-b", "true", "-rounds", "1", "-tail", "1", "-trim", "0"}, &bytes.Buffer{})
	require.NoError(t, err)
	err = run(cfg, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "command A")
}
