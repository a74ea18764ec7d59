package beatload

import (
	"context"
	"fmt"

	"github.com/beatwheel/beatwheel/reactor"
)

// DefaultServices is how many services StartReactor spreads its instances
// over when Config.Services is 0.
const DefaultServices = 1000

// ReactorLoad is N instances kept alive by a reactor.Reactor, by default
// through the Noop transport: the whole engine with the network taken out.
type ReactorLoad struct {
	r *reactor.Reactor
}

// addChunk is how many instances StartReactor builds at a time (see
// Config.AppendInstances).
const addChunk = 4096

// StartReactor starts a Reactor on the scheduler newSched builds (nil:
// the Reactor's default), sending through Recorder{cfg.Transport (default
// Noop), cfg.Meter}, and adds cfg.Instances instances built by Instance
// over cfg.Services services, chosen by cfg.First and cfg.Stride. It
// returns once every instance is added; the Reactor spreads their first
// beats over one period. It registers nothing: with a real server, register
// first. On error the Reactor, if started, is closed.
func StartReactor(newSched NewScheduler, cfg Config) (*ReactorLoad, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := NewReactor(newSched, cfg)
	if err != nil {
		return nil, err
	}
	services := Services(cfg.services())
	var chunk []*reactor.BeatInfo
	for lo := 0; lo < cfg.Instances; lo += addChunk {
		chunk = cfg.AppendInstances(chunk[:0], lo, min(lo+addChunk, cfg.Instances), services)
		for _, b := range chunk {
			if err := r.Add(b); err != nil {
				_ = r.Close(context.Background())
				return nil, fmt.Errorf("beatload: adding instance %s:%d: %w", b.IP, b.Port, err)
			}
		}
	}
	return &ReactorLoad{r: r}, nil
}

// NewReactor returns a Reactor on the scheduler newSched builds (nil: the
// Reactor's default), sending through Recorder{cfg.Transport (default
// Noop), cfg.Meter} with
// cfg.Senders senders (0: the reactor's default), adopting server
// intervals down to cfg.Period when that is below the reactor's default
// floor. It adds nothing.
func NewReactor(newSched NewScheduler, cfg Config) (*reactor.Reactor, error) {
	var tr reactor.Transport = Noop{}
	if cfg.Transport != nil {
		tr = cfg.Transport
	}
	r, err := reactor.New(reactor.Config{
		Transport: Recorder{Transport: tr, Meter: cfg.Meter},
		Scheduler: newSched,
		Senders:   cfg.Senders,
		SizeHint:  cfg.Instances,
		// A load with a short period adopts a server interval as short.
		MinInterval: min(reactor.DefaultMinInterval, max(cfg.Period, reactor.MinPeriod)),
	})
	if err != nil {
		return nil, fmt.Errorf("beatload: new reactor: %w", err)
	}
	return r, nil
}

// Reactor returns the Reactor the instances beat on.
func (l *ReactorLoad) Reactor() *reactor.Reactor { return l.r }

// Stop closes the Reactor: no beat is sent after it returns. Idempotent.
func (l *ReactorLoad) Stop() {
	// Close fails only with ctx's error or deregistration errors; neither
	// can happen with a background context and no deregistration.
	_ = l.r.Close(context.Background())
}
