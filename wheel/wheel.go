package wheel

import (
	"fmt"
	"sync"
	"time"
)

// Wheel is a hierarchical timing wheel for periodic timers such as service
// heartbeats. See the package documentation for the algorithm.
//
// Costs, with n entries: Add, Reset and Cancel are O(1) amortised (Add
// allocates a 96 KiB chunk every 4096 entries, a list array grows only
// past the largest it ever was, and an Add that takes a free entry of
// another tick scans a bitmap of Slots bits for one); a fired entry costs O(1) plus at most one
// cascade per level it sits above level 0, none for entries due within
// Tick*Slots, and a tick of k entries O(k) to check they are in slab
// order, O(k log k) to sort them when entries came and went; an idle stretch is skipped in one step after an O(Slots/64)
// bitmap scan. Memory is 24 bytes per entry in pointer-free chunks that the
// garbage collector never scans, some of them reserved or kept free so
// that entries due together sit together (see the package documentation):
// the slab grows only while reserved and free entries are within an eighth
// of it, so indices stay within a seventh above the most entries held at
// once. Add 4 bytes per armed entry in the bucket arrays (up to twice that
// with their slack), 24 bytes per level-0 slot, and 8 bytes per 256
// entries for the free lists.
//
// Lateness: an entry never fires before its due time and, when its Handler
// keeps up and the wheel goroutine gets a CPU, less than one Tick after it
// (the Go timer that wakes the wheel adds well under a millisecond).
//
// A Wheel is safe for concurrent use.
type Wheel struct {
	mu sync.Mutex
	l  levels // guarded by mu
	// wakeAt is the tick the wheel goroutine sleeps until; an Add due
	// earlier wakes it. 0 while it is busy. Guarded by mu.
	wakeAt  int64
	stopped bool // guarded by mu

	cfg     Config
	handler Handler
	start   time.Time
	manual  int64 // Manual mode's clock, nanoseconds; guarded by mu

	// advance serialises the goroutine that fires entries (the wheel's own,
	// or Advance's callers in Manual mode) and owns batch.
	advance sync.Mutex
	batch   []Expired

	wake     chan struct{}
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

var _ Scheduler = (*Wheel)(nil)

// New returns a running Wheel that hands expired entries to h. Unless
// cfg.Manual is set it starts one goroutine; Stop ends it.
func New(cfg Config, h Handler) (*Wheel, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if h == nil {
		return nil, fmt.Errorf("%w: nil Handler", ErrInvalidConfig)
	}
	w := &Wheel{
		l:       newLevels(cfg.Slots, int64(cfg.Tick)),
		cfg:     cfg,
		handler: h,
		start:   time.Now(),
		batch:   make([]Expired, 0, cfg.MaxBatch),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	if cfg.Manual {
		close(w.done)
		return w, nil
	}
	w.wakeAt = never
	w.wake = make(chan struct{}, 1)
	go w.run()
	return w, nil
}

// Now returns the wheel's clock: monotonic time since New, or in Manual mode
// the time last given to Advance.
func (w *Wheel) Now() time.Duration {
	if w.cfg.Manual {
		w.mu.Lock()
		defer w.mu.Unlock()
		return time.Duration(w.manual)
	}
	return time.Since(w.start)
}

// Add arms a new entry to fire at time at on the wheel's clock (see Now),
// handing data to the Handler. A time already past fires on the next tick.
// O(1) amortised.
func (w *Wheel) Add(at time.Duration, data uint32) (Timer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return 0, ErrStopped
	}
	i, d := w.l.add(int64(at), data)
	if i == 0 {
		return 0, ErrFull
	}
	w.armed(d)
	return w.l.slab.timer(i, w.l.slab.at(i)), nil
}

// Reset re-arms t to fire at time at, whether t is idle (it fired) or still
// pending (it moves). O(1).
func (w *Wheel) Reset(t Timer, at time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return ErrStopped
	}
	i, e := w.l.slab.lookup(t)
	if e == nil {
		return ErrStale
	}
	w.armed(w.l.rearm(i, e, int64(at)))
	return nil
}

// Rearm re-arms each arms[k].Timer for arms[k].Due with arms[k].Data, as
// Reset does, under one lock, and sets arms[k].Timer to 0 where Reset
// would have failed. O(len(arms)).
func (w *Wheel) Rearm(arms []Expired) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k := range arms {
		a := &arms[k]
		if w.stopped {
			a.Timer = 0
			continue
		}
		i, e := w.l.slab.lookup(a.Timer)
		if e == nil {
			a.Timer = 0
			continue
		}
		e.data = a.Data
		w.armed(w.l.rearm(i, e, int64(a.Due)))
	}
}

// Cancel frees t and reports whether it was pending: true means it will not
// fire; false means it had already been handed to the Handler (or t is
// stale). Exactly one of the two happens for every arm, however Cancel and
// the expiry race. O(1).
func (w *Wheel) Cancel(t Timer) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return false
	}
	i, e := w.l.slab.lookup(t)
	if e == nil {
		return false
	}
	return w.l.free(i, e)
}

// Pending returns the number of armed entries.
func (w *Wheel) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.l.pending
}

// armed wakes the wheel goroutine if an entry is now due before it planned
// to wake. Called with mu held.
func (w *Wheel) armed(d int64) {
	if d < w.wakeAt {
		w.wakeAt = d
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
}

// Stop stops the wheel and returns once its goroutine has exited and no
// Handler call is running (in Manual mode: once a running Advance returns).
// Pending entries never fire, and their memory is released. Later calls to
// Add and Reset return ErrStopped; Cancel returns false. Stop is idempotent;
// it must not be called from the Handler.
func (w *Wheel) Stop() {
	w.stopOnce.Do(func() {
		w.mu.Lock()
		w.stopped = true
		w.mu.Unlock()
		close(w.stop)
		<-w.done
		w.advance.Lock() // wait for a Manual Advance in progress
		w.mu.Lock()
		w.l = levels{}
		w.mu.Unlock()
		w.advance.Unlock()
	})
}
