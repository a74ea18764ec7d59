package measure

import "time"

// Stats are the figures of one window between two Samples of a Meter that
// keeps Instances beats alive, each every Period.
type Stats struct {
	// Elapsed is the window's wall-clock length.
	Elapsed time.Duration
	// Beats is the number of beats fired in the window.
	Beats uint64
	// Expected is the number of beats due in the window:
	// Instances * Elapsed / Period.
	Expected float64
	// CPU is the process CPU time used in the window.
	CPU time.Duration
	// Switches is the process's context switches in the window.
	Switches uint64
	// Allocs is the number of heap allocations in the window.
	Allocs uint64
	// Lateness holds the lateness of the window's beats.
	Lateness *Snapshot
}

// Between returns the Stats of the window from start to end, two Samples of
// the same Meter, for instances beats each due every period.
func Between(start, end Sample, instances int, period time.Duration) Stats {
	st := Stats{
		Elapsed:  end.At.Sub(start.At),
		CPU:      end.CPU - start.CPU,
		Switches: end.Switches - min(start.Switches, end.Switches),
		Allocs:   end.Mallocs - min(start.Mallocs, end.Mallocs),
		Lateness: end.Lateness.Sub(start.Lateness),
	}
	st.Beats = st.Lateness.Count()
	if period > 0 && instances > 0 {
		st.Expected = float64(instances) * st.Elapsed.Seconds() / period.Seconds()
	}
	return st
}

// CPUPerBeat returns CPU time per beat in nanoseconds, or 0 without beats.
func (s Stats) CPUPerBeat() float64 {
	if s.Beats == 0 {
		return 0
	}
	return float64(s.CPU.Nanoseconds()) / float64(s.Beats)
}

// BeatsPerSecond returns the rate of beats over the window, or 0 for an
// empty window.
func (s Stats) BeatsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Beats) / s.Elapsed.Seconds()
}

// CPUPercent returns CPU time over wall-clock time in percent, where 100 is
// one core busy the whole window; 0 for an empty window.
func (s Stats) CPUPercent() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return 100 * s.CPU.Seconds() / s.Elapsed.Seconds()
}

// SwitchesPerSecond returns the process's context switches per second of
// the window, or 0 for an empty window.
func (s Stats) SwitchesPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Switches) / s.Elapsed.Seconds()
}

// AllocsPerBeat returns heap allocations per beat, or 0 without beats.
func (s Stats) AllocsPerBeat() float64 {
	if s.Beats == 0 {
		return 0
	}
	return float64(s.Allocs) / float64(s.Beats)
}

// FiredPerExpected returns Beats / Expected: 1 when every instance beat once
// per period, below 1 when beats drift late or are lost. 0 when nothing was
// expected.
func (s Stats) FiredPerExpected() float64 {
	if s.Expected <= 0 {
		return 0
	}
	return float64(s.Beats) / s.Expected
}

// P50 returns the median lateness.
func (s Stats) P50() time.Duration { return s.Lateness.Quantile(0.50) }

// P99 returns the 99th percentile of lateness.
func (s Stats) P99() time.Duration { return s.Lateness.Quantile(0.99) }

// P999 returns the 99.9th percentile of lateness.
func (s Stats) P999() time.Duration { return s.Lateness.Quantile(0.999) }

// MaxLate returns the largest lateness, within one bucket (see
// Snapshot.Max).
func (s Stats) MaxLate() time.Duration { return s.Lateness.Max() }
