package wheel

import "time"

// run is the wheel goroutine: fire what is due, sleep until the next event
// (or until an earlier Add wakes it), repeat.
func (w *Wheel) run() {
	defer close(w.done)
	sleep := time.NewTimer(time.Hour)
	defer sleep.Stop()
	for {
		next, ok := w.fire(int64(time.Since(w.start)))
		if !ok {
			return
		}
		var tick <-chan time.Time
		if next != never {
			d := time.Duration(next*w.l.tick) - time.Since(w.start)
			if d <= 0 {
				continue
			}
			sleep.Reset(d)
			tick = sleep.C
		}
		select {
		case <-tick:
		case <-w.wake:
		case <-w.stop:
			return
		}
	}
}

// fire hands every entry due by time now (nanoseconds) to the Handler in
// batches of at most MaxBatch, and returns the tick of the next event (never
// if none) and true. Unless the wheel is Manual, it sets wakeAt to that tick
// under the lock that computed it, so an Add due earlier wakes the wheel. It
// stops early, returning false, when the wheel is stopped.
func (w *Wheel) fire(now int64) (int64, bool) {
	w.advance.Lock()
	defer w.advance.Unlock()
	for {
		w.mu.Lock()
		if w.stopped {
			w.mu.Unlock()
			return 0, false
		}
		// Read under mu, after the check: Stop zeroes w.l.
		target := now / w.l.tick
		w.wakeAt = 0
		batch, more, next := w.l.expire(target, w.batch[:0])
		if !more {
			// batch is empty: expire hands out entries only with more.
			if !w.cfg.Manual {
				w.wakeAt = next
			}
			w.mu.Unlock()
			return next, true
		}
		w.mu.Unlock()
		if len(batch) > 0 {
			w.handler(batch)
		}
	}
}

// Advance moves a Manual wheel's clock to time to and fires, on the calling
// goroutine, every entry due by then. Time never goes back: an earlier to is
// ignored. Calls are serialised.
func (w *Wheel) Advance(to time.Duration) error {
	if !w.cfg.Manual {
		return ErrNotManual
	}
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return ErrStopped
	}
	w.manual = max(w.manual, int64(to))
	now := w.manual
	w.mu.Unlock()
	if _, ok := w.fire(now); !ok {
		return ErrStopped
	}
	return nil
}
