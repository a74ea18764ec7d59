package reactor

import (
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// Stats is a snapshot of a Reactor's counters, cheap enough to take every
// second. Counters only grow; gauges (Instances, InFlight) go both ways.
type Stats struct {
	// Instances is the number of instances beating.
	Instances int
	// Sent counts beats handed to the Transport; Light counts those sent
	// as light beats.
	Sent, Light uint64
	// OK counts beats the server accepted (code 10200).
	OK uint64
	// Failed counts beats that were not accepted, by kind.
	Failed Failures
	// Reregistered counts successful re-registrations after a 20404;
	// ReregisterFailed the failed ones; ReregisterCoalesced the 20404s for
	// an instance whose re-registration was already queued;
	// ReregisterUnneeded the queued ones dropped because a beat of the
	// instance was accepted first (its full beat registered it) or it
	// stopped. Once the queue is drained, every 20404 is counted in
	// exactly one of the four.
	Reregistered, ReregisterFailed, ReregisterCoalesced, ReregisterUnneeded uint64
	// Skipped counts beats not sent because the scheduler handed them out
	// later than Config.SkipLate allows (a stall): each instance beat at
	// its next phase point instead.
	Skipped uint64
	// ReregisterRate is the re-registration rate now, per second: where
	// the rate that follows the server (Config.ReregisterRate) stands.
	ReregisterRate float64
	// InFlight is the number of beats sent and not yet answered.
	InFlight int64
	// Lateness is how long after its due time each beat left the
	// scheduler, since the Reactor started, skipped beats included.
	Lateness Percentiles
	// SendLatency is the duration of each Transport.SendBeats call.
	SendLatency Percentiles
	// LatenessHistogram and SendLatencyHistogram hold the observations of
	// Lateness and SendLatency (from the same reading of each) as
	// cumulative buckets, for exporters such as Prometheus.
	LatenessHistogram, SendLatencyHistogram Histogram
}

// Histogram is a latency distribution as cumulative buckets, the form
// Prometheus exposes. Stats builds it from the histogram that gives the
// Percentiles, so the beat path pays nothing for it.
type Histogram struct {
	// Count is the number of observations, those above the last bound
	// included: the +Inf bucket.
	Count uint64
	// Sum is the sum of the observations in seconds, each counted at the
	// midpoint of its fine bucket (within 1.6 % of the exact sum).
	Sum float64
	// Buckets are ascending by UpperBound, the same bounds in every
	// Histogram of every Stats: 100 µs to 10 s in steps of 1, 2.5 and 5,
	// then 15 s (Nacos marks an instance unhealthy when its beats are
	// that late), 30 s (it removes the instance) and 60 s.
	Buckets []Bucket
}

// Bucket is one cumulative bucket of a Histogram.
type Bucket struct {
	// UpperBound is the bucket's inclusive upper bound.
	UpperBound time.Duration
	// Count is how many observations were at most UpperBound. An
	// observation within 3.1 % of the bound may be counted on either side
	// of it: the fine buckets behind it are that wide.
	Count uint64
}

// histogramBounds returns the upper bounds of every Histogram's Buckets.
func histogramBounds() [19]time.Duration {
	const ms = time.Millisecond
	return [...]time.Duration{
		ms / 10, ms / 4, ms / 2,
		ms, 5 * ms / 2, 5 * ms,
		10 * ms, 25 * ms, 50 * ms,
		100 * ms, 250 * ms, 500 * ms,
		time.Second, 5 * time.Second / 2, 5 * time.Second,
		10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute,
	}
}

// histogramOf returns s as a Histogram on histogramBounds.
func histogramOf(s *measure.Snapshot) Histogram {
	bounds := histogramBounds()
	var counts [len(bounds)]uint64
	s.Cumulative(bounds[:], counts[:])
	h := Histogram{Count: s.Count(), Sum: s.SumSeconds(), Buckets: make([]Bucket, len(bounds))}
	for i, b := range bounds {
		h.Buckets[i] = Bucket{UpperBound: b, Count: counts[i]}
	}
	return h
}

// Failures counts beats that were not accepted, by kind.
type Failures struct {
	// NotFound: the server answered 20404 and the instance is queued for
	// re-registration.
	NotFound uint64
	// Code: the server answered another code than 10200 or 20404.
	Code uint64
	// Timeout: no answer in time.
	Timeout uint64
	// Transport: any other error (connection refused or reset, bad status,
	// unparsable body).
	Transport uint64
}

// Total is the number of failed beats.
func (f Failures) Total() uint64 { return f.NotFound + f.Code + f.Timeout + f.Transport }

// Percentiles summarises a latency distribution: the number of
// observations (Count), the 50th, 90th, 99th and 99.9th percentiles (P50,
// P90, P99, P999) and the largest (Max), all from one reading. It is the
// summary the project's reports use (internal/measure's), not a copy.
type Percentiles = measure.Summary

// counters are the Reactor's shared counters. A sender adds a whole job's
// outcomes at once (add), so it touches these cache lines once per batch,
// not per beat, even when every beat fails, as they all do while a server
// restarts; re-registrations count one by one.
type counters struct {
	sent, light, ok                           atomic.Uint64
	notFound, badCode, timeout, transport     atomic.Uint64
	reregistered, reregFailed, reregCoalesced atomic.Uint64
	reregUnneeded, skipped                    atomic.Uint64
	inFlight                                  atomic.Int64
	lateness, sendLatency                     *measure.Histogram
}

func (c *counters) init() {
	// The Handler records lateness through a measure.Batch, one atomic
	// add per bucket per call, and a *wheel.Wheel calls it on one
	// goroutine at a time; sendLatency takes one record per SendBeats
	// call. One stripe each is enough, and saves 105 KiB per Reactor.
	c.lateness = measure.NewStripedHistogram(1)
	c.sendLatency = measure.NewStripedHistogram(1)
}

// tally is one job's outcomes, counted by its sender (see answer).
type tally struct {
	light, ok, notFound, badCode, timeout, transport uint64
}

// add adds the outcomes of a job of sent beats: one atomic add for each
// counter that moved.
func (c *counters) add(sent uint64, t *tally) {
	for _, x := range [...]struct {
		n uint64
		c *atomic.Uint64
	}{
		{sent, &c.sent}, {t.light, &c.light}, {t.ok, &c.ok},
		{t.notFound, &c.notFound}, {t.badCode, &c.badCode}, {t.timeout, &c.timeout}, {t.transport, &c.transport},
	} {
		if x.n > 0 {
			x.c.Add(x.n)
		}
	}
}

// Stats returns a snapshot of r's counters. O(1) but for the histograms'
// fixed-size bucket scans: tens of microseconds, a few allocations.
func (r *Reactor) Stats() Stats {
	if r == nil {
		return Stats{}
	}
	c := &r.stats
	// Each histogram is read once: its figures come from one Snapshot, so
	// they agree with each other.
	late, send := c.lateness.Snapshot(), c.sendLatency.Snapshot()
	return Stats{
		Instances: r.Len(),
		Sent:      c.sent.Load(),
		Light:     c.light.Load(),
		OK:        c.ok.Load(),
		Failed: Failures{
			NotFound:  c.notFound.Load(),
			Code:      c.badCode.Load(),
			Timeout:   c.timeout.Load(),
			Transport: c.transport.Load(),
		},
		Reregistered:        c.reregistered.Load(),
		ReregisterFailed:    c.reregFailed.Load(),
		ReregisterCoalesced: c.reregCoalesced.Load(),
		ReregisterUnneeded:  c.reregUnneeded.Load(),
		Skipped:             c.skipped.Load(),
		ReregisterRate:      r.rereg.ctl.current(),
		InFlight:            c.inFlight.Load(),

		Lateness:             late.Summary(),
		SendLatency:          send.Summary(),
		LatenessHistogram:    histogramOf(late),
		SendLatencyHistogram: histogramOf(send),
	}
}
