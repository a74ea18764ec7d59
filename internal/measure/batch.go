package measure

import "time"

// Batch gathers one goroutine's observations for a Histogram in plain
// memory, and Flush adds them with one atomic add per bucket used: for a
// caller that records many values in a row, such as the lateness of every
// beat a scheduler hands out at once, where an atomic add per value would
// cost more than the rest of the work. Values recorded within a tick fall
// into a few hundred buckets at most, so thousands of Records become that
// many adds.
//
// A Batch is small, meant to live on its goroutine's stack for one run of
// work: declare it, Record, Flush. It holds its first batchFew values as
// they are, and Flush records those one by one, so a run of one or two
// costs what Histogram.Record does; a longer run counts into a table of
// every bucket that the Histogram lends it until Flush. It is not safe for
// concurrent use, and the Histogram sees nothing until Flush.
type Batch struct {
	h      *Histogram
	hint   uint64
	few    [batchFew]int64 // the first values, while counts is nil
	nFew   int
	counts *bucketCounts // the run's counts per bucket, past batchFew values
	lo, hi int           // the buckets with counts lie in [lo, hi)
	max    int64
}

// batchFew is how many values a Batch keeps as they are before it counts
// them per bucket.
const batchFew = 8

// bucketCounts is a Batch's count per bucket, lent by its Histogram.
type bucketCounts [numBuckets]uint32

// Batch returns an empty Batch for h; Flush adds to the stripe hint picks
// (see Record).
func (h *Histogram) Batch(hint uint64) Batch {
	return Batch{h: h, hint: hint}
}

// Record counts one observation of d, as Histogram.Record does, in the
// Batch.
func (b *Batch) Record(d time.Duration) {
	v := max(int64(d), 0)
	b.max = max(b.max, v)
	if b.counts == nil {
		if b.nFew < batchFew {
			b.few[b.nFew] = v
			b.nFew++
			return
		}
		b.borrow()
	}
	b.count(bucketOf(uint64(v)))
}

// borrow takes a table of counts from the Histogram and moves the values
// held as they are into it.
func (b *Batch) borrow() {
	b.counts = b.h.borrowCounts()
	b.lo, b.hi = numBuckets, 0
	for _, v := range b.few[:b.nFew] {
		b.count(bucketOf(uint64(v)))
	}
	b.nFew = 0
}

// count adds one to bucket i.
func (b *Batch) count(i int) {
	b.lo, b.hi = min(b.lo, i), max(b.hi, i+1)
	b.counts[i]++
	if b.counts[i] == ^uint32(0) {
		b.Flush()
	}
}

// Flush adds what the Batch holds to its Histogram and empties it.
func (b *Batch) Flush() {
	s := &b.h.stripes[b.hint&b.h.mask]
	for _, v := range b.few[:b.nFew] {
		s.buckets[bucketOf(uint64(v))].Add(1)
	}
	if c := b.counts; c != nil {
		for i := b.lo; i < b.hi; i++ {
			if n := c[i]; n > 0 {
				s.buckets[i].Add(uint64(n))
				c[i] = 0
			}
		}
		b.h.counts.Put(c)
	}
	if b.nFew > 0 || b.counts != nil {
		s.raise(b.max)
	}
	b.nFew, b.counts, b.max = 0, nil, 0
}
