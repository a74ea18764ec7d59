package main

import (
	"context"
	"fmt"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// load is a running set of beating instances.
type load interface {
	// Stop stops every beat and releases what the load started;
	// idempotent.
	Stop()
	// status reports the load's own counters; cheap enough every second.
	status() status
}

// status is what a load reports besides the beats its Meter counts.
type status struct {
	added     int           // instances beating so far
	addTook   time.Duration // from start to the last instance added; 0 until then
	regFailed uint64        // registrations the server refused or did not answer
	// stats are the reactor's, when there is one.
	stats *reactor.Stats
	// server holds the embedded server's counters, when there is one.
	server *nacostest.Counters
	// problems says what went wrong, or "".
	problems string
}

// transportChoice is one -transport choice: how beats are kept and sent.
type transportChoice struct {
	name  string
	about string
	// start starts cfg's instances beating, counted into m. It may return
	// before every instance is added; status().added tells.
	start func(ctx context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error)
}

// transports returns every -transport choice, the default first.
func transports() []transportChoice {
	return []transportChoice{
		{name: "nacos", about: "the reactor over the Nacos v1 HTTP transport (to -server, or to an embedded server)", start: startNacos},
		{name: "noop", about: "the whole reactor with a transport that sends nothing", start: startNoop},
		{name: "none", about: "beats straight on the scheduler, no reactor", start: startScheduler},
	}
}

// lookupTransport returns the choice called name.
func lookupTransport(name string) (transportChoice, bool) {
	for _, t := range transports() {
		if t.name == name {
			return t, true
		}
	}
	return transportChoice{}, false
}

// transportNames returns the names of every choice, the default first.
func transportNames() []string {
	var names []string
	for _, t := range transports() {
		names = append(names, t.name)
	}
	return names
}

// loadConfig is the beatload.Config of a run.
func loadConfig(cfg config, m *measure.Meter) beatload.Config {
	return beatload.Config{
		Instances: cfg.beating(),
		Period:    cfg.period,
		Meter:     m,
		Services:  cfg.services,
		Senders:   cfg.senders,
		First:     cfg.shard.index,
		Stride:    cfg.shard.count,
	}
}

// schedulerLoad is beatload.Load as a load.
type schedulerLoad struct {
	*beatload.Load
	n    int
	took time.Duration
}

func startScheduler(_ context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	t0 := time.Now()
	l, err := beatload.Start(sched, loadConfig(cfg, m))
	if err != nil {
		return nil, err
	}
	return schedulerLoad{Load: l, n: cfg.beating(), took: time.Since(t0)}, nil
}

func (l schedulerLoad) status() status {
	st := status{added: l.n, addTook: l.took}
	if n := l.ResetErrors(); n > 0 {
		st.problems = fmt.Sprintf("%d instances stopped beating: the scheduler refused to re-arm them", n)
	}
	return st
}

// reactorLoad is beatload.ReactorLoad as a load.
type reactorLoad struct {
	*beatload.ReactorLoad
	n    int
	took time.Duration
}

// startNoop adds the shard's instances, with their keys in the whole
// instance space, to a reactor over the no-op transport.
func startNoop(_ context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	t0 := time.Now()
	l, err := beatload.StartReactor(sched, loadConfig(cfg, m))
	if err != nil {
		return nil, err
	}
	return reactorLoad{ReactorLoad: l, n: cfg.beating(), took: time.Since(t0)}, nil
}

func (l reactorLoad) status() status {
	st := l.Reactor().Stats()
	return status{added: l.n, addTook: l.took, stats: &st}
}
