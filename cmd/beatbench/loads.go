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
	// halt stops every beat, keeping what deregistering needs;
	// idempotent. Stop still has to be called.
	halt()
	// status reports the load's own counters; cheap enough every second.
	status() status
	// allAdded is closed when every instance has been added.
	allAdded() <-chan struct{}
}

// closed is a closed channel: every instance of a load that adds them
// before it returns is added already.
func closed() <-chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}

// status is what a load reports besides the beats its Meter counts.
type status struct {
	added     int       // instances beating so far
	addedAt   time.Time // when the last instance was added; zero until then
	regFailed uint64    // registrations the server refused or did not answer
	// http counts beats answered with an HTTP error status, which the
	// reactor counts as Failures.Transport; 0 without a reactor.
	http uint64
	// send is the histogram of transport batch durations so far; nil
	// without a reactor.
	send *measure.Snapshot
	// stats are the reactor's, when there is one.
	stats *reactor.Stats
	// server holds the embedded server's counters, when there is one.
	server *nacostest.Counters
	// problems says what went wrong, or "".
	problems string
	// period is the period the instances beat at, when the server's
	// answers set another than -period; 0 otherwise.
	period time.Duration
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

func (c transportChoice) choiceName() string { return c.name }

// lookupTransport returns the choice called name.
func lookupTransport(name string) (transportChoice, bool) { return lookup(transports(), name) }

// transportNames returns the names of every choice, the default first.
func transportNames() []string { return names(transports()) }

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
	n       int
	addedAt time.Time
}

func startScheduler(_ context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	l, err := beatload.Start(sched, loadConfig(cfg, m))
	if err != nil {
		return nil, err
	}
	return schedulerLoad{Load: l, n: cfg.beating(), addedAt: time.Now()}, nil
}

func (schedulerLoad) allAdded() <-chan struct{} { return closed() }

func (l schedulerLoad) halt() { l.Stop() }

func (l schedulerLoad) status() status {
	st := status{added: l.n, addedAt: l.addedAt}
	if n := l.ResetErrors(); n > 0 {
		st.problems = fmt.Sprintf("%d instances stopped beating: the scheduler refused to re-arm them", n)
	}
	return st
}

// reactorLoad is beatload.ReactorLoad as a load.
type reactorLoad struct {
	*beatload.ReactorLoad
	n       int
	addedAt time.Time
	obs     *observer
}

// startNoop adds the shard's instances, with their keys in the whole
// instance space, to a reactor over the no-op transport.
func startNoop(_ context.Context, sched beatload.NewScheduler, cfg config, m *measure.Meter) (load, error) {
	lc := loadConfig(cfg, m)
	obs := newObserver(beatload.Noop{})
	lc.Transport = obs
	l, err := beatload.StartReactor(sched, lc)
	if err != nil {
		return nil, err
	}
	return reactorLoad{ReactorLoad: l, n: cfg.beating(), addedAt: time.Now(), obs: obs}, nil
}

func (reactorLoad) allAdded() <-chan struct{} { return closed() }

func (l reactorLoad) halt() { l.Stop() }

func (l reactorLoad) status() status {
	st := l.Reactor().Stats()
	s := status{added: l.n, addedAt: l.addedAt, stats: &st}
	l.obs.fill(&s)
	return s
}
