package measure

import "math/bits"

// Bucket layout of a Histogram: log-linear over non-negative nanoseconds, as
// in HdrHistogram. Values below 2*subCount get one bucket each (exact);
// above, every power of two [2^k, 2^(k+1)) is cut into subCount buckets of
// equal width 2^(k-subBits). A bucket is thus at most 1/subCount (3.1 %) as
// wide as the values in it, and its midpoint is within 1/(2*subCount)
// (1.6 %) of any of them.
const (
	subBits    = 5
	subCount   = 1 << subBits
	numBuckets = (64 - subBits) * subCount // covers every non-negative int64
)

// bucketOf returns the bucket index of v.
func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1
	return shift*subCount + int(v>>shift)
}

// bucketLow returns the smallest value in bucket i and the bucket's width.
func bucketLow(i int) (low, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	shift := i/subCount - 1
	return uint64(i%subCount+subCount) << shift, 1 << shift
}

// bucketMid returns the value reported for bucket i: its midpoint.
func bucketMid(i int) uint64 {
	low, width := bucketLow(i)
	return low + width/2
}
