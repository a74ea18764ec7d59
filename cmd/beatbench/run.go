package main

import (
	"context"
	"io"
	"runtime/debug"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/internal/report"
	"github.com/beatwheel/beatwheel/reactor"
)

// interval is how often progress is shown.
const interval = time.Second

// run keeps the shard's instances beating for cfg.duration once they are
// all added, showing progress on out every second and the summary at the
// end, also when ctx is cancelled (Ctrl-C) before then. It returns the
// report the summary shows; with an error from writing, the report too.
// cfg must have been validated: run uses the choices validate looked up.
//
// The window's edges are timers set from when the last instance was
// really added, not progress ticks: the steady window starts a period
// (the one in effect: the server may ask for another) after that, and the run ends cfg.duration after it.
func run(ctx context.Context, cfg config, out io.Writer) (*report.Report, error) {
	p := &printer{w: out}
	p.header(cfg)
	if cfg.gogc > 0 {
		defer debug.SetGCPercent(debug.SetGCPercent(cfg.gogc))
	}

	m := measure.NewMeter()
	heapBefore := measure.HeapInUse()
	start := time.Now()
	ld, err := cfg.trans.start(ctx, cfg.sched.build(cfg.tick), cfg, m)
	if err != nil {
		return nil, err
	}
	defer ld.Stop()
	if pe := ld.status().period; pe > 0 && pe != cfg.period {
		cfg.inEffect = pe
		p.printf("the server asks for beats every %v (clientBeatInterval), not -period %v: the instances beat every %v, as a Nacos client does; expected beats and the warm-up count in it\n", pe, cfg.period, pe)
	}

	r := &runState{cfg: cfg, load: ld, start: start, heapBefore: heapBefore, view: newProgress(p, cfg)}
	r.first = m.Sample()
	r.prev, r.steady = r.first, r.first
	r.view.begin()
	added := ld.allAdded()
	var warm, end <-chan time.Time
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	interrupted := false
loop:
	for {
		select {
		case <-added:
			added = nil
			now, st := m.Sample(), ld.status()
			warmIn, endIn := planWindow(st.addedAt, time.Now(), cfg.beatPeriod(), cfg.duration)
			warm, end = time.After(warmIn), time.After(endIn)
			r.allAdded(now, st)
		case v := <-r.perInstanceC:
			r.measured(v)
		case <-warm:
			warm = nil
			if s := m.Sample(); s.At.Before(r.addedAt.Add(cfg.duration)) {
				r.steady, r.steadyStatus, r.warm = s, ld.status(), true
			}
		case <-ticker.C:
			r.tick(m.Sample())
		case <-end:
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		}
	}
	last := m.Sample()
	endStatus := ld.status()
	ld.halt()
	if last.At.Sub(r.prev.At) >= interval/10 {
		r.tickWith(last, endStatus)
	}
	if r.perInstanceC != nil {
		r.measured(<-r.perInstanceC)
	}
	r.view.end()
	rep := r.report(last, endStatus, interrupted)
	p.summary(rep)
	if d, ok := ld.(deregisterer); ok && len(cfg.servers) > 0 && !cfg.keep {
		cleanup(d, p)
	}
	return rep, p.err
}

// planWindow returns how long after now the steady window starts (a
// period after addedAt, when the last instance was added) and the run
// ends (duration after addedAt); 0 for a time already past.
func planWindow(addedAt, now time.Time, period, duration time.Duration) (warmIn, endIn time.Duration) {
	return max(addedAt.Add(period).Sub(now), 0), max(addedAt.Add(duration).Sub(now), 0)
}

// runState is what run tracks between progress lines.
type runState struct {
	cfg        config
	load       load
	view       progress
	start      time.Time
	heapBefore uint64

	first, prev, steady measure.Sample
	prevStatus          status
	prevSend            *measure.Snapshot
	steadyStatus        status
	addedAt             time.Time // when the last instance was added; zero until then
	perInstance         float64
	perInstanceC        <-chan float64 // the measurement under way; nil when none is
	warm                bool
	series              []report.Point
}

// allAdded notes that every instance has been added, at st.addedAt, and
// starts measuring the memory they keep, which a GC on its own goroutine
// does: the run's loop must take the window's samples on time meanwhile.
// Until the steady window starts, the window starts at now, the sample
// taken on hearing of it.
func (r *runState) allAdded(now measure.Sample, st status) {
	r.addedAt = st.addedAt
	r.steady, r.steadyStatus = now, st
	c := make(chan float64, 1)
	before, n := r.heapBefore, r.cfg.beating()
	go func() { c <- measure.PerInstance(before, measure.HeapInUse(), n) }()
	r.perInstanceC = c
}

// measured notes the memory per instance allAdded measured.
func (r *runState) measured(perInstance float64) {
	r.perInstance, r.perInstanceC = perInstance, nil
	r.view.note("added %d instances in %s: %.0f B per instance (heap after a GC)", r.cfg.beating(), report.Duration(r.addedAt.Sub(r.start)), r.perInstance)
}

// tick shows the interval from the previous sample to now.
func (r *runState) tick(now measure.Sample) { r.tickWith(now, r.load.status()) }

// tickWith shows the interval from the previous sample to now, st being
// the load's status at now, and adds it to the series.
func (r *runState) tickWith(now measure.Sample, st status) {
	t := tick{
		elapsed:   now.At.Sub(r.first.At),
		added:     st.added,
		instances: r.cfg.beating(),
		stats:     measure.Between(r.prev, now, r.cfg.beating(), r.cfg.beatPeriod()),
		rss:       measure.RSS(),
	}
	secs := t.stats.Elapsed.Seconds()
	pt := report.Point{
		T:           now.At.Sub(r.start),
		Added:       st.added,
		OK:          t.stats.BeatsPerSecond(),
		Sent:        t.stats.BeatsPerSecond(),
		LatenessP99: t.stats.P99(),
		CPUPercent:  t.stats.CPUPercent(),
		Switches:    t.stats.SwitchesPerSecond(),
		RSS:         t.rss,
	}
	if st.stats != nil {
		var was reactor.Stats
		if r.prevStatus.stats != nil {
			was = *r.prevStatus.stats
		}
		t.reactor = true
		t.failed = failedBetween(was.Failed, st.stats.Failed, r.prevStatus.http, st.http)
		t.inFlight = st.stats.InFlight
		t.sendP99 = st.stats.SendLatency.P99
		pt.Sent = perSecond(st.stats.Sent-was.Sent, secs)
		pt.Reregistered = perSecond(st.stats.Reregistered-was.Reregistered, secs)
		pt.Failed = report.FailureRates{
			NotFound: perSecond(t.failed.NotFound, secs), Code: perSecond(t.failed.Code, secs), HTTP: perSecond(t.failed.HTTP, secs),
			Timeout: perSecond(t.failed.Timeout, secs), Transport: perSecond(t.failed.Transport, secs), Total: perSecond(t.failed.Total(), secs),
		}
		if st.send != nil {
			pt.SendP99 = st.send.Sub(r.prevSend).Quantile(0.99)
			r.prevSend = st.send
		}
	}
	r.view.tick(t)
	r.series = append(r.series, pt)
	r.prev, r.prevStatus = now, st
}

// perSecond returns n per second over secs, or 0.
func perSecond(n uint64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}
