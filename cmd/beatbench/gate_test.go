package main

import (
	"bytes"
	"cmp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/report"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

func TestGate(t *testing.T) {
	tests := []struct {
		name      string
		delivered float64
		steady    bool
		min       float64
		want      string
		length    time.Duration // of the window, period 5s; 0: 20s
	}{
		{"no gate", 10, true, 0, "", 0},
		{"met", 99.5, true, 99, "", 0},
		{"exactly", 99, true, 99, "", 0},
		{"missed", 98.99, true, 99, "delivered 98.99% of expected beats in the steady window, below -min-delivered 99%", 0},
		{"missed, short run", 50, false, 99.9, "delivered 50.00% of expected beats in a run too short for a steady window, below -min-delivered 99.9%", 0},
		{"window too short to judge", 100, true, 99, "-min-delivered 99% cannot judge a window of 9.999s: it needs at least 2 periods (10s); run with a longer -duration", 9999 * time.Millisecond},
		{"window of two periods", 100, true, 99, "", 10 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			length := cmp.Or(tc.length, 20*time.Second)
			rep := &report.Report{Config: report.Config{Period: 5 * time.Second}, Window: report.Window{Steady: tc.steady, Length: length}}
			rep.Derive()
			rep.Beats.DeliveredPct = tc.delivered
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
// one line on stderr, after printing its summary. The server answers HTTP
// 500 to most requests once every instance is registered.
func TestRunBelowMinDelivered(t *testing.T) {
	for _, tc := range []struct {
		name      string
		errorRate float64
		min       string
		want      int
	}{
		{"below", 0.6, "-min-delivered=99", exitBelow},
		{"met", 0, "-min-delivered=1", exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := nacostest.Start(nacostest.Config{ClientBeatInterval: 200 * time.Millisecond})
			require.NoError(t, err)
			defer srv.Close()
			go func() {
				// Faults once the instances are registered: registering
				// is not what this test is about.
				for srv.Counters().Registrations < 50 {
					time.Sleep(5 * time.Millisecond)
				}
				assert.NoError(t, srv.SetFaults(nacostest.Faults{ErrorRate: tc.errorRate}))
			}()
			args := []string{"-server", srv.Addr(), "-instances=50", "-services=5", "-period=200ms", "-duration=1200ms", "-keep", tc.min}
			var stdout, stderr bytes.Buffer
			require.Equal(t, tc.want, realMain(args, &stdout, &stderr), stderr.String())
			assert.Contains(t, stdout.String(), "Summary: 50 instances")
			if tc.want == exitOK {
				assert.Empty(t, stderr.String())
				return
			}
			assert.Regexp(t, `^beatbench: delivered [0-9.]+% of expected beats in the steady window, below -min-delivered 99%\n$`, stderr.String())
			// A busy machine may add a timeout or a broken connection: the
			// HTTP error column is what the injected 500s must fill.
			assert.Regexp(t, `(?m)^Failed by kind\s+\d+\s+\d+\s+[1-9]\d*\s+\d+\s+\d+$`, stdout.String(), "HTTP 500 answers shown as HTTP errors")
		})
	}
}
