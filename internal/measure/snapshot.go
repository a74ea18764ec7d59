package measure

import (
	"math"
	"time"
)

// Snapshot is a point-in-time copy of a Histogram, or the difference of two
// (an interval). It is a plain value, not safe for concurrent mutation; its
// methods do not modify it. The zero Snapshot is empty.
type Snapshot struct {
	counts [numBuckets]uint64
	count  uint64
	max    int64
}

// Count returns the number of observations.
func (s *Snapshot) Count() uint64 { return s.count }

// Max returns the largest observation. For a Snapshot from Histogram it is
// exact; for an interval (Sub) it is the smaller of the later snapshot's
// maximum and the top of the highest bucket that gained observations, so it
// is off by at most one bucket width (3.1 %).
func (s *Snapshot) Max() time.Duration { return time.Duration(s.max) }

// Sub returns the observations in s that are not in earlier, which must be a
// snapshot of the same Histogram taken before s. A nil earlier gives a copy
// of s.
func (s *Snapshot) Sub(earlier *Snapshot) *Snapshot {
	d := &Snapshot{}
	if earlier == nil {
		*d = *s
		return d
	}
	top := -1
	for i := range s.counts {
		c := s.counts[i] - min(earlier.counts[i], s.counts[i])
		d.counts[i] = c
		d.count += c
		if c > 0 {
			top = i
		}
	}
	if top >= 0 {
		low, width := bucketLow(top)
		d.max = min(s.max, int64(min(low+width-1, math.MaxInt64)))
	}
	return d
}

// Quantile returns the q-quantile (q from 0 to 1; 0.99 for p99): the value
// at rank ceil(q*Count) in sorted order, reported as the midpoint of its
// bucket and never above Max. That is within 1/64 (1.6 %) of the exact
// value, and exact below 64 ns. It returns 0 for an empty snapshot.
func (s *Snapshot) Quantile(q float64) time.Duration {
	if s.count == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	rank := max(uint64(math.Ceil(q*float64(s.count))), 1)
	var seen uint64
	for i, c := range s.counts {
		seen += c
		if seen >= rank {
			return time.Duration(min(int64(bucketMid(i)), s.max))
		}
	}
	return time.Duration(s.max)
}

// Summary is what reports show of a latency distribution: the number of
// observations, four percentiles and the maximum.
type Summary struct {
	Count                    uint64
	P50, P90, P99, P999, Max time.Duration
}

// Summary returns s's count, p50, p90, p99, p99.9 (see Quantile) and max
// (see Max), all from s, so that they agree with each other. The zero
// Summary is an empty snapshot's.
func (s *Snapshot) Summary() Summary {
	return Summary{
		Count: s.Count(),
		P50:   s.Quantile(0.50),
		P90:   s.Quantile(0.90),
		P99:   s.Quantile(0.99),
		P999:  s.Quantile(0.999),
		Max:   s.Max(),
	}
}
