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
)

// Config configures a Reactor. Only Transport is required.
type Config struct {
	// Transport sends beats and registrations. Required.
	Transport Transport
	// Scheduler builds the scheduler that times the beats, handing it the
	// Reactor's Handler. Default: a *wheel.Wheel with wheel.Config{}.
	// Tests pass a Manual wheel here to control time.
	Scheduler func(wheel.Handler) (wheel.Scheduler, error)
	// Senders is the most goroutines that call Transport.SendBeats at
	// once. They start as batches of due beats find none waiting, so a
	// fast Transport runs on a few and a blocking one on up to Senders.
	// Default DefaultSenders.
	Senders int
	// BatchSize is the most beats in one SendBeats call. Default
	// DefaultBatchSize.
	BatchSize int
	// ReregisterRate caps re-registrations (after the server answered
	// 20404) per second, so a server that forgot every instance is not hit
	// by all of them at once. Default DefaultReregisterRate.
	ReregisterRate float64
	// ReregisterBurst is how many re-registrations may go at once before
	// the rate applies. Default DefaultReregisterBurst.
	ReregisterBurst int
	// MinInterval is the floor on the server's clientBeatInterval: a
	// smaller one is raised to it. Default DefaultMinInterval; at least
	// MinPeriod.
	MinInterval time.Duration
	// SizeHint is how many instances the Reactor expects to hold. Its map
	// is sized for that many up front, so Adds up to it never wait for
	// the map to grow. Default 0: grow as needed.
	SizeHint int
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
		c.Scheduler = func(h wheel.Handler) (wheel.Scheduler, error) { return wheel.New(wheel.Config{}, h) }
	}
	c.Senders = orDefault(c.Senders, DefaultSenders)
	c.BatchSize = orDefault(c.BatchSize, DefaultBatchSize)
	c.ReregisterRate = orDefault(c.ReregisterRate, DefaultReregisterRate)
	c.ReregisterBurst = orDefault(c.ReregisterBurst, DefaultReregisterBurst)
	c.MinInterval = orDefault(c.MinInterval, DefaultMinInterval)
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
	case c.ReregisterBurst < 1:
		return c, fmt.Errorf("%w: ReregisterBurst %d is below 1", ErrConfig, c.ReregisterBurst)
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
