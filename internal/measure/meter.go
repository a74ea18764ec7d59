package measure

import "time"

// Meter counts fired beats and records their lateness. Every way of keeping
// beats alive calls Beat once per beat, from any goroutine; reporters take
// Samples. The beat count is the lateness histogram's count, so the two
// never disagree.
type Meter struct {
	lateness *Histogram
}

// NewMeter returns a Meter with no beats.
func NewMeter() *Meter {
	return &Meter{lateness: NewHistogram()}
}

// Beat counts one beat of instance id that fired late after its due time.
// Safe for concurrent use; does not allocate.
func (m *Meter) Beat(id uint64, late time.Duration) {
	m.lateness.Record(id, late)
}

// Beats returns the number of beats so far. It sums every counter: call it
// once a second, not once a beat.
func (m *Meter) Beats() uint64 { return m.lateness.Count() }

// Lateness returns the histogram of beat lateness.
func (m *Meter) Lateness() *Histogram { return m.lateness }

// Sample is the state of the process and of a Meter at one moment.
type Sample struct {
	// At is when the sample was taken (with a monotonic reading).
	At time.Time
	// CPU is the process CPU time so far (CPUTime).
	CPU time.Duration
	// Switches is the process's context switches so far (ContextSwitches).
	Switches uint64
	// Mallocs is the process's heap allocation count so far (Mallocs).
	Mallocs uint64
	// Lateness holds every beat recorded so far.
	Lateness *Snapshot
}

// Sample returns the current state. It takes tens of microseconds and
// allocates once (a Snapshot, about 15 KiB) after reading Mallocs, so a
// window between two Samples counts exactly one allocation of its own: take
// one per reporting interval, not per beat.
func (m *Meter) Sample() Sample {
	ru := usage()
	return Sample{
		At:       time.Now(),
		CPU:      cpuOf(ru),
		Switches: switchesOf(ru),
		Mallocs:  Mallocs(),
		Lateness: m.lateness.Snapshot(),
	}
}
