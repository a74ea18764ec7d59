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
	// an instance whose re-registration was already queued.
	Reregistered, ReregisterFailed, ReregisterCoalesced uint64
	// ReregisterRate is the re-registration rate now, per second: where
	// the rate that follows the server (Config.ReregisterRate) stands.
	ReregisterRate float64
	// InFlight is the number of beats sent and not yet answered.
	InFlight int64
	// Lateness is how long after its due time each beat left the
	// scheduler, since the Reactor started.
	Lateness Percentiles
	// SendLatency is the duration of each Transport.SendBeats call.
	SendLatency Percentiles
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

// Percentiles summarises a latency distribution. Its fields are those of
// measure.Summary, so that one converts to the other.
type Percentiles struct {
	Count                    uint64
	P50, P90, P99, P999, Max time.Duration
}

// counters are the Reactor's shared counters. Senders add a whole job's
// tally at once, so they touch these cache lines once per batch, not per
// beat.
type counters struct {
	sent, light, ok                           atomic.Uint64
	notFound, badCode, timeout, transport     atomic.Uint64
	reregistered, reregFailed, reregCoalesced atomic.Uint64
	inFlight                                  atomic.Int64
	lateness, sendLatency                     *measure.Histogram
}

func (c *counters) init() {
	// The Handler records lateness, and a *wheel.Wheel calls it on one
	// goroutine at a time; sendLatency takes one record per SendBeats
	// call. One stripe each is enough, and saves 105 KiB per Reactor.
	c.lateness = measure.NewStripedHistogram(1)
	c.sendLatency = measure.NewStripedHistogram(1)
}

func (c *counters) add(t *tally) {
	c.sent.Add(t.sent)
	if t.light > 0 {
		c.light.Add(t.light)
	}
	if t.ok > 0 {
		c.ok.Add(t.ok)
	}
	for _, p := range []struct {
		n uint64
		c *atomic.Uint64
	}{{t.notFound, &c.notFound}, {t.badCode, &c.badCode}, {t.timeout, &c.timeout}, {t.transport, &c.transport}} {
		if p.n > 0 {
			p.c.Add(p.n)
		}
	}
}

// Stats returns a snapshot of r's counters. O(1) but for the histograms'
// fixed-size bucket scans.
func (r *Reactor) Stats() Stats {
	if r == nil {
		return Stats{}
	}
	c := &r.stats
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
		ReregisterRate:      r.rereg.ctl.current(),
		InFlight:            c.inFlight.Load(),
		// Each histogram is read once: its figures come from one
		// Snapshot, so they agree with each other.
		Lateness:    Percentiles(c.lateness.Snapshot().Summary()),
		SendLatency: Percentiles(c.sendLatency.Snapshot().Summary()),
	}
}
