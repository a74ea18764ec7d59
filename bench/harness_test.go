package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHarness runs every way through a small, short scenario, so that CI
// catches a broken harness without running the benchmark. Its bounds are
// loose: the machine may be busy.
func TestHarness(t *testing.T) {
	sc := scenario{instances: 2000, period: 200 * time.Millisecond, warmup: 200 * time.Millisecond, window: 500 * time.Millisecond}
	for _, w := range ways() {
		t.Run(w.name, func(t *testing.T) {
			r, err := sc.run(w.start)
			require.NoError(t, err)
			st := r.steady
			require.Positive(t, st.Beats)
			low := 0.9
			if w.drifts {
				low = 0.5
			}
			assert.GreaterOrEqual(t, st.FiredPerExpected(), low)
			assert.LessOrEqual(t, st.FiredPerExpected(), 1.1)
			assert.Positive(t, st.CPUPerBeat())
			assert.Positive(t, r.bytesPerInstance)
			assert.Positive(t, r.add)
			assert.Less(t, st.P50(), sc.period, "median beat less than a period late")
		})
	}
}

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{in: "10000,100000,1000000", want: []int{10000, 100000, 1000000}},
		{in: " 2000 , 1_000_000", want: []int{2000, 1000000}},
		{in: "10k", wantErr: true},
		{in: "0", wantErr: true},
		{in: "-5", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSizes(tc.in)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestEndToEnd runs every end-to-end way through a small, short scenario
// against nacostest, so that CI catches a broken end-to-end harness.
func TestEndToEnd(t *testing.T) {
	// Ten periods in the window: the SDK's beats come in one burst per
	// period (they follow the registrations, not spread), so a window of a
	// few periods counts one burst too many or too few.
	sc := scenario{instances: 200, period: 250 * time.Millisecond, warmup: 250 * time.Millisecond, window: 2500 * time.Millisecond}
	for _, w := range e2eWays() {
		t.Run(w.name, func(t *testing.T) {
			r, err := sc.runE2E(w.start, t.TempDir())
			require.NoError(t, err)
			require.Positive(t, r.delivered)
			low := 0.9
			if w.sdk {
				low = 0.75 // it drifts: it sleeps a period after each answer
			}
			assert.GreaterOrEqual(t, r.deliveredPerExpected(), low, "delivered %d of %.0f expected", r.delivered, r.expected)
			assert.LessOrEqual(t, r.deliveredPerExpected(), 1.1, "delivered %d of %.0f expected", r.delivered, r.expected)
			assert.Zero(t, r.unhealthy)
			assert.Zero(t, r.missing)
			assert.Positive(t, r.cpuPerBeat())
			// Heap per instance is noise at 200 instances: the benchmark
			// measures it.
			if !w.sdk {
				require.True(t, r.reactor)
				assert.Zero(t, r.failed)
				assert.Positive(t, r.sendP99)
			}
		})
	}
}

// TestBeatThroughput drives every client of BenchmarkBeatThroughput
// briefly, so that CI catches a broken client: each must get beats
// through, against a server with no connection limit and one that ends
// each connection after 100 requests. No beat may fail, but for
// fasthttp's PipelineClient against the limit, which loses what it wrote
// behind the server's last answer.
func TestBeatThroughput(t *testing.T) {
	for _, limit := range []int{-1, 100} {
		t.Run(limitName(limit), func(t *testing.T) {
			cfg := tpConfig{instances: 100, conns: 2, goroutines: 4, batch: 8, window: 200 * time.Millisecond, limit: limit}
			srv, infos, err := tpServer(cfg)
			require.NoError(t, err)
			defer srv.Close()
			assert.Equal(t, cfg.instances, srv.Len())
			for _, mk := range tpClients(srv.Addr(), infos, cfg) {
				cl, err := mk()
				require.NoError(t, err)
				t.Run(cl.name, func(t *testing.T) {
					defer cl.close()
					r := runTP(srv, cl, cfg.window)
					assert.Positive(t, r.ok)
					assert.Positive(t, r.cpu)
					if limit > 0 && strings.HasPrefix(cl.name, "fasthttp.PipelineClient") {
						return
					}
					assert.Zero(t, r.failed)
					assert.Equal(t, r.ok, r.delivered, "the server counted every beat the client saw accepted")
				})
			}
			assert.Zero(t, srv.Counters().NotFound)
		})
	}
}

func TestParseLimits(t *testing.T) {
	got, err := parseLimits("100, off,7")
	require.NoError(t, err)
	assert.Equal(t, []int{100, -1, 7}, got)
	for _, bad := range []string{"", "0", "-3", "x"} {
		_, err := parseLimits(bad)
		assert.Error(t, err, bad)
	}
}
