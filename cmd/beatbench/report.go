package main

import (
	"fmt"
	"io"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
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
	target := ""
	if cfg.transport == "nacos" {
		target = " to an embedded server"
		if len(cfg.servers) > 0 {
			target = fmt.Sprintf(" to %v", cfg.servers)
		}
		target += fmt.Sprintf(" (%s)", cfg.mode)
	}
	p.printf("beatbench: %d instances, period %v, transport %s%s, scheduler %s (tick %v), for %v\n",
		cfg.instances, cfg.period, cfg.transport, target, cfg.scheduler, cfg.tick, cfg.duration)
}

// added reports adding the instances and the memory they keep.
func (p *printer) added(cfg config, add time.Duration, perInstance float64) {
	p.printf("added %d instances in %s: %.0f B per instance (heap after a GC)\n",
		cfg.instances, late(add), perInstance)
}

// columns prints the heads of the progress lines.
func (p *printer) columns() {
	p.printf("%8s %9s %9s %8s %7s %8s %8s %9s %9s %9s\n",
		"time", "added", "beats/s", "failed/s", "ns/beat", "CPU%", "RSS-MB", "inflight", "p99-send", "p99-late")
}

// progressLine is one second of a run.
type progressLine struct {
	elapsed     time.Duration
	added       int
	stats       measure.Stats // beats the server accepted in the interval
	memory      float64       // live heap per added instance (moves when the GC runs)
	rss         uint64
	now, before status
}

// progress prints one interval's figures.
func (p *printer) progress(l progressLine) {
	failed, inflight, send := 0.0, "-", "-"
	if l.now.stats != nil {
		var was uint64
		if l.before.stats != nil {
			was = l.before.stats.Failed.Total()
		}
		if s := l.stats.Elapsed.Seconds(); s > 0 {
			failed = float64(l.now.stats.Failed.Total()-was) / s
		}
		inflight = fmt.Sprint(l.now.stats.InFlight)
		send = late(l.now.stats.SendLatency.P99)
	}
	p.printf("%8s %9d %9.0f %8.0f %7.0f %8.1f %8.0f %9s %9s %9s\n",
		l.elapsed.Round(100*time.Millisecond), l.added, l.stats.BeatsPerSecond(), failed,
		l.stats.CPUPerBeat(), l.stats.CPUPercent(), float64(l.rss)/(1<<20), inflight, send, late(l.stats.P99()))
}

// summary is the figures of the whole run.
type summary struct {
	stats       measure.Stats // over the steady part
	warmup      time.Duration // left out before it
	warm        bool          // whether the warm-up period ended before the run did
	interrupted bool
	added       bool // whether every instance was added
	add         time.Duration
	perInstance float64
	start, end  status // at the start of the steady part, and at the end
}

// summary prints the figures of the steady part of the run.
func (p *printer) summary(s summary) {
	st := s.stats
	p.printf("\n")
	if s.interrupted {
		p.printf("interrupted: the report so far\n")
	}
	switch {
	case !s.added:
		p.printf("summary of the whole %v (stopped before every instance was added):\n", st.Elapsed.Round(time.Millisecond))
	case s.warm:
		p.printf("summary of the steady %v (after %v of adding and a period of warm-up):\n", st.Elapsed.Round(time.Millisecond), s.warmup.Round(time.Millisecond))
	default:
		p.printf("summary of the %v since every instance was added (too short to leave out a period of warm-up):\n", st.Elapsed.Round(time.Millisecond))
	}
	p.printf("  %-14s %d of %.0f expected (delivered %.2f%%)\n", "beats", st.Beats, st.Expected, 100*st.FiredPerExpected())
	p.printf("  %-14s %.0f\n", "beats/s", st.BeatsPerSecond())
	if a, b := s.start.stats, s.end.stats; a != nil && b != nil {
		p.printf("  %-14s %d sent, %d ok, %d light; failed: %s\n", "reactor",
			b.Sent-a.Sent, b.OK-a.OK, b.Light-a.Light, failures(a.Failed, b.Failed))
		p.printf("  %-14s p50 %s, p90 %s, p99 %s, p999 %s, max %s (per batch, whole run)\n", "send latency",
			late(b.SendLatency.P50), late(b.SendLatency.P90), late(b.SendLatency.P99), late(b.SendLatency.P999), late(b.SendLatency.Max))
		if b.Reregistered+b.ReregisterFailed > 0 {
			p.printf("  %-14s %d re-registered after 20404, %d failed\n", "re-register", b.Reregistered, b.ReregisterFailed)
		}
	}
	p.printf("  %-14s p50 %s, p99 %s, p999 %s, max %s\n", "lateness",
		late(st.P50()), late(st.P99()), late(st.P999()), late(st.MaxLate()))
	p.printf("  %-14s %.0f ns (CPU %.1f%% of one core)\n", "CPU per beat", st.CPUPerBeat(), st.CPUPercent())
	p.printf("  %-14s %.3f\n", "allocs/beat", st.AllocsPerBeat())
	if s.added {
		p.printf("  %-14s %.0f B per instance (heap after adding, after a GC)\n", "memory", s.perInstance)
		p.printf("  %-14s %s\n", "add time", late(s.add))
	}
	if a, b := s.start.server, s.end.server; a != nil && b != nil {
		p.printf("  %-14s %d beats received, %d healthy, %d unhealthy instances (CPU above includes it)\n", "server",
			b.Beats-a.Beats, b.Healthy, b.Unhealthy)
	}
	if s.end.problems != "" {
		p.printf("  %-14s %s\n", "errors", s.end.problems)
	}
}

// failures formats the failures between two counts.
func failures(a, b reactor.Failures) string {
	if b.Total() == a.Total() {
		return "none"
	}
	return fmt.Sprintf("%d (20404 %d, other code %d, timeout %d, transport %d)", b.Total()-a.Total(),
		b.NotFound-a.NotFound, b.Code-a.Code, b.Timeout-a.Timeout, b.Transport-a.Transport)
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
