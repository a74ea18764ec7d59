package main

import (
	"fmt"
	"io"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// printer writes beatbench's report and remembers the first write error.
type printer struct {
	w   io.Writer
	err error
}

// printf writes unless an earlier write failed.
func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	if _, err := fmt.Fprintf(p.w, format, args...); err != nil {
		p.err = fmt.Errorf("writing report: %w", err)
	}
}

// header says what the run does.
func (p *printer) header(cfg config) {
	p.printf("beatbench: %d instances, period %v, transport %s, scheduler %s (tick %v), for %v\n",
		cfg.instances, cfg.period, cfg.transport, cfg.scheduler, cfg.tick, cfg.duration)
}

// added reports adding the instances and the memory they keep, then the
// column heads of the progress lines.
func (p *printer) added(cfg config, add time.Duration, perInstance float64) {
	p.printf("added %d instances in %v: %.0f B per instance (heap after a GC)\n",
		cfg.instances, add.Round(time.Microsecond), perInstance)
	p.printf("%8s %10s %9s %7s %8s %10s %10s %10s\n",
		"time", "beats/s", "ns/beat", "CPU%", "B/inst", "p50-late", "p99-late", "max-late")
}

// progress prints one interval's figures; mem is memory per instance from
// the live heap (moves only when the GC runs).
func (p *printer) progress(elapsed time.Duration, st measure.Stats, mem float64) {
	p.printf("%8s %10.0f %9.0f %7.1f %8.0f %10s %10s %10s\n",
		elapsed.Round(100*time.Millisecond), st.BeatsPerSecond(), st.CPUPerBeat(), st.CPUPercent(), mem,
		late(st.P50()), late(st.P99()), late(st.MaxLate()))
}

// summary is the figures of the whole run.
type summary struct {
	stats       measure.Stats // over the steady part
	warmup      time.Duration // left out before it
	warm        bool          // whether the warm-up period ended before the run did
	interrupted bool
	add         time.Duration
	perInstance float64
	problems    string // what went wrong, or ""
}

// summary prints the figures of the steady part of the run.
func (p *printer) summary(s summary) {
	st := s.stats
	p.printf("\n")
	if s.interrupted {
		p.printf("interrupted: the report so far\n")
	}
	if s.warm {
		p.printf("summary of the steady %v (after %v of warm-up):\n", st.Elapsed.Round(time.Millisecond), s.warmup.Round(time.Millisecond))
	} else {
		p.printf("summary of the whole %v (too short to leave out a period of warm-up):\n", st.Elapsed.Round(time.Millisecond))
	}
	p.printf("  %-14s %d of %.0f expected (fired/expected %.4f)\n", "beats", st.Beats, st.Expected, st.FiredPerExpected())
	p.printf("  %-14s %.0f\n", "beats/s", st.BeatsPerSecond())
	p.printf("  %-14s %.0f ns (CPU %.1f%% of one core)\n", "CPU per beat", st.CPUPerBeat(), st.CPUPercent())
	p.printf("  %-14s %.3f\n", "allocs/beat", st.AllocsPerBeat())
	p.printf("  %-14s %.0f B per instance (heap after adding, after a GC)\n", "memory", s.perInstance)
	p.printf("  %-14s %v\n", "add time", s.add.Round(time.Microsecond))
	p.printf("  %-14s p50 %s, p99 %s, p999 %s, max %s\n", "lateness",
		late(st.P50()), late(st.P99()), late(st.P999()), late(st.MaxLate()))
	if s.problems != "" {
		p.printf("  %-14s %s\n", "errors", s.problems)
	}
}

// late formats a lateness to about three significant digits.
func late(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond).String()
	default:
		return d.String()
	}
}
