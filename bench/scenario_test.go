package bench

import (
	"flag"
	"fmt"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
)

// Flags of the benchmark, after -args or alongside -bench:
//
//	go test -run '^$' -bench . -benchtime=1x -sizes=10000 -window=2s
var (
	sizesFlag  = flag.String("sizes", "10000,100000,1000000", "comma-separated instance counts to run each way at")
	periodFlag = flag.Duration("period", 5*time.Second, "beat period of every instance")
	windowFlag = flag.Duration("window", 0, "length of the steady window measured (0: two periods)")
)

// startFunc is one way of keeping beats alive: it starts n instances, each
// beating every period with its first beat spread over one period (instance
// i at beatload.Phase(period, i, n): uniform, in scattered order), every
// beat going through beatload.Beat into m. The reactor ways are the
// exception to the phases: the Reactor places each instance's first beat
// by a hash of its key (uniform and scattered too, but not
// beatload.Phase). It returns once all n are
// started, with a stop function that returns once no beat can fire any more
// and every goroutine it started is ending.
type startFunc func(n int, period time.Duration, m *measure.Meter) (stop func(), err error)

// startOn returns the way of keeping beats alive through beatload on the
// scheduler newSched builds: the ways that differ only in their scheduler
// share it, each file naming its own.
func startOn(newSched beatload.NewScheduler) startFunc {
	return func(n int, period time.Duration, m *measure.Meter) (func(), error) {
		l, err := beatload.Start(newSched, beatload.Config{Instances: n, Period: period, Meter: m})
		if err != nil {
			return nil, err
		}
		return l.Stop, nil
	}
}

// way names a startFunc.
type way struct {
	name  string
	start startFunc
	// extra, if set, reports metrics of the way's own after a row.
	extra func(b *testing.B, r result)
	// drifts is set for a way that re-arms a period after it beat rather
	// than a period after it was due, so fired/expected falls below 1.
	drifts bool
}

// ways lists every way of keeping beats alive, in the order they run.
func ways() []way {
	return []way{
		{name: "wheel", start: startWheel},
		{name: "russellluo", start: startRussellLuo},
		{name: "afterfunc", start: startAfterFunc},
		{name: "goroutine", start: startGoroutines, drifts: true},
		{name: "reactor", start: startReactor},
		{name: "reactor-replaced", start: startReactorReplaced},
		churnWay(),
	}
}

// scenario is one measurement: how many instances, how often they beat, and
// how long to warm up and measure. run measures a way of keeping beats
// alive under it, runE2E (endtoend_test.go) an end-to-end way.
type scenario struct {
	instances int
	period    time.Duration
	warmup    time.Duration
	window    time.Duration
}

// result is what a scenario measured.
type result struct {
	// add is the time start took to start every instance.
	add time.Duration
	// bytesPerInstance is the heap (objects and goroutine stacks) the
	// instances keep, after a GC, per instance.
	bytesPerInstance float64
	// steady holds the figures of the steady window.
	steady measure.Stats
}

// run measures one way under the scenario, the protocol every row follows:
// GC and read the heap; start the instances, timing it; GC and read the
// heap again; return the memory starting freed to the OS; let them beat
// for the warm-up; then take process CPU time, allocations and beat
// lateness over the steady window. It stops the instances before
// returning.
//
// Returning the freed memory before the window matters for the rows whose
// start frees much (reactor-replaced and reactor-churn replace a million
// instances first): the runtime's background scavenger would return it
// during the window instead, and on this VM each madvise's TLB shootdown
// costs more than the beats (18 % of reactor-churn's CPU in its window,
// in a perf profile).
func (sc scenario) run(start startFunc) (result, error) {
	var r result
	m := measure.NewMeter() // before the heap reading: not per instance
	before := measure.HeapInUse()
	t0 := time.Now()
	stop, err := start(sc.instances, sc.period, m)
	r.add = time.Since(t0)
	if err != nil {
		return r, fmt.Errorf("starting %d instances: %w", sc.instances, err)
	}
	defer stop()
	r.bytesPerInstance = measure.PerInstance(before, measure.HeapInUse(), sc.instances)
	debug.FreeOSMemory()
	time.Sleep(sc.warmup)
	s0 := m.Sample()
	time.Sleep(sc.window)
	r.steady = measure.Between(s0, m.Sample(), sc.instances, sc.period)
	return r, nil
}

// report hands r to the benchmark framework as per-beat and per-instance
// metrics, hiding the meaningless ns/op.
func (r result) report(b *testing.B) {
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(r.steady.CPUPerBeat(), "ns/beat")
	b.ReportMetric(r.bytesPerInstance, "B/instance")
	b.ReportMetric(ms(r.steady.P50()), "p50-late-ms")
	b.ReportMetric(ms(r.steady.P99()), "p99-late-ms")
	b.ReportMetric(ms(r.steady.MaxLate()), "max-late-ms")
	b.ReportMetric(r.steady.FiredPerExpected(), "fired/expected")
	b.ReportMetric(r.steady.AllocsPerBeat(), "allocs/beat")
	b.ReportMetric(r.steady.BeatsPerSecond(), "beats/s")
	b.ReportMetric(r.steady.SwitchesPerSecond(), "switches/s")
	b.ReportMetric(ms(r.add), "add-ms")
}

// steadyWindow is the steady window to measure: window, or two periods
// when window is not positive (the -window flag's default).
func steadyWindow(window, period time.Duration) time.Duration {
	if window <= 0 {
		return 2 * period
	}
	return window
}

// ms converts d to fractional milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// parseSizes parses the -sizes flag.
func parseSizes(s string) ([]int, error) {
	var sizes []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
		if err != nil {
			return nil, fmt.Errorf("-sizes: %w", err)
		}
		if n < 1 {
			return nil, fmt.Errorf("-sizes: %d is not a positive instance count", n)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// BenchmarkKeepAlive runs every way at every -sizes count: one scenario per
// sub-benchmark BenchmarkKeepAlive/<way>/n=<N>. A scenario takes a period
// of warm-up plus the window (15 s by default) and runs once however large
// b.N is, so run with -benchtime=1x; its metrics are per beat and per
// instance, never per op.
func BenchmarkKeepAlive(b *testing.B) {
	sizes, err := parseSizes(*sizesFlag)
	if err != nil {
		b.Fatal(err)
	}
	window := steadyWindow(*windowFlag, *periodFlag)
	for _, w := range ways() {
		b.Run(w.name, func(b *testing.B) {
			for _, n := range sizes {
				b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
					sc := scenario{instances: n, period: *periodFlag, warmup: *periodFlag, window: window}
					r, err := sc.run(w.start)
					if err != nil {
						b.Fatal(err)
					}
					r.report(b)
					if w.extra != nil {
						w.extra(b, r)
					}
				})
			}
		})
	}
}
