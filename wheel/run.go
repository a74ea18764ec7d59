package wheel

import "time"

// run is the wheel goroutine: fire what is due, sleep until the next event
// (or until an earlier Add wakes it), repeat.
func (w *Wheel) run() {
	defer close(w.done)
	sleep := time.NewTimer(time.Hour)
	defer sleep.Stop()
	for {
		if !w.fire(int64(time.Since(w.start))) {
			return
		}
		w.mu.Lock()
		next := w.l.nextEvent()
		w.wakeAt = next
		w.mu.Unlock()
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
// batches of at most MaxBatch. It stops early, returning false, when the
// wheel is stopped.
func (w *Wheel) fire(now int64) bool {
	w.advance.Lock()
	defer w.advance.Unlock()
	target := now / w.cfg.Tick.Nanoseconds()
	for {
		w.mu.Lock()
		if w.stopped {
			w.mu.Unlock()
			return false
		}
		w.wakeAt = 0
		batch, more := w.l.expire(target, w.batch[:0])
		w.mu.Unlock()
		if len(batch) > 0 {
			w.handler(batch)
		}
		if !more {
			return true
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
	if !w.fire(now) {
		return ErrStopped
	}
	return nil
}
