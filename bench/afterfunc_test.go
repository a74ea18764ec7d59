package bench

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
)

// afterFuncs keeps beats alive with one runtime timer per instance
// (time.AfterFunc), each re-armed with Reset from its own callback for one
// period after it was due, or now if that has passed: the same rule as
// beatload, on the Go runtime's timer heap instead of a wheel.
type afterFuncs struct {
	start   time.Time
	period  time.Duration
	meter   *measure.Meter
	stopped atomic.Bool
	beats   []afterFuncBeat
}

// afterFuncBeat is one instance. Its due time is touched only by its own
// callback; Reset orders one callback before the next.
type afterFuncBeat struct {
	all   *afterFuncs
	id    uint64
	due   time.Duration // since all.start
	timer *time.Timer
}

func startAfterFunc(n int, period time.Duration, m *measure.Meter) (func(), error) {
	a := &afterFuncs{start: time.Now(), period: period, meter: m, beats: make([]afterFuncBeat, n)}
	for i := range a.beats {
		b := &a.beats[i]
		b.all, b.id, b.due = a, uint64(i), beatload.Phase(period, i, n)
		// Create it idle and arm it once b.timer is set, so the first
		// callback sees it.
		b.timer = time.AfterFunc(math.MaxInt64, b.fire)
		b.timer.Reset(b.due - time.Since(a.start))
	}
	return a.stop, nil
}

// fire is the timer callback: beat, then re-arm.
func (b *afterFuncBeat) fire() {
	a := b.all
	if a.stopped.Load() {
		return
	}
	now := time.Since(a.start)
	beatload.Beat(a.meter, b.id, now-b.due)
	b.due = max(b.due+a.period, now)
	b.timer.Reset(b.due - now)
	// A stop that began before the Reset may have missed it (its Stop ran
	// first): undo it. One that began after sees it and stops it.
	if a.stopped.Load() {
		b.timer.Stop()
	}
}

// stop stops every timer; no callback re-arms after it returns.
func (a *afterFuncs) stop() {
	a.stopped.Store(true)
	for i := range a.beats {
		a.beats[i].timer.Stop()
	}
}
