package main

import (
	"fmt"

	"github.com/beatwheel/beatwheel/internal/beatload"
)

// load is a running set of beating instances.
type load interface {
	// Stop stops every beat; idempotent.
	Stop()
	// problems says what went wrong while running, or "" when nothing did.
	problems() string
}

// transport is one -transport choice: how beats are kept and sent.
type transport struct {
	name  string
	about string
	start func(sched beatload.NewScheduler, cfg beatload.Config) (load, error)
}

// transports returns every -transport choice, the default first.
func transports() []transport {
	return []transport{
		{name: "none", about: "beats straight on the scheduler, no reactor", start: startScheduler},
		{name: "noop", about: "the whole reactor with a transport that sends nothing", start: startReactor},
	}
}

// lookupTransport returns the choice called name.
func lookupTransport(name string) (transport, bool) {
	for _, t := range transports() {
		if t.name == name {
			return t, true
		}
	}
	return transport{}, false
}

// transportNames returns the names of every choice, the default first.
func transportNames() []string {
	var names []string
	for _, t := range transports() {
		names = append(names, t.name)
	}
	return names
}

// schedulerLoad is beatload.Load as a load.
type schedulerLoad struct{ *beatload.Load }

func startScheduler(sched beatload.NewScheduler, cfg beatload.Config) (load, error) {
	l, err := beatload.Start(sched, cfg)
	if err != nil {
		return nil, err
	}
	return schedulerLoad{l}, nil
}

func (l schedulerLoad) problems() string {
	if n := l.ResetErrors(); n > 0 {
		return fmt.Sprintf("%d instances stopped beating: the scheduler refused to re-arm them", n)
	}
	return ""
}

// reactorLoad is beatload.ReactorLoad as a load.
type reactorLoad struct{ *beatload.ReactorLoad }

func startReactor(sched beatload.NewScheduler, cfg beatload.Config) (load, error) {
	l, err := beatload.StartReactor(sched, cfg)
	if err != nil {
		return nil, err
	}
	return reactorLoad{l}, nil
}

func (l reactorLoad) problems() string {
	st := l.Reactor().Stats()
	if n := st.Failed.Total(); n > 0 {
		return fmt.Sprintf("%d beats failed", n)
	}
	return ""
}
