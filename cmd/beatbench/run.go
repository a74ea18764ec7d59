package main

import (
	"context"
	"io"
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
func run(ctx context.Context, cfg config, out io.Writer) (*report.Report, error) {
	p := &printer{w: out}
	p.header(cfg)

	m := measure.NewMeter()
	heapBefore := measure.HeapInUse()
	start := time.Now()
	ld, err := cfg.trans.start(ctx, cfg.sched.build(cfg.tick), cfg, m)
	if err != nil {
		return nil, err
	}
	defer ld.Stop()

	r := &runState{cfg: cfg, load: ld, start: start, heapBefore: heapBefore, view: newProgress(p, cfg)}
	r.first = m.Sample()
	r.prev, r.steady = r.first, r.first
	r.view.begin()
	var deadline <-chan time.Time
	if r.checkAdded(r.first) {
		deadline = time.After(cfg.duration)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	interrupted := false
loop:
	for {
		select {
		case <-ticker.C:
		case <-deadline:
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		}
		now := m.Sample()
		r.tick(now)
		if r.checkAdded(now) {
			deadline = time.After(cfg.duration)
		}
	}
	last := m.Sample()
	if last.At.Sub(r.prev.At) >= interval/10 {
		r.tick(last)
	}
	r.view.end()
	end := ld.status()
	ld.Stop()
	rep := r.report(last, end, interrupted)
	p.summary(rep)
	return rep, p.err
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
	steadyStatus        status
	addedAt             time.Time // when the last instance was added; zero until then
	add                 time.Duration
	perInstance         float64
	warm                bool
}

// checkAdded notices, once, that every instance has been added: it notes
// the time that took and the memory they keep, and returns true. The steady
// window starts a period later.
func (r *runState) checkAdded(now measure.Sample) bool {
	if r.addedAt != (time.Time{}) {
		if !r.warm && now.At.Sub(r.addedAt) >= r.cfg.period {
			r.steady, r.steadyStatus, r.warm = now, r.load.status(), true
		}
		return false
	}
	st := r.load.status()
	if st.addTook == 0 {
		return false
	}
	r.addedAt = now.At
	r.add = st.addTook
	r.perInstance = measure.PerInstance(r.heapBefore, measure.HeapInUse(), r.cfg.beating())
	r.steady, r.steadyStatus = now, st
	r.view.note("added %d instances in %s: %.0f B per instance (heap after a GC)", r.cfg.beating(), report.Duration(r.add), r.perInstance)
	return true
}

// tick shows the interval from the previous sample to now.
func (r *runState) tick(now measure.Sample) {
	st := r.load.status()
	t := tick{
		elapsed:   now.At.Sub(r.first.At),
		added:     st.added,
		instances: r.cfg.beating(),
		stats:     measure.Between(r.prev, now, r.cfg.beating(), r.cfg.period),
		rss:       measure.RSS(),
	}
	if st.stats != nil {
		var was reactor.Stats
		if r.prevStatus.stats != nil {
			was = *r.prevStatus.stats
		}
		t.reactor = true
		t.failed = failedBetween(was.Failed, st.stats.Failed)
		t.inFlight = st.stats.InFlight
		t.sendP99 = st.stats.SendLatency.P99
	}
	r.view.tick(t)
	r.prev, r.prevStatus = now, st
}
