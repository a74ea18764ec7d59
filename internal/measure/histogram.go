package measure

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// cacheLine is the padding between fields that different cores write.
const cacheLine = 64

// maxStripes caps the stripes of a Histogram (each is about 15 KiB).
const maxStripes = 64

// Histogram is a concurrent log-linear histogram of durations, for beat
// lateness. Buckets are at most 3.1 % wide (see Quantile for the error), and
// cover every duration from 1 ns up; negative durations count as 0.
//
// Record is lock-free and allocation-free. The counters are striped: each
// stripe is a full set of buckets, and the caller's hint picks the stripe,
// so goroutines recording for different instances on different cores rarely
// write the same cache line. Reads (Count, Max, Quantile, Snapshot) sum the
// stripes; they are consistent with each other only within one Snapshot.
//
// The zero Histogram is not usable; call NewHistogram.
type Histogram struct {
	stripes []stripe
	mask    uint64
	// counts lends Batches their tables of counts (*bucketCounts), each
	// returned empty by Flush.
	counts sync.Pool
}

// borrowCounts returns an empty table of counts per bucket for a Batch.
func (h *Histogram) borrowCounts() *bucketCounts {
	if c, ok := h.counts.Get().(*bucketCounts); ok {
		return c
	}
	return new(bucketCounts)
}

// stripe is one set of counters.
type stripe struct {
	max     atomic.Int64
	_       [cacheLine - 8]byte
	buckets [numBuckets]atomic.Uint64
	_       [cacheLine]byte
}

// NewHistogram returns an empty Histogram with four stripes per
// GOMAXPROCS (8 on a 2-core machine, about 120 KiB): for values recorded
// by many goroutines many times a second, such as one per beat.
func NewHistogram() *Histogram {
	return NewStripedHistogram(4 * runtime.GOMAXPROCS(0))
}

// NewStripedHistogram returns an empty Histogram with n stripes, rounded
// up to a power of two between 1 and 64; each costs about 15 KiB. One
// stripe suits values recorded a few thousand times a second.
func NewStripedHistogram(n int) *Histogram {
	s := 1
	for s < n && s < maxStripes {
		s <<= 1
	}
	return &Histogram{stripes: make([]stripe, s), mask: uint64(s - 1)}
}

// Record counts one observation of d. The hint picks the stripe: pass
// something that differs between concurrent callers and is cheap to have,
// such as the instance id. Safe for concurrent use; does not allocate.
func (h *Histogram) Record(hint uint64, d time.Duration) {
	v := max(int64(d), 0)
	s := &h.stripes[hint&h.mask]
	s.buckets[bucketOf(uint64(v))].Add(1)
	s.raise(v)
}

// raise makes v the stripe's max if it is above it.
func (s *stripe) raise(v int64) {
	for {
		m := s.max.Load()
		if v <= m || s.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count returns the number of observations recorded so far.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.stripes {
		b := &h.stripes[i].buckets
		for j := range b {
			n += b[j].Load()
		}
	}
	return n
}

// Max returns the largest observation recorded so far, exactly, or 0.
func (h *Histogram) Max() time.Duration {
	var m int64
	for i := range h.stripes {
		m = max(m, h.stripes[i].max.Load())
	}
	return time.Duration(m)
}

// Quantile returns the q-quantile of everything recorded so far; see
// Snapshot.Quantile.
func (h *Histogram) Quantile(q float64) time.Duration {
	return h.Snapshot().Quantile(q)
}

// Snapshot returns a copy of the counters, summed over stripes. Take one at
// the start and one at the end of an interval and subtract them (Sub) for
// the figures of that interval. Observations recorded while Snapshot runs
// may or may not be in it.
func (h *Histogram) Snapshot() *Snapshot {
	s := &Snapshot{}
	for i := range h.stripes {
		st := &h.stripes[i]
		s.max = max(s.max, st.max.Load())
		for j := range st.buckets {
			c := st.buckets[j].Load()
			s.counts[j] += c
			s.count += c
		}
	}
	return s
}
