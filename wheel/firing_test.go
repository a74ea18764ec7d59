package wheel

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChangesWhileATickFires changes entries of a tick while the tick is
// being handed out over several batches (its bucket flushed whole into
// levels.firing): from the Handler, after the first batch of two, it
// cancels, re-arms or replaces an entry of the same tick not handed out
// yet, or one handed out already, and checks what fires, what Cancel
// reports and the wheel's invariants.
func TestChangesWhileATickFires(t *testing.T) {
	const n = 6 // entries due on tick 1, data 0..n-1, in slab order
	tests := []struct {
		name string
		// change runs in the Handler after the first batch (data 0 and 1
		// handed out); ts are the entries by data.
		change func(t *testing.T, w *Wheel, ts []Timer)
		// want is the data fired at tick 1 and then by 10ms, in order.
		want, later []uint32
	}{
		{
			name:   "nothing",
			change: func(*testing.T, *Wheel, []Timer) {},
			want:   []uint32{0, 1, 2, 3, 4, 5},
		},
		{
			name: "cancel one not handed out",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				assert.True(t, w.Cancel(ts[3]), "pending: it will not fire")
			},
			want: []uint32{0, 1, 2, 4, 5},
		},
		{
			name: "cancel one handed out",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				assert.False(t, w.Cancel(ts[1]), "handed out already")
			},
			want: []uint32{0, 1, 2, 3, 4, 5},
		},
		{
			name: "cancel the rest",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				for _, tm := range ts[2:] {
					assert.True(t, w.Cancel(tm))
				}
			},
			want: []uint32{0, 1},
		},
		{
			name: "re-arm one not handed out for later",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				require.NoError(t, w.Reset(ts[4], 5*time.Millisecond))
			},
			want:  []uint32{0, 1, 2, 3, 5},
			later: []uint32{4},
		},
		{
			name: "re-arm one not handed out for now: next tick",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				require.NoError(t, w.Reset(ts[2], time.Millisecond))
			},
			want:  []uint32{0, 1, 3, 4, 5},
			later: []uint32{2},
		},
		{
			name: "cancel one not handed out and add in its place",
			change: func(t *testing.T, w *Wheel, ts []Timer) {
				require.True(t, w.Cancel(ts[5]))
				tm, err := w.Add(time.Millisecond, 100)
				require.NoError(t, err)
				// The entry is reused while its index still lies in
				// the tick being handed out: it must not fire there.
				assert.Equal(t, ts[5].Index(), tm.Index(), "the freed entry is reused")
			},
			want:  []uint32{0, 1, 2, 3, 4},
			later: []uint32{100},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w *Wheel
			var got []uint32
			ts := make([]Timer, n)
			batches := 0
			w, err := New(Config{Tick: time.Millisecond, Manual: true, MaxBatch: 2}, func(b []Expired) {
				for _, e := range b {
					got = append(got, e.Data)
				}
				batches++
				if batches == 1 {
					tt.change(t, w, ts)
				}
				require.NoError(t, w.l.check(), "after batch %d", batches)
			})
			require.NoError(t, err)
			t.Cleanup(w.Stop)
			for k := range ts {
				ts[k], err = w.Add(time.Millisecond, uint32(k))
				require.NoError(t, err)
			}
			require.NoError(t, w.Advance(time.Millisecond))
			assert.Equal(t, tt.want, got, "tick 1")
			got = nil
			require.NoError(t, w.Advance(10*time.Millisecond))
			assert.Equal(t, tt.later, got, "by 10ms")
			require.NoError(t, w.l.check())
			assert.Zero(t, w.Pending())
		})
	}
}
