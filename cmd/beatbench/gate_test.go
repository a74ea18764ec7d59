package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/report"
)

func TestGate(t *testing.T) {
	tests := []struct {
		name      string
		delivered float64
		steady    bool
		min       float64
		want      string
	}{
		{"no gate", 10, true, 0, ""},
		{"met", 99.5, true, 99, ""},
		{"exactly", 99, true, 99, ""},
		{"missed", 98.99, true, 99, "delivered 98.99% of expected beats in the steady window, below -min-delivered 99%"},
		{"missed, short run", 50, false, 99.9, "delivered 50.00% of expected beats in a run too short for a steady window, below -min-delivered 99.9%"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep := &report.Report{Beats: report.Beats{DeliveredPct: tc.delivered}, Window: report.Window{Steady: tc.steady}}
			err := gate(rep, tc.min)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			var below *belowError
			require.ErrorAs(t, err, &below)
			assert.EqualError(t, err, tc.want)
		})
	}
}

// TestRunBelowMinDelivered: a run that delivers too few beats exits 3 with
// one line on stderr, after printing its summary. Beats every 100ms on a
// 300ms tick fire about once a tick: a third of those expected.
func TestRunBelowMinDelivered(t *testing.T) {
	args := []string{"-transport=none", "-instances=100", "-period=100ms", "-tick=300ms", "-duration=1200ms"}
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitBelow, realMain(append(args, "-min-delivered=99"), &stdout, &stderr))
	assert.Contains(t, stdout.String(), "Summary: 100 instances")
	assert.Regexp(t, `^beatbench: delivered [0-9.]+% of expected beats in the steady window, below -min-delivered 99%\n$`, stderr.String())

	stdout.Reset()
	stderr.Reset()
	require.Equal(t, exitOK, realMain(append(args, "-min-delivered=1"), &stdout, &stderr), stderr.String())
	assert.Empty(t, stderr.String())
	assert.False(t, strings.Contains(stdout.String(), "below"))
}
