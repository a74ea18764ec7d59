package wheel

import "math/bits"

// nextSetBit returns the index of the first bit set in words at or after
// bit from, wrapping past the end to bit 0, or -1 if no bit is set.
// O(len(words)) at worst.
func nextSetBit(words []uint64, from int) int {
	n := len(words)
	if n == 0 {
		return -1
	}
	w := (from >> 6) % n
	word := words[w] &^ (1<<(from&63) - 1)
	for range n + 1 {
		if word != 0 {
			return w<<6 + bits.TrailingZeros64(word)
		}
		w++
		if w == n {
			w = 0
		}
		word = words[w]
	}
	return -1
}
