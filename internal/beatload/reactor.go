package beatload

import (
	"context"
	"fmt"

	"github.com/beatwheel/beatwheel/reactor"
)

// DefaultServices is how many services StartReactor spreads its instances
// over when Config.Services is 0.
const DefaultServices = 1000

// ReactorLoad is N instances kept alive by a reactor.Reactor through the
// no-op Transport: the whole engine with the network taken out.
type ReactorLoad struct {
	r *reactor.Reactor
}

// StartReactor starts a Reactor on the scheduler newSched builds, with
// Transport{cfg.Meter}, and adds cfg.Instances instances built by Instance
// over cfg.Services services. It returns once every instance is added; the
// Reactor spreads their first beats over one period. On error the Reactor,
// if started, is closed.
func StartReactor(newSched NewScheduler, cfg Config) (*ReactorLoad, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r, err := reactor.New(reactor.Config{
		Transport: Transport{Meter: cfg.Meter},
		Scheduler: newSched,
	})
	if err != nil {
		return nil, fmt.Errorf("beatload: new reactor: %w", err)
	}
	services := Services(cfg.services())
	for i := range cfg.Instances {
		if err := r.Add(Instance(i, services, cfg.Period)); err != nil {
			_ = r.Close(context.Background())
			return nil, fmt.Errorf("beatload: adding instance %d of %d: %w", i, cfg.Instances, err)
		}
	}
	return &ReactorLoad{r: r}, nil
}

// Reactor returns the Reactor the instances beat on.
func (l *ReactorLoad) Reactor() *reactor.Reactor { return l.r }

// Stop closes the Reactor: no beat is sent after it returns. Idempotent.
func (l *ReactorLoad) Stop() {
	// Close fails only with ctx's error or deregistration errors; neither
	// can happen with a background context and no deregistration.
	_ = l.r.Close(context.Background())
}
