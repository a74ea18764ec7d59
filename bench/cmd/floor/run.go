package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// result is what the window saw.
type result struct {
	cfg    config
	window time.Duration
	beats  uint64 // answered in the window
	failed uint64 // of them, answered with a status other than 200
	conns  uint64 // dialled in the window
	// unanswered is the window's connections that the server ended
	// before answering anything on them (their beats went on the next).
	unanswered uint64
	limit      int64 // requests a connection carried; 0: never ended
	cpu        time.Duration
	switches   uint64
}

// snapshot is the counters and the process (time, CPU, context
// switches) at one moment.
type snapshot struct {
	process                          measure.Sample
	beats, failed, conns, unanswered uint64
}

func take(n *counts, m *measure.Meter) snapshot {
	return snapshot{
		process: m.Sample(),
		beats:   n.beats.Load(), failed: n.failed.Load(), conns: n.conns.Load(), unanswered: n.unanswered.Load(),
	}
}

// run keeps cfg.conns connections sending for cfg.warmup, then measures
// cfg.duration. It returns the first error of a connection, or ctx's if ctx
// ends first.
func run(ctx context.Context, cfg config) (result, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var n counts
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < cfg.conns; i++ {
		k := newConn(cfg, &n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := k.run(ctx, start); err != nil {
				cancel(err)
			}
		}()
	}
	stopped := func() (result, error) {
		cancel(nil)
		wg.Wait()
		return result{}, context.Cause(ctx)
	}
	if !sleep(ctx, cfg.warmup) {
		return stopped()
	}
	m := measure.NewMeter()
	first := take(&n, m)
	if !sleep(ctx, cfg.duration) {
		return stopped()
	}
	last := take(&n, m)
	cancel(nil)
	wg.Wait()
	if err := context.Cause(ctx); err != context.Canceled {
		return result{}, err // a connection failed as the window closed
	}
	return result{
		cfg: cfg, window: last.process.At.Sub(first.process.At),
		beats: last.beats - first.beats, failed: last.failed - first.failed, conns: last.conns - first.conns,
		unanswered: last.unanswered - first.unanswered, limit: n.limit.Load(),
		cpu:      last.process.CPU - first.process.CPU,
		switches: last.process.Switches - first.process.Switches,
	}, nil
}

// sleep waits d, or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// perSecond is x a second over the window.
func (r result) perSecond(x uint64) float64 { return float64(x) / r.window.Seconds() }

// nsPerBeat is the process's CPU per answered beat; 0 with no beats.
func (r result) nsPerBeat() float64 {
	if r.beats == 0 {
		return 0
	}
	return float64(r.cpu.Nanoseconds()) / float64(r.beats)
}

func (r result) print(w io.Writer) {
	limit := "connections kept (the server ended none)"
	if r.limit > 0 {
		limit = fmt.Sprintf("the server ends a connection after %d requests", r.limit)
	}
	fmt.Fprintf(w, "floor: %d connections, each sending %d beats every %v (%.0f a second); %s\n",
		r.cfg.conns, r.cfg.share(), r.cfg.tick, float64(r.cfg.share()*r.cfg.conns)/r.cfg.tick.Seconds(), limit)
	fmt.Fprintf(w, "%12s %12s %12s %8s %12s %12s\n", "beats/s", "failed/s", "dials/s", "CPU%", "switches/s", "CPU/beat")
	fmt.Fprintf(w, "%12.0f %12.0f %12.0f %8.1f %12.0f %10.0fns\n",
		r.perSecond(r.beats), r.perSecond(r.failed), r.perSecond(r.conns),
		100*r.cpu.Seconds()/r.window.Seconds(), r.perSecond(r.switches), r.nsPerBeat())
	if r.unanswered > 0 {
		fmt.Fprintf(w, "%d connections ended before an answer; their beats went on the next\n", r.unanswered)
	}
}
