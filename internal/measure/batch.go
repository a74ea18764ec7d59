package measure

import "time"

// Batch gathers one goroutine's observations for a Histogram in plain
// memory, and Flush adds them with one atomic add per bucket used: for a
// caller that records many values in a row, such as the lateness of every
// beat a scheduler hands out at once, where an atomic add per value would
// cost more than the rest of the work. Values recorded a tick apart fall
// into a few dozen buckets, so a thousand Records become a few dozen adds.
//
// A Batch is about 7.5 KiB, meant to live on its goroutine's stack for one
// run of work: declare it, Record, Flush. It is not safe for concurrent
// use, and the Histogram sees nothing until Flush.
type Batch struct {
	h       *Histogram
	hint    uint64
	counts  [numBuckets]uint32
	lo, hi  int // the buckets with counts lie in [lo, hi)
	max     int64
	pending bool
}

// Batch returns an empty Batch for h; Flush adds to the stripe hint picks
// (see Record).
func (h *Histogram) Batch(hint uint64) Batch {
	return Batch{h: h, hint: hint}
}

// Record counts one observation of d, as Histogram.Record does, in the
// Batch.
func (b *Batch) Record(d time.Duration) {
	v := max(int64(d), 0)
	i := bucketOf(uint64(v))
	if !b.pending {
		b.lo, b.hi, b.pending = i, i+1, true
	} else {
		b.lo, b.hi = min(b.lo, i), max(b.hi, i+1)
	}
	b.counts[i]++
	b.max = max(b.max, v)
	if b.counts[i] == ^uint32(0) {
		b.Flush()
	}
}

// Flush adds what the Batch holds to its Histogram and empties it.
func (b *Batch) Flush() {
	if !b.pending {
		return
	}
	s := &b.h.stripes[b.hint&b.h.mask]
	for i := b.lo; i < b.hi; i++ {
		if c := b.counts[i]; c > 0 {
			s.buckets[i].Add(uint64(c))
			b.counts[i] = 0
		}
	}
	s.raise(b.max)
	b.max, b.pending = 0, false
}
