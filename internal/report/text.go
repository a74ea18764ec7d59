package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Column widths of the text summary.
const (
	labelWidth = 14
	cellWidth  = 12
)

// WriteText writes r as the text summary: a line saying what the figures
// cover, then an aligned table, a heading row above each row of figures.
func WriteText(w io.Writer, r *Report) error {
	t := &table{w: w}
	t.intro(r)
	t.beats(r)
	t.latency(r)
	t.cost(r)
	if s := r.Server; s != nil {
		t.row("", "beats", "not found", "registered", "healthy", "unhealthy")
		t.row("Server", strconv.FormatUint(s.Beats, 10), strconv.FormatUint(s.NotFound, 10),
			strconv.FormatUint(s.Registrations, 10), strconv.Itoa(s.Healthy), strconv.Itoa(s.Unhealthy))
	}
	if g := r.Registrations; g != nil && *g != (Registrations{}) {
		t.row("", "failed", "re-reg ok", "re-reg fail")
		t.row("Registrations", strconv.FormatUint(g.Failed, 10), strconv.FormatUint(g.Reregistered, 10),
			strconv.FormatUint(g.ReregisterFailed, 10))
	}
	for i, p := range r.Problems {
		label := ""
		if i == 0 {
			label = "Errors"
		}
		t.printf("%-*s%s\n", labelWidth, label, p)
	}
	t.notes(r)
	return t.err
}

// intro says what the report covers.
func (t *table) intro(r *Report) {
	c := r.Config
	t.printf("\n")
	if r.Interrupted {
		t.printf("interrupted: the report so far\n")
	}
	what := fmt.Sprintf("%d instances", r.Instances())
	if len(r.Shards) > 1 || (len(r.Shards) == 1 && r.Shards[0].Count > 1) {
		what = fmt.Sprintf("%d of %d instances (shard %s)", r.Instances(), c.Instances, Shards(r.Shards))
	}
	if len(r.Shards) > 1 {
		what = "merged " + what
	}
	t.printf("Summary: %s, period %v, transport %s\n", what, c.Period, c.Transport)
	w := r.Window
	length := Duration(w.Length)
	switch {
	case !w.AllAdded:
		t.printf("Window: the whole %s (stopped before every instance was added)\n", length)
	case w.Steady:
		t.printf("Window: the steady %s, after %s of adding and %s of warm-up\n", length, Duration(w.Add), Duration(w.Warmup-w.Add))
	default:
		t.printf("Window: the %s since every instance was added (too short to leave out a period of warm-up)\n", length)
	}
	if p := r.BeatPeriod(); p != c.Period {
		t.printf("Period: the server asked for beats every %v (clientBeatInterval), not -period %v: the instances beat every %v, and expected beats are counted at it\n", p, c.Period, p)
	}
	if w.Short {
		t.printf("Window shorter than two periods (%v): too short to judge delivery by; run longer\n", 2*r.BeatPeriod())
	}
	t.printf("\n")
}

// beats writes the beat counts and, with a reactor, the failures by kind.
func (t *table) beats(r *Report) {
	b := r.Beats
	t.row("", "expected", "sent", "ok", "failed", "delivered", "beats/s")
	t.row("Beats", Count(b.Expected), strconv.FormatUint(b.Sent, 10), strconv.FormatUint(b.OK, 10),
		strconv.FormatUint(b.Failed.Total, 10), strconv.FormatFloat(b.DeliveredPct, 'f', 2, 64)+"%", Count(b.PerSecond))
	if r.SendLatency == nil {
		return
	}
	f := b.Failed
	t.row("", "20404", "other code", "HTTP error", "timeout", "transport")
	t.row("Failed by kind", strconv.FormatUint(f.NotFound, 10), strconv.FormatUint(f.Code, 10),
		strconv.FormatUint(f.HTTP, 10), strconv.FormatUint(f.Timeout, 10), strconv.FormatUint(f.Transport, 10))
	t.row("", "full", "light")
	t.row("Sent as", strconv.FormatUint(b.Sent-min(b.Light, b.Sent), 10), strconv.FormatUint(b.Light, 10))
}

// latency writes the percentiles of send latency and lateness.
func (t *table) latency(r *Report) {
	t.row("", "p50", "p90", "p99", "p99.9", "max")
	if l := r.SendLatency; l != nil {
		t.row("Send latency", l.cells()...)
	}
	t.row("Lateness", r.Lateness.cells()...)
}

// cells returns l's percentiles formatted.
func (l Latency) cells() []string {
	return []string{Duration(l.P50), Duration(l.P90), Duration(l.P99), Duration(l.P999), Duration(l.Max)}
}

// cost writes CPU, allocations, memory and add time.
func (t *table) cost(r *Report) {
	c := r.Cost
	add, mem := "-", "-"
	if r.Window.AllAdded {
		add = Duration(r.Window.Add)
		mem = Count(c.BytesPerInstance) + " B"
	}
	t.row("", "CPU/beat", "CPU", "switches/s", "allocs/beat", "mem/inst", "RSS", "add time")
	t.row("Cost", Duration(time.Duration(c.CPUPerBeat)), strconv.FormatFloat(c.CPUPercent, 'f', 1, 64)+"%",
		Count(c.SwitchesPerSecond), strconv.FormatFloat(c.AllocsPerBeat, 'f', 3, 64), mem, Bytes(c.RSS), add)
}

// notes says what the figures mean where the table cannot.
func (t *table) notes(r *Report) {
	t.printf("\n")
	if r.SendLatency != nil {
		t.printf("Send latency is per transport batch over the whole run; the rest covers the window.\n")
		t.printf("HTTP error: answered with an HTTP error status (such as 500) instead of a Nacos answer;\n")
		t.printf("light beats are beats sent without a body, as the server allows: not failures.\n")
	}
	server := ""
	if r.Server != nil {
		server = ", the embedded server included"
	}
	t.printf("CPU is the whole process's (one core = 100%%), per delivered beat%s;\n", server)
	t.printf("switches/s: its threads' context switches, each a sleep and a wake-up.\n")
	if len(r.Shards) > 1 {
		t.printf("Merged percentiles are the largest of the shards' (an upper bound); counts are sums.\n")
	}
}

// table writes rows of right-aligned cells after a left-aligned label and
// remembers the first write error.
type table struct {
	w   io.Writer
	err error
}

func (t *table) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

// row writes one row.
func (t *table) row(label string, cells ...string) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%-*s", labelWidth, label)
	for _, c := range cells {
		fmt.Fprintf(&sb, "%*s", cellWidth, c)
	}
	t.printf("%s\n", strings.TrimRight(sb.String(), " "))
}
