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
