package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// interval is how often progress is printed.
const interval = time.Second

// run keeps cfg.instances instances beating for cfg.duration once they are
// all added, printing progress to out every second and a summary at the
// end, also when ctx is cancelled (Ctrl-C) before then.
func run(ctx context.Context, cfg config, out io.Writer) error {
	sched, ok := lookupScheduler(cfg.scheduler)
	if !ok {
		return fmt.Errorf("unknown scheduler %q", cfg.scheduler)
	}
	tr, ok := lookupTransport(cfg.transport)
	if !ok {
		return fmt.Errorf("unknown transport %q", cfg.transport)
	}
	p := &printer{w: out}
	p.header(cfg)

	m := measure.NewMeter()
	heapBefore := measure.HeapInUse()
	liveBefore := measure.LiveHeap()
	t0 := time.Now()
	ld, err := tr.start(ctx, sched.build(cfg.tick), cfg, m)
	if err != nil {
		return err
	}
	defer ld.Stop()

	r := &runState{cfg: cfg, load: ld, t0: t0, heapBefore: heapBefore, liveBefore: liveBefore}
	r.first = m.Sample()
	r.prev, r.steady = r.first, r.first
	var deadline <-chan time.Time
	if r.checkAdded(p, r.first) {
		deadline = time.After(cfg.duration)
	}
	p.columns()
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
		r.progress(p, now)
		if r.checkAdded(p, now) {
			deadline = time.After(cfg.duration)
		}
	}
	last := m.Sample()
	if last.At.Sub(r.prev.At) >= interval/10 {
		r.progress(p, last)
	}
	end := ld.status()
	ld.Stop()
	p.summary(summary{
		stats:       measure.Between(r.steady, last, cfg.instances, cfg.period),
		warmup:      r.steady.At.Sub(r.first.At),
		warm:        r.warm,
		interrupted: interrupted,
		added:       r.addedAt != time.Time{},
		add:         r.add,
		perInstance: r.perInstance,
		end:         end,
		start:       r.steadyStatus,
	})
	return p.err
}

// runState is what run tracks between progress lines.
type runState struct {
	cfg        config
	load       load
	t0         time.Time
	heapBefore uint64
	liveBefore uint64

	first, prev, steady measure.Sample
	prevStatus          status
	steadyStatus        status
	addedAt             time.Time // when the last instance was added; zero until then
	add                 time.Duration
	perInstance         float64
	warm                bool
}

// checkAdded notices, once, that every instance has been added: it reports
// the time that took and the memory they keep, and returns true. The steady
// window starts a period later.
func (r *runState) checkAdded(p *printer, now measure.Sample) bool {
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
	r.perInstance = measure.PerInstance(r.heapBefore, measure.HeapInUse(), r.cfg.instances)
	r.steady, r.steadyStatus = now, st
	p.added(r.cfg, r.add, r.perInstance)
	return true
}

// progress prints the interval from the previous sample to now.
func (r *runState) progress(p *printer, now measure.Sample) {
	st := r.load.status()
	p.progress(progressLine{
		elapsed: now.At.Sub(r.first.At),
		added:   st.added,
		stats:   measure.Between(r.prev, now, r.cfg.instances, r.cfg.period),
		memory:  measure.PerInstance(r.liveBefore, measure.LiveHeap(), max(st.added, 1)),
		rss:     measure.RSS(),
		now:     st,
		before:  r.prevStatus,
	})
	r.prev, r.prevStatus = now, st
}
