package reactor

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// Defaults for zero Config fields.
const (
	DefaultSenders         = 64
	DefaultBatchSize       = 256
	DefaultReregisterRate  = 1000
	DefaultReregisterBurst = 100
	DefaultMinInterval     = time.Second
	DefaultSkipLate        = 0.05
	// DefaultReregisterMaxRate is the default ceiling of the
	// re-registration rate; when ReregisterRate is set higher, the
	// ceiling is ReregisterRate.
	DefaultReregisterMaxRate = 10_000
	// DefaultReregisterMinRate is the default floor of the
	// re-registration rate; when ReregisterRate is set lower, the floor
	// is ReregisterRate.
	DefaultReregisterMinRate = 10
	// DefaultReregisterSlow is the default of Config.ReregisterSlow.
	DefaultReregisterSlow = time.Second
	// DefaultTick is the tick of the default scheduler, a *wheel.Wheel:
	// a beat is sent less than a tick after its due time. A wake-up of
	// the scheduler costs the same however few beats are due, and a
	// registry cannot tell 50 ms of lateness on a 5 s beat from none
	// (Nacos marks an instance unhealthy after 15 s), so the Reactor
	// ticks five times more coarsely than wheel.DefaultTick, and wakes
	// five times less often (bench/README.md has what that saves at a
	// million instances). Pass a Scheduler for a finer tick.
	DefaultTick = 50 * time.Millisecond
)

// Config configures a Reactor. Only Transport is required.
type Config struct {
	// Transport sends beats and registrations. Required.
	Transport Transport
	// Scheduler builds the scheduler that times the beats, handing it the
	// Reactor's Handler. Default: a *wheel.Wheel with a Tick of
	// DefaultTick. Tests pass a Manual wheel here to control time. A
	// scheduler that reports its tick (a Tick() time.Duration method, as
	// *wheel.Wheel has) keeps no beat period shorter than it: Add
	// refuses one (ErrPeriod), and MinInterval is raised to it. The
	// Reactor keeps an 8-byte slot per Timer index, so it relies on the
	// dense indices wheel.Scheduler's Add promises.
	Scheduler func(wheel.Handler) (wheel.Scheduler, error)
	// Senders is the number of goroutines that call Transport.SendBeats,
	// so the most calls at once: New starts them all, and a blocking
	// Transport gets that much concurrency. Default DefaultSenders.
	Senders int
	// BatchSize is the most beats in one SendBeats call. Default
	// DefaultBatchSize.
	BatchSize int
	// ReregisterRate is the rate re-registrations (after the server
	// answered 20404) start at, per second, so a server that forgot every
	// instance is not hit by all of them at once. From there the rate
	// follows the server as TCP follows a network (AIMD): while
	// registrations succeed quickly and the rate is what holds them back,
	// it rises by ReregisterRate/4 per second; a registration that fails,
	// times out or takes longer than the server's recent pace (see
	// ReregisterSlow) halves it, once per round of registrations in
	// flight. It stays within [ReregisterMinRate, ReregisterMaxRate];
	// Stats.ReregisterRate reports it. +Inf means no limit at all.
	// Default DefaultReregisterRate.
	ReregisterRate float64
	// ReregisterMaxRate is the ceiling of the re-registration rate.
	// Default: DefaultReregisterMaxRate, or ReregisterRate if that is
	// higher. Set it to ReregisterRate for a fixed rate.
	ReregisterMaxRate float64
	// ReregisterMinRate is the floor of the re-registration rate, however
	// often the server fails. Default: DefaultReregisterMinRate, or
	// ReregisterRate if that is lower.
	ReregisterMinRate float64
	// ReregisterSlow bounds what counts as a slow registration, one that
	// cuts the rate like an error: slower than four times the fastest
	// recent registrations, but never under ReregisterSlow/10 and always
	// over ReregisterSlow. Default DefaultReregisterSlow.
	ReregisterSlow time.Duration
	// ReregisterBurst is how many re-registrations may go at once before
	// the rate applies. Default DefaultReregisterBurst.
	ReregisterBurst int
	// MinInterval is the floor on the server's clientBeatInterval: a
	// smaller one is raised to it. Default DefaultMinInterval; at least
	// MinPeriod. One below the scheduler's tick is raised to the tick.
	MinInterval time.Duration
	// SizeHint is how many instances the Reactor expects to hold. Its map
	// is sized for that many up front, so Adds up to it never wait for
	// the map to grow. Default 0: grow as needed.
	SizeHint int
	// SkipLate is how late, as a fraction of the instance's period, the
	// scheduler may hand out a beat after a stall for it to be sent. A
	// stall is a spell in which the scheduler did not run at all (a GC,
	// VM or container pause, SIGSTOP): a later beat handed out as it
	// catches up is skipped and counted in Stats.Skipped; the instance
	// beats next at its next phase point, so after a stall of any length
	// every instance beats once per period, as spread out as before.
	// Lateness that the Reactor's own back-pressure causes (senders that
	// cannot keep up, so the scheduler waits for them) is no stall: those
	// beats are sent late, never skipped, so an overloaded process sends
	// every beat it can rather than shedding them. Lateness counts from the
	// latest point of the instance's schedule, and the limit is never
	// below 100 ms (a busy machine's jitter is no stall) nor two ticks of
	// a scheduler that reports its tick (Tick()), so the tick's own
	// rounding skips nothing. A beat is never skipped twice
	// in a row: a skip leaves a gap of at most two periods, 10 s at
	// Nacos' 5 s, under the 15 s after which Nacos marks an instance
	// unhealthy. Default DefaultSkipLate (0.05: 250 ms at 5 s). Larger
	// sends more of the beats missed in a stall, all at once when it
	// ends; smaller skips beats on shorter pauses. math.Inf(1) never
	// skips (a beat missed in a stall is sent when it ends, once, and the
	// next comes at its phase point). Must not be negative.
	SkipLate float64
	// Observer, if set, is called on each change of an instance's state
	// (see State): its beats start failing, it recovers, the server does
	// not know it (20404), it was registered again. Never on an ordinary
	// accepted beat. It is called from the sender goroutines, several at
	// once, and the beats of a batch wait for it: it must be quick and
	// must not call back into the Reactor. Cost: none when nil; one call
	// per transition, and one time.Now per batch that has any. The state
	// itself lives in bits of the BeatInfo: no memory per instance.
	Observer func(Transition)
	// DeregisterOnClose makes Close deregister every instance.
	DeregisterOnClose bool
	// Logger receives errors and state changes. Default: silent.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Transport == nil {
		return c, fmt.Errorf("%w: nil Transport", ErrConfig)
	}
	if c.Scheduler == nil {
		c.Scheduler = func(h wheel.Handler) (wheel.Scheduler, error) { return wheel.New(wheel.Config{Tick: DefaultTick}, h) }
	}
	c.Senders = orDefault(c.Senders, DefaultSenders)
	c.BatchSize = orDefault(c.BatchSize, DefaultBatchSize)
	c.ReregisterRate = orDefault(c.ReregisterRate, DefaultReregisterRate)
	c.ReregisterBurst = orDefault(c.ReregisterBurst, DefaultReregisterBurst)
	c.ReregisterMaxRate = orDefault(c.ReregisterMaxRate, max(DefaultReregisterMaxRate, c.ReregisterRate))
	c.ReregisterMinRate = orDefault(c.ReregisterMinRate, min(DefaultReregisterMinRate, c.ReregisterRate))
	c.ReregisterSlow = orDefault(c.ReregisterSlow, DefaultReregisterSlow)
	c.MinInterval = orDefault(c.MinInterval, DefaultMinInterval)
	c.SkipLate = orDefault(c.SkipLate, DefaultSkipLate)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case c.Senders < 1:
		return c, fmt.Errorf("%w: Senders %d is below 1", ErrConfig, c.Senders)
	case c.BatchSize < 1:
		return c, fmt.Errorf("%w: BatchSize %d is below 1", ErrConfig, c.BatchSize)
	case !(c.ReregisterRate > 0):
		return c, fmt.Errorf("%w: ReregisterRate %v is not positive", ErrConfig, c.ReregisterRate)
	case !(c.ReregisterMinRate > 0) || !(c.ReregisterMinRate <= c.ReregisterRate) || !(c.ReregisterRate <= c.ReregisterMaxRate):
		return c, fmt.Errorf("%w: re-registration rates min %v, start %v, max %v are not 0 < min <= start <= max",
			ErrConfig, c.ReregisterMinRate, c.ReregisterRate, c.ReregisterMaxRate)
	case c.ReregisterSlow < 0:
		return c, fmt.Errorf("%w: ReregisterSlow %v is negative", ErrConfig, c.ReregisterSlow)
	case c.ReregisterBurst < 1:
		return c, fmt.Errorf("%w: ReregisterBurst %d is below 1", ErrConfig, c.ReregisterBurst)
	case !(c.SkipLate >= 0):
		return c, fmt.Errorf("%w: SkipLate %v is negative or NaN", ErrConfig, c.SkipLate)
	case c.SizeHint < 0:
		return c, fmt.Errorf("%w: SizeHint %d is negative", ErrConfig, c.SizeHint)
	case c.MinInterval < MinPeriod || c.MinInterval > MaxPeriod:
		return c, fmt.Errorf("%w: MinInterval %v is outside [%v, %v]", ErrConfig, c.MinInterval, MinPeriod, MaxPeriod)
	}
	return c, nil
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
