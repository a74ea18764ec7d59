package measure

import "time"

// Cumulative stores in counts[k] how many observations in s are at most
// bounds[k], for exporters that want a few cumulative buckets (Prometheus'
// `le`) rather than quantiles. bounds must be ascending and counts as long
// as bounds. A bucket of s that straddles a bound counts below it when its
// midpoint is at most the bound, as Quantile reports it: an observation
// within 3.1 % of a bound may thus fall on either side of it, and every
// other one is counted exactly. One pass over s's buckets; no allocation.
func (s *Snapshot) Cumulative(bounds []time.Duration, counts []uint64) {
	k, seen := 0, uint64(0)
	for i, c := range s.counts {
		if c == 0 {
			continue
		}
		mid := bucketMid(i)
		for k < len(bounds) && mid > uint64(max(bounds[k], 0)) {
			counts[k] = seen
			k++
		}
		if k == len(bounds) {
			return
		}
		seen += c
	}
	for ; k < len(bounds); k++ {
		counts[k] = seen
	}
}

// SumSeconds returns the sum of the observations in seconds, estimated as
// each observation's bucket midpoint: within 1.6 % of the exact sum, and
// exact for observations below 64 ns. A float, so that a long-lived
// histogram's sum cannot overflow.
func (s *Snapshot) SumSeconds() float64 {
	var ns float64
	for i, c := range s.counts {
		if c > 0 {
			ns += float64(c) * float64(bucketMid(i))
		}
	}
	return ns / float64(time.Second)
}
