package nacostest

import "sync/atomic"

// Counters is a snapshot of what a Server has seen since Start. Restart keeps
// them.
type Counters struct {
	Requests        uint64 // HTTP requests received, on any path
	Beats           uint64 // beat requests handled, light and full
	LightBeats      uint64 // beat requests without a beat parameter
	Registrations   uint64 // successful registrations, including by full beat of an unknown instance
	Deregistrations uint64 // successful deregistrations
	NotFound        uint64 // beats answered code 20404
	Errors          uint64 // injected HTTP 500 answers
	Resets          uint64 // injected connection resets
	Malformed       uint64 // injected answers that are not JSON
	Logins          uint64 // successful logins
	AuthFailures    uint64 // failed logins and naming requests refused for their token
	Healthy         int    // instances healthy now
	Unhealthy       int    // instances unhealthy now

	// RegistrationsRefused counts registrations answered 503 for being
	// over Config.MaxRegistrationsPerSecond.
	RegistrationsRefused uint64
}

// counterStripe is one stripe of the request counters. A request counts on
// the stripe of its connection, so connections served on different cores
// rarely share a cache line.
type counterStripe struct {
	requests, beats, lightBeats, registrations, deregistrations, notFound,
	errors, resets, malformed, logins, authFailures atomic.Uint64
	_ [40]byte // 11*8+40 = 128 bytes: a stripe per pair of cache lines
}

const stripeCount = 16 // a power of two

type counters [stripeCount]counterStripe

func (c *counters) stripe(connID uint64) *counterStripe {
	return &c[connID&(stripeCount-1)]
}

func (c *counters) snapshot() Counters {
	var s Counters
	for i := range c {
		st := &c[i]
		s.Requests += st.requests.Load()
		s.Beats += st.beats.Load()
		s.LightBeats += st.lightBeats.Load()
		s.Registrations += st.registrations.Load()
		s.Deregistrations += st.deregistrations.Load()
		s.NotFound += st.notFound.Load()
		s.Errors += st.errors.Load()
		s.Resets += st.resets.Load()
		s.Malformed += st.malformed.Load()
		s.Logins += st.logins.Load()
		s.AuthFailures += st.authFailures.Load()
	}
	return s
}
