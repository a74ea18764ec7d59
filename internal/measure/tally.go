package measure

import "time"

// tallySlots is the number of distinct buckets a Tally holds before it
// must write one out: a power of two. Lateness within one batch of beats
// spans a scheduler tick, a few dozen buckets at most.
const tallySlots = 64

// Tally gathers the observations of one batch, made by one goroutine, and
// adds them to a Histogram in bulk: one atomic add per distinct bucket
// instead of one per observation, and one update of the maximum. A batch of
// beats from one scheduler tick has a few dozen distinct lateness buckets
// for thousands of beats, so a Tally saves nearly all of the atomics.
//
// A Tally is a value meant to live on its caller's stack (about 400
// bytes): take one from Histogram.Tally, Record into it, Flush it. Until
// Flush, its observations are not in the Histogram. It is not safe for
// concurrent use; the Histogram it flushes into is.
type Tally struct {
	s      *stripe
	bucket [tallySlots]uint16 // the bucket each slot counts, valid where count > 0
	count  [tallySlots]uint32
	max    int64
}

// Tally returns an empty Tally that flushes into h's stripe picked by hint
// (see Record).
func (h *Histogram) Tally(hint uint64) Tally {
	return Tally{s: &h.stripes[hint&h.mask]}
}

// Record counts one observation of d, as Histogram.Record does. It writes
// to the Histogram only when d's slot holds another bucket.
func (t *Tally) Record(d time.Duration) {
	v := max(int64(d), 0)
	b := bucketOf(uint64(v))
	i := b & (tallySlots - 1)
	if n := t.count[i]; n != 0 && int(t.bucket[i]) != b {
		t.s.buckets[t.bucket[i]].Add(uint64(n))
		t.count[i] = 0
	}
	t.bucket[i] = uint16(b)
	t.count[i]++
	t.max = max(t.max, v)
}

// Flush adds what t holds to its Histogram and empties t, which can then
// take the next batch.
func (t *Tally) Flush() {
	for i, n := range t.count {
		if n != 0 {
			t.s.buckets[t.bucket[i]].Add(uint64(n))
		}
	}
	t.s.raise(t.max)
	*t = Tally{s: t.s}
}
