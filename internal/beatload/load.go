package beatload

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/wheel"
)

// NewScheduler builds the scheduler a Load runs on, handing its expiries to
// h. It is how callers choose between *wheel.Wheel and the RussellLuo
// adapter, and how tests get a Manual wheel they can drive.
type NewScheduler func(h wheel.Handler) (wheel.Scheduler, error)

// Config says what a Load keeps alive.
type Config struct {
	// Instances is the number of beats kept alive, at least 1.
	Instances int
	// Period is the time between two beats of one instance, above 0.
	Period time.Duration
	// Meter receives every beat. Required.
	Meter *measure.Meter
	// Services is how many services StartReactor spreads the instances
	// over; 0 means DefaultServices. Start ignores it.
	Services int
	// Transport is what NewReactor and StartReactor send through; nil
	// means Noop. Start ignores it.
	Transport reactor.Transport
	// Senders is the reactor's Config.Senders (the most senders at once);
	// 0 means its default. Start ignores it.
	Senders int
	// First and Stride say which instances of the population
	// StartReactor builds: its k-th is Instance(First + k*Stride), so
	// shard i of n is First i, Stride n. Stride 0 means 1. Start ignores
	// them.
	First, Stride int
}

// Instance returns the population index of the load's k-th instance,
// First + k*Stride (Stride 0 counting as 1): the i of the Instance that
// StartReactor builds k-th. For shard i of n (First i, Stride n), k from 0
// below the shard's size gives i, i+n, i+2n, ...
func (c Config) Instance(k int) int { return c.First + k*max(c.Stride, 1) }

// services returns Services or its default.
func (c Config) services() int {
	if c.Services == 0 {
		return DefaultServices
	}
	return c.Services
}

// ErrInvalidConfig is wrapped by every Config error.
var ErrInvalidConfig = errors.New("beatload: invalid config")

func (c Config) validate() error {
	switch {
	case c.Instances < 1:
		return fmt.Errorf("%w: Instances %d is below 1", ErrInvalidConfig, c.Instances)
	case c.Period <= 0:
		return fmt.Errorf("%w: Period %v is not positive", ErrInvalidConfig, c.Period)
	case c.Meter == nil:
		return fmt.Errorf("%w: nil Meter", ErrInvalidConfig)
	case c.Services < 0:
		return fmt.Errorf("%w: Services %d is negative", ErrInvalidConfig, c.Services)
	case c.Senders < 0:
		return fmt.Errorf("%w: Senders %d is negative", ErrInvalidConfig, c.Senders)
	case c.First < 0 || c.Stride < 0:
		return fmt.Errorf("%w: First %d, Stride %d: negative", ErrInvalidConfig, c.First, c.Stride)
	}
	return nil
}

// Load is N no-op beats kept alive on one scheduler. It keeps no per-instance
// state of its own: the instance index is the scheduler entry's data, and
// the due time is the entry's. Stop ends it.
type Load struct {
	sched  wheel.Scheduler
	period time.Duration
	meter  *measure.Meter
	// resetErrors counts re-arms the scheduler refused other than because
	// it was stopped; each one is an instance that stopped beating.
	resetErrors atomic.Uint64
	stopping    atomic.Bool // set by Stop: a refused re-arm is no error then
	stopOnce    sync.Once
}

// Start builds a scheduler with newSched and arms cfg.Instances beats on it,
// instance i first due at Now + Phase(cfg.Period, i, cfg.Instances). It
// returns once every beat is armed; beats start firing while it arms. On
// error the scheduler, if built, is stopped.
func Start(newSched NewScheduler, cfg Config) (*Load, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Load{period: cfg.Period, meter: cfg.Meter}
	sched, err := newSched(l.handle)
	if err != nil {
		return nil, fmt.Errorf("beatload: new scheduler: %w", err)
	}
	// The Handler reads l.sched; it runs only once an entry is armed
	// below, and arming synchronises with the scheduler's firing.
	l.sched = sched
	start := sched.Now()
	for i := range cfg.Instances {
		if _, err := sched.Add(start+Phase(cfg.Period, i, cfg.Instances), uint32(i)); err != nil {
			sched.Stop()
			return nil, fmt.Errorf("beatload: arming instance %d of %d: %w", i, cfg.Instances, err)
		}
	}
	return l, nil
}

// handle is the scheduler's Handler: one beat per expired entry, then
// re-arm it one period after its due time, or now if that has passed. It
// reads the clock once per batch and allocates nothing. It is safe for
// concurrent calls (the RussellLuo adapter makes them). Each entry is
// re-armed on its own, a lock each, as a simple consumer would.
func (l *Load) handle(batch []wheel.Expired) {
	now := l.sched.Now()
	for i := range batch {
		e := batch[i : i+1]
		Beat(l.meter, uint64(e[0].Data), now-e[0].Due)
		e[0].Due = max(e[0].Due+l.period, now)
		if l.sched.Rearm(e); e[0].Timer == 0 {
			if l.stopping.Load() {
				return
			}
			l.resetErrors.Add(1)
		}
	}
}

// ResetErrors returns how many re-arms the scheduler refused while running;
// each is an instance that no longer beats. It is 0 in a healthy run.
func (l *Load) ResetErrors() uint64 { return l.resetErrors.Load() }

// Stop stops the scheduler: no beat fires after it returns. Idempotent.
func (l *Load) Stop() {
	l.stopOnce.Do(func() {
		l.stopping.Store(true)
		l.sched.Stop()
	})
}
