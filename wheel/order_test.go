package wheel

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSortNearly: lists in order, in none, and in order but for appends
// and swap-removals, as a tick's list is after churn, come out sorted with
// the same values.
func TestSortNearly(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tests := []struct {
		name string
		// moved is how many swap-removals and appends disturb a sorted
		// list; -1 shuffles it.
		n, moved int
	}{
		{"empty", 0, 0},
		{"one", 1, 0},
		{"sorted", 2000, 0},
		{"one moved", 2000, 1},
		{"a few moved", 2000, 16},
		{"many moved", 2000, 500},
		{"shuffled", 2000, -1},
		{"short shuffled", 5, -1},
	}
	var buf []uint32
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for range 50 {
				seen := map[uint32]bool{}
				fresh := func() uint32 {
					for {
						v := rng.Uint32N(1 << 20)
						if !seen[v] {
							seen[v] = true
							return v
						}
					}
				}
				list := make([]uint32, tc.n)
				for i := range list {
					list[i] = fresh()
				}
				slices.Sort(list)
				for range tc.moved {
					p := rng.IntN(len(list))
					list[p] = list[len(list)-1]
					list[len(list)-1] = fresh()
				}
				if tc.moved < 0 {
					rng.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
				}
				want := slices.Clone(list)
				slices.Sort(want)
				buf = sortNearly(list, buf)
				require.Equal(t, want, list)
			}
		})
	}
}

// BenchmarkSortNearly: a tick's list of 2,000 entries, 16 of them moved
// (a tenth of a million instances replaced a minute, at a 5 s period),
// sorted by sortNearly and by slices.Sort.
func BenchmarkSortNearly(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	base := make([]uint32, 2000)
	for i := range base {
		base[i] = uint32(3 * i)
	}
	moved := make([]uint32, len(base))
	copy(moved, base)
	for k := range 16 {
		p := rng.IntN(len(moved))
		moved[p] = moved[len(moved)-1]
		moved[len(moved)-1] = uint32(3*len(base) + k)
	}
	list := make([]uint32, len(base))
	for _, bc := range []struct {
		name string
		sort func([]uint32, []uint32) []uint32
	}{
		{"sortNearly", sortNearly},
		{"slices.Sort", func(l, buf []uint32) []uint32 { slices.Sort(l); return buf }},
		{"copy only", func(_, buf []uint32) []uint32 { return buf }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf []uint32
			for range b.N {
				copy(list, moved)
				buf = bc.sort(list, buf)
			}
		})
	}
}
