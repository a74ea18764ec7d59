package bench

import (
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
			assert.LessOrEqual(t, st.P50(), st.P99())
			assert.LessOrEqual(t, st.P99(), st.MaxLate())
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
