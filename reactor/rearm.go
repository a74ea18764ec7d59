package reactor

import (
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// chunk is how many expired entries the Handler takes at a time: it loads
// their slots ahead and re-arms them under one scheduler lock.
const chunk = 64

// rearm holds the arguments of the Handler's Scheduler.ResetAll call for
// one chunk. Arrays on the Handler's stack would escape through the
// interface call and be allocated on every call, so rearms come from a free
// list, as jobs do. They hold no pointers to keep alive.
type rearm struct {
	timers [chunk]wheel.Timer
	ats    [chunk]time.Duration
	errs   [chunk]error
}

// getRearm returns an idle rearm, or a new one.
func (r *Reactor) getRearm() *rearm {
	select {
	case a := <-r.rearms:
		return a
	default:
		return new(rearm)
	}
}

// putRearm keeps a for reuse, or drops it if enough are kept.
func (r *Reactor) putRearm(a *rearm) {
	select {
	case r.rearms <- a:
	default:
	}
}
