package russellluo

import (
	"fmt"
	"sync"
	"time"

	"github.com/RussellLuo/timingwheel"

	"github.com/beatwheel/beatwheel/wheel"
)

// Defaults and limits of Config.
const (
	// DefaultTick is the tick used when Config.Tick is 0.
	DefaultTick = 10 * time.Millisecond
	// MinTick is the smallest tick timingwheel accepts: it counts whole
	// milliseconds.
	MinTick = time.Millisecond
	// DefaultWheelSize is the slot count used when Config.WheelSize is 0:
	// with the default tick the first level spans 5.12 s, one Nacos beat
	// period.
	DefaultWheelSize = 512
)

// Config shapes the underlying timingwheel.TimingWheel. The zero Config is
// usable.
type Config struct {
	// Tick is the resolution, at least MinTick and a whole number of
	// milliseconds. Default DefaultTick.
	Tick time.Duration
	// WheelSize is the number of slots per level, at least 2. Default
	// DefaultWheelSize.
	WheelSize int
}

func (c Config) withDefaults() (Config, error) {
	if c.Tick == 0 {
		c.Tick = DefaultTick
	}
	if c.WheelSize == 0 {
		c.WheelSize = DefaultWheelSize
	}
	switch {
	case c.Tick < MinTick || c.Tick%time.Millisecond != 0:
		return c, fmt.Errorf("%w: Tick %v is not a whole number of milliseconds of at least %v", wheel.ErrInvalidConfig, c.Tick, MinTick)
	case c.WheelSize < 2:
		return c, fmt.Errorf("%w: WheelSize %d is below 2", wheel.ErrInvalidConfig, c.WheelSize)
	}
	return c, nil
}

// Scheduler is a wheel.Scheduler over a timingwheel.TimingWheel.
//
// Every arm allocates a timingwheel.Timer and a closure, and every expiry
// runs on a goroutine of its own that timingwheel starts; the Handler is
// called from that goroutine with a batch of one. All bookkeeping is under
// one mutex, so Add, Reset and Cancel are O(1) plus timingwheel's own cost.
//
// Lateness: timingwheel rounds a due time down to its tick and fires the
// whole tick at once, so an entry may fire up to one Tick early, and late by
// the time its goroutine takes to be scheduled.
type Scheduler struct {
	tw      *timingwheel.TimingWheel
	handler wheel.Handler
	start   time.Time

	mu      sync.Mutex
	entries []entry  // by index - 1; guarded by mu
	free    []uint32 // free indices; guarded by mu
	seq     uint64   // last arm number issued; guarded by mu
	stopped bool     // guarded by mu
	// orphans are timers that Reset or Cancel could not stop because
	// timingwheel had already taken them out of their bucket: each still
	// runs its task once (which finds its arm stale and returns), unless
	// it was put back into a bucket that never fires after Stop. Keyed by
	// arm number; guarded by mu.
	orphans map[uint64]*timingwheel.Timer

	// tasks counts timingwheel timers whose task has neither run nor been
	// stopped: Stop waits for it to drain, so no task goroutine, and no
	// Handler call, outlives Stop.
	tasks    sync.WaitGroup
	stopOnce sync.Once
}

// entry is one Timer's state.
type entry struct {
	gen  uint32
	live bool   // allocated: between Add and Cancel
	seq  uint64 // the pending arm's number; 0 when idle
	due  time.Duration
	data uint32
	tw   *timingwheel.Timer // the pending arm's timer
}

var _ wheel.Scheduler = (*Scheduler)(nil)

// New starts a timingwheel with cfg's shape, handing expiries to h. Stop
// ends it.
func New(cfg Config, h wheel.Handler) (*Scheduler, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil Handler", wheel.ErrInvalidConfig)
	}
	s := &Scheduler{
		tw:      timingwheel.NewTimingWheel(cfg.Tick, int64(cfg.WheelSize)),
		handler: h,
		start:   time.Now(),
		orphans: make(map[uint64]*timingwheel.Timer),
	}
	s.tw.Start()
	return s, nil
}

// Now returns monotonic time since New.
func (s *Scheduler) Now() time.Duration { return time.Since(s.start) }

// Add arms a new entry for at.
func (s *Scheduler) Add(at time.Duration, data uint32) (wheel.Timer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return 0, wheel.ErrStopped
	}
	var i uint32
	if n := len(s.free); n > 0 {
		i, s.free = s.free[n-1], s.free[:n-1]
	} else {
		if len(s.entries) == 1<<32-1 {
			return 0, wheel.ErrFull
		}
		s.entries = append(s.entries, entry{})
		i = uint32(len(s.entries))
	}
	e := &s.entries[i-1]
	e.gen++
	e.live, e.data = true, data
	s.arm(i, e, at)
	return handle(i, e.gen), nil
}

// Reset re-arms t for at, whether it is idle or pending.
func (s *Scheduler) Reset(t wheel.Timer, at time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return wheel.ErrStopped
	}
	i, e := s.lookup(t)
	if e == nil {
		return wheel.ErrStale
	}
	s.disarm(e)
	s.arm(i, e, at)
	return nil
}

// Rearm re-arms each arms[k].Timer for arms[k].Due with arms[k].Data, as
// Reset does, under one lock, and sets arms[k].Timer to 0 where Reset
// would have failed.
func (s *Scheduler) Rearm(arms []wheel.Expired) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range arms {
		a := &arms[k]
		if s.stopped {
			a.Timer = 0
			continue
		}
		i, e := s.lookup(a.Timer)
		if e == nil {
			a.Timer = 0
			continue
		}
		s.disarm(e)
		e.data = a.Data
		s.arm(i, e, a.Due)
	}
}

// Cancel frees t and reports whether it was pending: true means it will not
// fire, false that it was already handed to the Handler (or t is stale).
// Exactly one of the two happens for every arm: an entry whose goroutine
// timingwheel has started but that has not reached the Handler counts as
// pending, and the goroutine then finds it cancelled. After Stop, Cancel
// returns false.
func (s *Scheduler) Cancel(t wheel.Timer) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return false
	}
	i, e := s.lookup(t)
	if e == nil {
		return false
	}
	pending := e.seq != 0
	s.disarm(e)
	e.live = false
	s.free = append(s.free, i)
	return pending
}

// Stop stops the timingwheel, waits for every task goroutine it started to
// return (and so for every Handler call), and returns. Pending entries never
// fire. Later calls to Add and Reset return wheel.ErrStopped. Idempotent;
// concurrent calls all wait; it must not be called from the Handler.
func (s *Scheduler) Stop() {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()
		// After this no timer is flushed, so no task starts and no timer
		// moves between buckets: Timer.Stop tells exactly whether a task
		// will still run.
		s.tw.Stop()
		s.mu.Lock()
		for i := range s.entries {
			if e := &s.entries[i]; e.seq != 0 {
				s.stopTimer(e.tw)
			}
		}
		for _, t := range s.orphans {
			s.stopTimer(t)
		}
		s.mu.Unlock()
		s.tasks.Wait()
	})
}

// arm schedules e's next firing for at. Called with mu held.
func (s *Scheduler) arm(i uint32, e *entry, at time.Duration) {
	s.seq++
	seq := s.seq
	e.seq, e.due = seq, at
	s.tasks.Add(1)
	e.tw = s.tw.AfterFunc(delay(at, s.Now()), func() { s.fire(i, seq) })
}

// maxDelay caps a delay: timingwheel computes time.Now().Add(d).UnixNano(),
// which overflows, and so fires at once, for a d reaching past 2262.
const maxDelay = 100 * 365 * 24 * time.Hour

// delay returns at-now within [0, maxDelay], without overflowing for any at.
func delay(at, now time.Duration) time.Duration {
	switch {
	case at <= now:
		return 0
	case at-now > maxDelay:
		return maxDelay
	}
	return at - now
}

// disarm stops e's pending timer, if any, leaving e idle. Called with mu
// held.
func (s *Scheduler) disarm(e *entry) {
	if e.seq == 0 {
		return
	}
	if !s.stopTimer(e.tw) {
		s.orphans[e.seq] = e.tw
	}
	e.seq, e.tw = 0, nil
}

// stopTimer stops t and reports whether its task will never run.
func (s *Scheduler) stopTimer(t *timingwheel.Timer) bool {
	if t.Stop() {
		s.tasks.Done()
		return true
	}
	return false
}

// fire is the task of arm number seq of entry i, run on its own goroutine.
func (s *Scheduler) fire(i uint32, seq uint64) {
	defer s.tasks.Done()
	s.mu.Lock()
	e := &s.entries[i-1]
	if s.stopped || e.seq != seq {
		delete(s.orphans, seq)
		s.mu.Unlock()
		return
	}
	e.seq, e.tw = 0, nil
	batch := [1]wheel.Expired{{Timer: handle(i, e.gen), Data: e.data, Due: e.due}}
	s.mu.Unlock()
	s.handler(batch[:])
}

// lookup returns the live entry t names, or nil. Called with mu held.
func (s *Scheduler) lookup(t wheel.Timer) (uint32, *entry) {
	i, gen := t.Index(), t.Generation()
	if i == 0 || int(i) > len(s.entries) {
		return 0, nil
	}
	e := &s.entries[i-1]
	if !e.live || e.gen != gen {
		return 0, nil
	}
	return i, e
}

// handle packs an entry index (1-based) and its generation.
func handle(i, gen uint32) wheel.Timer { return wheel.Timer(uint64(gen)<<32 | uint64(i)) }
