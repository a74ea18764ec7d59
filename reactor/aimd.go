package reactor

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// aimd sets the re-registration rate the way TCP sets its congestion
// window: additive increase, multiplicative decrease. It starts at
// Config.ReregisterRate. Each registration that succeeds quickly while the
// rate was what held the registrations back adds step/rate, so the rate
// climbs by step per second of registrations at the limit (TCP: one
// segment per round trip). A registration that fails, or is slow, cuts the
// rate in half, once per round: a registration started before the last
// cut cannot cut again (TCP: one cut per window), so the registrations in
// flight when the server fell behind cost one cut, not one each. The rate
// stays within [minRate, maxRate].
//
// Slow means slower than four times the fastest recent registrations (a
// rising latency: the server queues), but never below slow/10 (loopback
// jitter and a GC pause are not congestion) and always above slow.
//
// Nothing in it reads a clock: it is driven by the outcomes and latencies
// it is given, so a test can drive it through any history.
type aimd struct {
	mu               sync.Mutex
	rate             float64 // registrations per second; guarded by mu
	minRate, maxRate float64
	step             float64       // added per second's worth of quick successes
	slow             time.Duration // Config.ReregisterSlow
	round            uint64        // cuts so far; guarded by mu
	// The fastest latency of the current and of the previous window of
	// latencyWindow registrations: the baseline follows the server if it
	// gets slower for good.
	curMin, prevMin time.Duration
	samples         int

	published atomic.Uint64 // math.Float64bits(rate), for Stats
}

const (
	// aimdCut is the factor a congestion signal multiplies the rate by.
	aimdCut = 0.5
	// aimdSlowFactor: a latency this many times the baseline is rising.
	aimdSlowFactor = 4
	// latencyWindow is how many registrations a baseline window spans.
	latencyWindow = 64
	// aimdStepDivisor: the additive step is ReregisterRate/aimdStepDivisor
	// per second.
	aimdStepDivisor = 4
)

func newAIMD(start, minRate, maxRate float64, slow time.Duration) *aimd {
	a := &aimd{rate: start, minRate: minRate, maxRate: maxRate, step: start / aimdStepDivisor, slow: slow}
	a.published.Store(math.Float64bits(start))
	return a
}

// current returns the rate now, without locking.
func (a *aimd) current() float64 { return math.Float64frombits(a.published.Load()) }

// begin returns the round a registration starts in; pass it to done.
func (a *aimd) begin() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.round
}

// done takes the outcome of a registration begun in round: err is its
// error, latency how long it took, limited whether it had to wait for the
// rate (the rate, not the work to do, held it back). It returns the new
// rate and whether it changed.
func (a *aimd) done(round uint64, latency time.Duration, err error, limited bool) (float64, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	congested := err != nil
	if err == nil {
		congested = latency > a.threshold()
		a.sample(latency)
	}
	old := a.rate
	switch {
	case congested:
		if round != a.round {
			return a.rate, false // this round was cut already
		}
		a.round++
		a.rate = max(a.rate*aimdCut, a.minRate)
	case limited && !math.IsInf(a.rate, 1):
		a.rate = min(a.rate+a.step/a.rate, a.maxRate)
	}
	if a.rate == old {
		return a.rate, false
	}
	a.published.Store(math.Float64bits(a.rate))
	return a.rate, true
}

// threshold returns the latency above which a registration counts as slow.
func (a *aimd) threshold() time.Duration {
	base := a.curMin
	if a.prevMin > 0 && (base == 0 || a.prevMin < base) {
		base = a.prevMin
	}
	return min(max(aimdSlowFactor*base, a.slow/10), a.slow)
}

// sample adds a successful registration's latency to the baseline.
func (a *aimd) sample(latency time.Duration) {
	latency = max(latency, 1) // 0 means "no sample"
	if a.curMin == 0 || latency < a.curMin {
		a.curMin = latency
	}
	if a.samples++; a.samples == latencyWindow {
		a.prevMin, a.curMin, a.samples = a.curMin, 0, 0
	}
}
