package bench

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// wakeups measures the floor under every way of keeping beats alive that
// ticks: one goroutine waking every period on a runtime timer, doing
// nothing else, for window. It returns the process CPU per wake-up and per
// second of wall time.
func wakeups(period, window time.Duration) (perWakeup, perSecond time.Duration, n int) {
	t := time.NewTimer(period)
	defer t.Stop()
	c0, w0 := measure.CPUTime(), time.Now()
	for time.Since(w0) < window {
		<-t.C
		t.Reset(period)
		n++
	}
	cpu, wall := measure.CPUTime()-c0, time.Since(w0)
	return cpu / time.Duration(n), time.Duration(float64(cpu) / wall.Seconds()), n
}

// BenchmarkWakeup measures what one goroutine waking on a timer costs the
// process, at our wheel's default tick (10 ms) and a longer one (50 ms).
// It is the fixed cost per second that dominates CPU per beat at small
// instance counts: run it beside BenchmarkKeepAlive to read those rows.
func BenchmarkWakeup(b *testing.B) {
	for _, period := range []time.Duration{10 * time.Millisecond, 50 * time.Millisecond} {
		b.Run(fmt.Sprintf("every=%v", period), func(b *testing.B) {
			per, perSec, _ := wakeups(period, 3*time.Second)
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(float64(per)/float64(time.Microsecond), "µs-cpu/wakeup")
			b.ReportMetric(float64(perSec)/float64(time.Millisecond), "ms-cpu/s")
		})
	}
}

func TestWakeupMeasures(t *testing.T) {
	per, perSec, n := wakeups(10*time.Millisecond, 200*time.Millisecond)
	require.Positive(t, n)
	assert.Positive(t, per)
	assert.Positive(t, perSec)
}
