package wheel

import (
	"fmt"
	"math/bits"
	"time"
)

// Defaults used for zero Config fields.
const (
	// DefaultTick is the resolution of level 0.
	DefaultTick = 10 * time.Millisecond
	// DefaultSlots is the number of level-0 slots. With DefaultTick level 0
	// spans 81.92 s, so every beat period from 1 s to 60 s re-arms straight
	// into level 0 and never cascades.
	DefaultSlots = 8192
	// DefaultMaxBatch is the most entries handed to one Handler call.
	DefaultMaxBatch = 1024
)

// Limits on Config fields.
const (
	// MinTick is the finest tick accepted.
	MinTick = 100 * time.Microsecond
	// MinSlots and MaxSlots bound Config.Slots.
	MinSlots = 64
	MaxSlots = 1 << 20
)

// upperBits is log2 of the slot count of every level above level 0.
const upperBits = 6

// Config shapes a Wheel. The zero value is usable: every zero field takes its
// default.
type Config struct {
	// Tick is the width of a level-0 slot: the wheel's resolution. An entry
	// fires no earlier than its due time and, on an unloaded machine, less
	// than one Tick after it. Default DefaultTick; at least MinTick.
	//
	// Every tick with an entry due wakes the wheel's goroutine, and a
	// wake-up costs a fixed amount of CPU whatever it then does, so the
	// cost per second grows with 1/Tick, not with the entries. With a
	// million entries that is noise; with ten thousand beats every 5 s it
	// is most of the cost. A coarser Tick (100 ms, 1 s) cuts the wake-ups
	// tenfold or more, for a lateness of up to one Tick. bench/README.md
	// has what a wake-up costs (BenchmarkWakeup) and the reactor's CPU per
	// beat at ten thousand instances with each tick (beatbench -tick),
	// with the commands that measure them.
	Tick time.Duration
	// Slots is the number of level-0 slots, a power of two from MinSlots to
	// MaxSlots. Level 0 spans Tick*Slots; entries due within that span never
	// cascade. Each level above has 64 slots, each as wide as the whole level
	// below. Default DefaultSlots.
	Slots int
	// MaxBatch caps the entries handed to one Handler call. Default
	// DefaultMaxBatch; at least 1.
	MaxBatch int
	// Manual stops the wheel from running its own goroutine and clock: time
	// stands still until the caller moves it with Advance, which fires due
	// entries on the caller's goroutine. For deterministic tests.
	Manual bool
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.Slots == 0 {
		c.Slots = DefaultSlots
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	switch {
	case c.Tick < MinTick:
		return c, fmt.Errorf("%w: Tick %v is below %v", ErrInvalidConfig, c.Tick, MinTick)
	case c.Slots < MinSlots || c.Slots > MaxSlots || bits.OnesCount(uint(c.Slots)) != 1:
		return c, fmt.Errorf("%w: Slots %d is not a power of two in [%d, %d]", ErrInvalidConfig, c.Slots, MinSlots, MaxSlots)
	case c.MaxBatch < 1:
		return c, fmt.Errorf("%w: MaxBatch %d is below 1", ErrInvalidConfig, c.MaxBatch)
	}
	return c, nil
}
