package beatload

import (
	"math/bits"
	"time"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// Send is the no-op transport: it stands for sending instance id's beat. It
// is kept out of line so every way of keeping beats alive pays the same call.
//
//go:noinline
func Send(id uint64) { _ = id }

// Beat is what every way of keeping beats alive does for one beat of
// instance id that fired late after its due time: Send it and record it in
// m. Safe for concurrent use; does not allocate.
func Beat(m *measure.Meter, id uint64, late time.Duration) {
	Send(id)
	m.Beat(id, late)
}

// Spread returns the offset of instance i's first beat when n first beats
// are spread uniformly over one period: period * i / n for i in [0, n),
// computed without overflow. Out-of-range arguments give 0.
func Spread(period time.Duration, i, n int) time.Duration {
	if n <= 0 || period <= 0 || i <= 0 || i >= n {
		return 0
	}
	// period*i may not fit in 64 bits, but with i < n the quotient does,
	// so bits.Div64 cannot panic.
	hi, lo := bits.Mul64(uint64(period), uint64(i))
	q, _ := bits.Div64(hi, lo, uint64(n))
	return time.Duration(q)
}

// scatterStride is a prime above any instance count, so i*scatterStride mod
// n is a bijection on [0, n): Knuth's multiplicative-hash constant.
const scatterStride = 2_654_435_761

// Phase returns the offset of instance i's first beat: the n first beats
// spread uniformly over one period as Spread does, but dealt out to the
// instances in a scattered order. Instances are created, and so laid out
// in memory, in index order, while a reactor gives each instance a phase
// from a hash of its key: with Phase, as there, memory order says nothing
// about firing order, and a way of keeping beats alive cannot gain from
// the hardware prefetching neighbours it would not have in real use.
// i and n must be below 2^32.
func Phase(period time.Duration, i, n int) time.Duration {
	if n <= 0 || i < 0 || i >= n {
		return 0
	}
	return Spread(period, int(uint64(i)*scatterStride%uint64(n)), n)
}
