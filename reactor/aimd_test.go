package reactor

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestAIMDRules checks each rule of the rate on its own.
func TestAIMDRules(t *testing.T) {
	fail := errors.New("HTTP 503")
	const ms = time.Millisecond
	t.Run("quick successes at the limit add step per second's worth", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		for range 100 { // a second's worth at 100/s
			a.done(a.begin(), ms, nil, true)
		}
		// +25 per second's worth: 100 registrations at a rate that rose
		// from 100 to 122.5 are a little less than a second's worth.
		assert.InDelta(t, 122.5, a.current(), 0.1, "about +ReregisterRate/4 after a second at the limit")
	})
	t.Run("no rise when the rate did not hold registrations back", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		for range 1000 {
			_, changed := a.done(a.begin(), ms, nil, false)
			require.False(t, changed)
		}
		assert.Equal(t, 100.0, a.current())
	})
	t.Run("ceiling", func(t *testing.T) {
		a := newAIMD(100, 10, 110, time.Second)
		for range 10_000 {
			a.done(a.begin(), ms, nil, true)
			require.LessOrEqual(t, a.current(), 110.0)
		}
		assert.Equal(t, 110.0, a.current())
	})
	t.Run("an error halves the rate once per round", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		rounds := []uint64{a.begin(), a.begin(), a.begin()} // three in flight
		for _, r := range rounds {
			a.done(r, ms, fail, true)
		}
		assert.Equal(t, 50.0, a.current(), "the three in flight cost one cut")
		a.done(a.begin(), ms, fail, true)
		assert.Equal(t, 25.0, a.current(), "one begun after the cut cuts again")
	})
	t.Run("floor", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		for range 20 {
			a.done(a.begin(), ms, fail, true)
			require.GreaterOrEqual(t, a.current(), 10.0)
		}
		assert.Equal(t, 10.0, a.current())
	})
	t.Run("rising latency cuts like an error", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, 500*ms) // never slow under 50 ms
		for range latencyWindow {           // baseline 20 ms: slow above 80 ms
			a.done(a.begin(), 20*ms, nil, false)
		}
		a.done(a.begin(), 79*ms, nil, false)
		assert.Equal(t, 100.0, a.current(), "under 4x the baseline")
		a.done(a.begin(), 81*ms, nil, true)
		assert.Equal(t, 50.0, a.current(), "over 4x the baseline")
	})
	t.Run("jitter on a fast path is not congestion", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		for range latencyWindow { // baseline 100 µs; 4x is 400 µs
			a.done(a.begin(), 100*time.Microsecond, nil, false)
		}
		a.done(a.begin(), 99*ms, nil, false)
		assert.Equal(t, 100.0, a.current(), "under ReregisterSlow/10")
		a.done(a.begin(), 101*ms, nil, false)
		assert.Equal(t, 50.0, a.current(), "over ReregisterSlow/10 and 4x the baseline")
	})
	t.Run("a server slower for good becomes the baseline", func(t *testing.T) {
		a := newAIMD(100, 10, 1000, time.Second)
		for range 2 * latencyWindow {
			a.done(a.begin(), ms, nil, false)
		}
		round := a.begin() // these registrations are all in flight at once
		for range 2*latencyWindow + 1 {
			a.done(round, 300*ms, nil, false) // one cut for the round
		}
		assert.Equal(t, 50.0, a.current())
		rate := a.current()
		a.done(a.begin(), 300*ms, nil, false)
		assert.Equal(t, rate, a.current(), "300 ms is the server's pace now")
		a.done(a.begin(), 1001*ms, nil, false)
		assert.Equal(t, rate/2, a.current(), "over ReregisterSlow is always slow")
	})
	t.Run("an infinite rate stays infinite", func(t *testing.T) {
		a := newAIMD(math.Inf(1), 10, math.Inf(1), time.Second)
		a.done(a.begin(), ms, nil, true)
		a.done(a.begin(), ms, fail, true)
		assert.True(t, math.IsInf(a.current(), 1))
	})
}

// simServer is a registry in simulated time that takes capacity
// registrations per second with a burst of burst. Over it, it refuses them
// (503), or, with slows set, takes them but answers in 250 ms instead of 1
// (it queues: its latency rises).
type simServer struct {
	capacity, burst float64
	slows           bool
	tokens, at      float64 // the bucket, at time at
	accepted        []float64
	refused         int
}

// take handles a registration arriving at time now and returns its latency
// and error.
func (s *simServer) take(now float64) (float64, error) {
	const service, queued = 0.001, 0.25
	s.tokens = min(s.burst, s.tokens+(now-s.at)*s.capacity)
	s.at = now
	if s.tokens < 1 {
		if s.slows {
			s.accepted = append(s.accepted, now)
			return queued, nil
		}
		s.refused++
		return service, errors.New("HTTP 503")
	}
	s.tokens--
	s.accepted = append(s.accepted, now)
	return service, nil
}

// sample is the rate when a registration was sent.
type sample struct {
	at, rate  float64
	congested bool
}

// simulate runs the re-registration rate against srv for seconds of
// simulated time, with a queue that never empties, the client's token
// bucket of burst 1 and up to 4 registrations in flight, as the
// reregisterer's workers. Outcomes reach the rate when they complete.
func simulate(a *aimd, srv *simServer, seconds float64) []sample {
	type pending struct {
		done, latency float64
		round         uint64
		err           error
		idx           int
	}
	var (
		out      []sample
		inflight []pending
		now      float64
		next     float64 // when the client's bucket next has a token
	)
	deliver := func(until float64) {
		slices.SortFunc(inflight, func(x, y pending) int {
			return cmpFloat(x.done, y.done)
		})
		for len(inflight) > 0 && inflight[0].done <= until {
			p := inflight[0]
			inflight = inflight[1:]
			before := a.current()
			a.done(p.round, time.Duration(p.latency*float64(time.Second)), p.err, true)
			if a.current() < before {
				out[p.idx].congested = true
			}
		}
	}
	for now < seconds {
		// A worker is free when fewer than 4 are in flight.
		if len(inflight) == reregisterWorkers {
			now = max(now, inflight[0].done)
			deliver(now)
			continue
		}
		now = max(now, next)
		deliver(now)
		next = now + 1/a.current()
		lat, err := srv.take(now)
		out = append(out, sample{at: now, rate: a.current()})
		inflight = append(inflight, pending{done: now + lat, latency: lat, round: a.begin(), err: err, idx: len(out) - 1})
		slices.SortFunc(inflight, func(x, y pending) int { return cmpFloat(x.done, y.done) })
	}
	return out
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// TestAIMDFollowsTheServer drives the rate through simulated time against a
// server of limited capacity, so the shape it asserts is exact, whatever
// the machine: the rate rises while the server keeps up, falls after
// overload, stays under its ceiling, and the server sees little more than
// its capacity.
func TestAIMDFollowsTheServer(t *testing.T) {
	const start, floor, ceiling, seconds = 100.0, 10.0, 1000.0, 60.0
	tests := []struct {
		name     string
		srv      *simServer
		steady   [2]float64 // bounds on the mean rate over the second half, as fractions of capacity
		overload bool       // the server's capacity is under the ceiling
	}{
		{"server refuses over capacity", &simServer{capacity: 400, burst: 40}, [2]float64{0.5, 1.2}, true},
		{"server slows over capacity", &simServer{capacity: 400, burst: 40, slows: true}, [2]float64{0.5, 1.2}, true},
		{"server faster than the ceiling", &simServer{capacity: 1e6, burst: 1e5}, [2]float64{0, 1}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.srv.tokens = tc.srv.burst
			a := newAIMD(start, floor, ceiling, 200*time.Millisecond)
			out := simulate(a, tc.srv, seconds)
			t.Log(rateOverTime(out, seconds))

			for _, s := range out {
				require.LessOrEqual(t, s.rate, ceiling, "at %.2fs", s.at)
				require.GreaterOrEqual(t, s.rate, floor, "at %.2fs", s.at)
			}
			first := slices.IndexFunc(out, func(s sample) bool { return s.congested })
			if !tc.overload {
				assert.Equal(t, -1, first, "a server that keeps up never slows the rate")
				assert.Equal(t, ceiling, out[len(out)-1].rate, "the rate climbs to its ceiling")
				assert.Zero(t, tc.srv.refused)
				return
			}
			require.Positive(t, first, "the server was overloaded at some point")
			// Rises while the server keeps up.
			for i := 1; i <= first; i++ {
				require.GreaterOrEqual(t, out[i].rate, out[i-1].rate, "rate at %.2fs, before any overload", out[i].at)
			}
			peak := out[first].rate
			assert.Greater(t, peak, tc.srv.capacity, "the rate probed past the server's capacity")
			// Falls after overload.
			after := slices.IndexFunc(out[first+1:], func(s sample) bool { return s.rate < peak })
			require.GreaterOrEqual(t, after, 0)
			assert.LessOrEqual(t, out[first+1+after].rate, peak*aimdCut+1, "one cut halves it")
			cuts := 0
			for _, s := range out {
				if s.congested {
					cuts++
				}
			}
			assert.Greater(t, cuts, 2, "a sawtooth, not one cut")
			// Steady state: the rate hovers around the capacity.
			half := slices.IndexFunc(out, func(s sample) bool { return s.at >= seconds/2 })
			var sum float64
			for _, s := range out[half:] {
				sum += s.rate
			}
			mean := sum / float64(len(out)-half) / tc.srv.capacity
			assert.GreaterOrEqual(t, mean, tc.steady[0], "mean rate over the second half / capacity")
			assert.LessOrEqual(t, mean, tc.steady[1], "mean rate over the second half / capacity")
			// The server never sees more than its capacity plus its burst
			// and a fifth in any second: AIMD overshoots little.
			sent := make([]float64, len(out))
			for i, s := range out {
				sent[i] = s.at
			}
			assert.LessOrEqual(t, float64(maxPerSecond(sent)), 1.2*tc.srv.capacity+tc.srv.burst, "registrations sent in any second")
			assert.LessOrEqual(t, float64(tc.srv.refused), 0.05*float64(len(out)), "refused registrations")
		})
	}
}

// maxPerSecond returns the most of the sorted times in any window of one
// second.
func maxPerSecond(at []float64) int {
	best, j := 0, 0
	for i := range at {
		for j < len(at) && at[j]-at[i] < 1 {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// rateOverTime renders the rate at each whole second, for the test log.
func rateOverTime(out []sample, seconds float64) string {
	var sb strings.Builder
	sb.WriteString("rate over time (s: per second):")
	i := 0
	for sec := 0.0; sec < seconds; sec++ {
		for i < len(out)-1 && out[i+1].at <= sec {
			i++
		}
		fmt.Fprintf(&sb, " %.0f:%.0f", sec, out[i].rate)
	}
	return sb.String()
}
