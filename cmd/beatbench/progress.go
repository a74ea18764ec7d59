package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/internal/report"
)

// tick is one second of a run, as a progress line shows it.
type tick struct {
	elapsed   time.Duration
	added     int           // instances beating
	instances int           // of this many
	stats     measure.Stats // beats delivered in the interval
	reactor   bool          // whether the fields below are known
	failed    failures
	inFlight  int64
	sendP99   time.Duration // over the whole run
	rss       uint64
}

// failedPerSecond returns the interval's failures per second.
func (t tick) failedPerSecond() float64 {
	if s := t.stats.Elapsed.Seconds(); s > 0 {
		return float64(t.failed.Total()) / s
	}
	return 0
}

// failureKinds names the kinds of the interval's failures, or "-".
func (t tick) failureKinds() string {
	var parts []string
	for _, k := range []struct {
		name string
		n    uint64
	}{{"20404", t.failed.NotFound}, {"code", t.failed.Code}, {"http", t.failed.HTTP}, {"timeout", t.failed.Timeout}, {"transport", t.failed.Transport}} {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d", k.name, k.n))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// progress shows a run's ticks: plainProgress writes a line each, for logs
// and pipes; ttyProgress rewrites one line in place, on a terminal.
type progress interface {
	// begin is called once, before the first tick.
	begin()
	// tick shows one interval.
	tick(t tick)
	// note writes a line of its own, such as "added ... instances".
	note(format string, args ...any)
	// end is called once, after the last tick, before the summary.
	end()
}

// newProgress returns the progress display for cfg, writing to p.
func newProgress(p *printer, cfg config) progress {
	if cfg.tty {
		return &ttyProgress{p: p, width: termWidth(p.w)}
	}
	return plainProgress{p: p}
}

// plainProgress writes a line per tick under a line of column heads.
type plainProgress struct{ p *printer }

func (pp plainProgress) begin() {
	pp.p.printf("(* p99-send covers the whole run so far; the other columns the last second)\n")
	pp.p.printf("%8s %9s %9s %8s %8s %9s %9s %7s %6s %7s %7s  %s\n",
		"time", "added", "beats/s", "failed/s", "inflight", "p99-send*", "p99-late", "ns/beat", "CPU%", "sw/s", "RSS-MB", "failures")
}

func (pp plainProgress) tick(t tick) {
	failed, inflight, send := "-", "-", "-"
	if t.reactor {
		failed, inflight, send = fmt.Sprintf("%.0f", t.failedPerSecond()), fmt.Sprint(t.inFlight), report.Duration(t.sendP99)
	}
	pp.p.printf("%8s %9d %9.0f %8s %8s %9s %9s %7.0f %6.1f %7.0f %7.0f  %s\n",
		t.elapsed.Round(100*time.Millisecond), t.added, t.stats.BeatsPerSecond(), failed, inflight, send,
		report.Duration(t.stats.P99()), t.stats.CPUPerBeat(), t.stats.CPUPercent(), t.stats.SwitchesPerSecond(),
		float64(t.rss)/(1<<20), t.failureKinds())
}

func (pp plainProgress) note(format string, args ...any) { pp.p.printf(format+"\n", args...) }

func (plainProgress) end() {}

// ttyProgress rewrites one status line in place once a second.
type ttyProgress struct {
	p     *printer
	width int  // of the terminal; 0: unknown
	shown bool // a status line is on screen
}

// clearLine returns the cursor to the line's start and clears to its end.
const clearLine = "\r\x1b[K"

func (tp *ttyProgress) begin() {}

func (tp *ttyProgress) tick(t tick) {
	line := fmt.Sprintf("%s  %d/%d up  %.0f beats/s", t.elapsed.Round(time.Second), t.added, t.instances, t.stats.BeatsPerSecond())
	if t.reactor {
		line += fmt.Sprintf("  failed/s %.0f %s  in flight %d  p99 send (run) %s", t.failedPerSecond(), t.failureKinds(), t.inFlight, report.Duration(t.sendP99))
	}
	line += fmt.Sprintf("  p99 late %s  CPU %.0f%%  %.0f switches/s  RSS %.0f MB", report.Duration(t.stats.P99()), t.stats.CPUPercent(),
		t.stats.SwitchesPerSecond(), float64(t.rss)/(1<<20))
	if r := []rune(line); tp.width > 1 && len(r) >= tp.width {
		line = string(r[:tp.width-1]) // a wrapped line cannot be rewritten
	}
	tp.p.printf("%s%s", clearLine, line)
	tp.shown = true
}

// note clears the status line, writes the note, and leaves the status line
// to the next tick.
func (tp *ttyProgress) note(format string, args ...any) {
	if tp.shown {
		tp.p.printf("%s", clearLine)
		tp.shown = false
	}
	tp.p.printf(format+"\n", args...)
}

// end keeps the last status line on screen.
func (tp *ttyProgress) end() {
	if tp.shown {
		tp.p.printf("\n")
	}
}
