package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
)

// interval is how often progress is printed.
const interval = time.Second

// run keeps cfg.instances beats alive for cfg.duration, printing progress to
// out every second and a summary at the end, also when ctx is cancelled
// (Ctrl-C) before then.
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
	load, err := tr.start(sched.build(cfg.tick), beatload.Config{
		Instances: cfg.instances,
		Period:    cfg.period,
		Meter:     m,
	})
	if err != nil {
		return fmt.Errorf("starting %s on %s: %w", cfg.transport, cfg.scheduler, err)
	}
	defer load.Stop()
	add := time.Since(t0)
	perInstance := measure.PerInstance(heapBefore, measure.HeapInUse(), cfg.instances)
	p.added(cfg, add, perInstance)

	first := m.Sample()
	steady := first
	warm := false
	prev := first
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	deadline := time.NewTimer(cfg.duration)
	defer deadline.Stop()
	interrupted := false
loop:
	for {
		select {
		case <-ticker.C:
		case <-deadline.C:
			break loop
		case <-ctx.Done():
			interrupted = true
			break loop
		}
		now := m.Sample()
		p.progress(now.At.Sub(first.At), measure.Between(prev, now, cfg.instances, cfg.period),
			measure.PerInstance(liveBefore, measure.LiveHeap(), cfg.instances))
		prev = now
		if !warm && now.At.Sub(first.At) >= cfg.period {
			steady, warm = now, true
		}
	}
	last := m.Sample()
	if last.At.Sub(prev.At) >= interval/10 {
		p.progress(last.At.Sub(first.At), measure.Between(prev, last, cfg.instances, cfg.period),
			measure.PerInstance(liveBefore, measure.LiveHeap(), cfg.instances))
	}
	load.Stop()
	p.summary(summary{
		stats:       measure.Between(steady, last, cfg.instances, cfg.period),
		warmup:      steady.At.Sub(first.At),
		warm:        warm,
		interrupted: interrupted,
		add:         add,
		perInstance: perInstance,
		problems:    load.problems(),
	})
	return p.err
}
