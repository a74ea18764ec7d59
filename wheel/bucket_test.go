package wheel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testEntries returns a slab holding n allocated entries, and their indices.
func testEntries(t *testing.T, n int) (*slab, []uint32) {
	t.Helper()
	s := newSlab(1)
	var r run
	ids := make([]uint32, n)
	for k := range ids {
		ids[k] = s.alloc(&r, 0, 0, uint32(n))
		require.NotZero(t, ids[k])
		s.at(ids[k]).loc = locIdle
	}
	return &s, ids
}

func TestBucket(t *testing.T) {
	tests := []struct {
		name   string
		push   []int // entries pushed, by number (index into the slab's ids)
		remove []int // then removed, in this order
		want   []int // the bucket's order after both
	}{
		{name: "empty", want: []int{}},
		{name: "push keeps order", push: []int{0, 1, 2}, want: []int{0, 1, 2}},
		{name: "remove the last", push: []int{0, 1, 2}, remove: []int{2}, want: []int{0, 1}},
		{name: "remove the first: the last takes its place", push: []int{0, 1, 2, 3}, remove: []int{0}, want: []int{3, 1, 2}},
		{name: "remove from the middle", push: []int{0, 1, 2, 3}, remove: []int{1}, want: []int{0, 3, 2}},
		{name: "remove the moved entry", push: []int{0, 1, 2, 3}, remove: []int{0, 3}, want: []int{2, 1}},
		{name: "remove all", push: []int{4, 0, 2}, remove: []int{0, 4, 2}, want: []int{}},
		{name: "remove the only one", push: []int{5}, remove: []int{5}, want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ids := testEntries(t, 8)
			var b bucket
			for _, k := range tt.push {
				b.push(ids[k], s.at(ids[k]))
			}
			for _, k := range tt.remove {
				b.remove(s.at(ids[k]), s)
			}
			want := make([]uint32, len(tt.want))
			for p, k := range tt.want {
				want[p] = ids[k]
			}
			require.Equal(t, len(want), b.len())
			assert.Equal(t, want, append([]uint32{}, b.ids...))
			for p, i := range b.ids {
				assert.Equal(t, uint32(p), s.at(i).pos, "entry %d records its position", i)
			}
			got := b.flush()
			assert.Equal(t, want, append([]uint32{}, got...), "flush hands over what the bucket held")
			assert.Zero(t, b.len(), "flush empties the bucket")
			assert.Zero(t, cap(b.ids), "flush leaves the bucket no array")
		})
	}
}

// TestBucketReuse checks that a bucket given an emptied array grows into
// it rather than allocating.
func TestBucketReuse(t *testing.T) {
	s, ids := testEntries(t, 4)
	var b bucket
	for _, i := range ids {
		b.push(i, s.at(i))
	}
	arr := b.flush()
	var c bucket
	c.reuse(arr)
	require.Zero(t, c.len())
	allocs := testing.AllocsPerRun(10, func() {
		for _, i := range ids {
			c.push(i, s.at(i))
		}
		for _, i := range ids {
			c.remove(s.at(i), s)
		}
	})
	assert.Zero(t, allocs, "pushes within the reused array's capacity allocate nothing")
	assert.Equal(t, &arr[0], &c.ids[:1][0], "the bucket grows into the array it was given")
}
