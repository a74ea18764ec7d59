package wheel

import (
	"errors"
	"time"
)

// Sentinel errors returned by schedulers. Callers test them with errors.Is.
var (
	// ErrStopped is returned when a scheduler is used after Stop.
	ErrStopped = errors.New("wheel: scheduler stopped")
	// ErrStale is returned for a Timer that was cancelled or never issued
	// by this scheduler.
	ErrStale = errors.New("wheel: stale timer")
	// ErrInvalidConfig is wrapped by every configuration error.
	ErrInvalidConfig = errors.New("wheel: invalid config")
	// ErrNotManual is returned by Advance on a wheel that runs its own clock.
	ErrNotManual = errors.New("wheel: Advance needs Config.Manual")
	// ErrFull is returned by Add when the wheel holds the most entries it
	// can address (about four billion).
	ErrFull = errors.New("wheel: full")
)

// Timer is a handle to one scheduled entry: Generation()<<32 | Index(). The
// index names the entry's storage, the generation tells apart the entries
// that use it one after another, so a handle kept after Cancel is
// recognised as stale and can never touch the entry's next occupant. The
// zero Timer is never issued.
type Timer uint64

// Index returns the index of t's entry: from 1, and reused, under a new
// Generation, only after Cancel freed the entry. How densely a scheduler
// packs indices is part of its Scheduler contract (see Scheduler.Add).
func (t Timer) Index() uint32 { return uint32(t) }

// Generation returns the generation of t's entry (see Index).
func (t Timer) Generation() uint32 { return uint32(t >> 32) }

// Expired describes one entry handed to a Handler, or one re-arm given to
// Scheduler.Rearm.
type Expired struct {
	// Timer is the entry that fired. It stays allocated (idle) until the
	// consumer re-arms it (Rearm) or frees it (Cancel).
	Timer Timer
	// Data is the caller's value given to Add (or to the last Rearm):
	// 32 bits, so that *Wheel's entry is 24 bytes, not 32.
	Data uint32
	// Due is the time the entry was armed for, on the scheduler's clock.
	Due time.Duration
}

// Handler receives expired entries in batches, in tick order; a *Wheel batch
// holds entries of one tick, in no particular order.
// It is called without any scheduler lock held, so it may call Add, Reset and
// Cancel. *Wheel calls it from one goroutine, never concurrently with itself;
// other schedulers may call it concurrently (the russellluo adapter does, one
// expiry per call), so a Handler shared between them must be safe for that.
// The Handler owns the batch until it returns: it may change the elements,
// for example to hand them to Rearm with their next due times, but the
// slice is reused after Handler returns: copy what must outlive it.
// A Handler that blocks delays every later expiry (back-pressure); it must not
// call Stop.
type Handler func(batch []Expired)

// Scheduler is the timer service the reactor consumes: just what it calls.
// It is implemented by *Wheel and by the adapter in package wheel/russellluo,
// so the engine can run on either and benchmarks can compare them.
//
// Every method is safe for concurrent use. Times are durations on the
// scheduler's own monotonic clock (see Now), never wall-clock readings.
type Scheduler interface {
	// Now returns the scheduler's current time: monotonic time since it started.
	Now() time.Duration
	// Add arms a new entry to fire at (or as soon after as the scheduler can)
	// the given time, carrying data back to the Handler.
	//
	// Indices are dense: the Timers Add returns have indices from 1 up to
	// at most a seventh above the most entries held at once, so a consumer
	// (the reactor) can keep per-entry state in a slice indexed by
	// Timer.Index and tell reuses apart by Timer.Generation.
	Add(at time.Duration, data uint32) (Timer, error)
	// Rearm re-arms each arms[k].Timer, idle (fired and not yet re-armed) or
	// still pending, to fire at arms[k].Due carrying arms[k].Data, and sets
	// arms[k].Timer to 0 where it could not: the Timer was stale, or the
	// scheduler is stopped. A Handler re-arming its batch in place pays one
	// lock for all of it.
	Rearm(arms []Expired)
	// Cancel frees t. It reports whether t was pending, that is whether
	// this call prevented a firing. Exactly one of "fired" and "Cancel
	// returned true" happens for each arm. After Cancel the handle is stale.
	Cancel(t Timer) bool
	// Stop stops the scheduler and returns once its goroutines have exited
	// and no Handler call is running. Pending entries never fire. Stop is
	// idempotent.
	Stop()
}
