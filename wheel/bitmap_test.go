package wheel

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNextSetBit: the first set bit at or after from, wrapping past the
// end; -1 when none is set.
func TestNextSetBit(t *testing.T) {
	words := []uint64{0, 1 << 5, 0, 1<<63 | 1}
	tests := []struct {
		words []uint64
		from  int
		want  int
	}{
		{words, 0, 64 + 5},
		{words, 64 + 5, 64 + 5},
		{words, 64 + 6, 3 * 64},
		{words, 3*64 + 1, 3*64 + 63},
		{words, 4*64 - 1, 4*64 - 1},
		{[]uint64{1 << 3, 0}, 4, 3}, // wraps past the end
		{[]uint64{1 << 3, 0}, 3, 3},
		{[]uint64{0, 0}, 7, -1},
		{nil, 0, -1},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, nextSetBit(tc.words, tc.from), "words %x from %d", tc.words, tc.from)
	}
}
