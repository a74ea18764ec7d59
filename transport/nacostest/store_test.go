package nacostest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestShardHashCollision: two keys with one hash (forced here; with
// 64-bit hashes it is rare but possible) are both kept, found, walked
// and removed, in either order.
func TestShardHashCollision(t *testing.T) {
	for _, removeFirst := range []bool{true, false} {
		sh := &newStore().shards[0]
		a := &instance{key: "a", hash: 7, healthy: true}
		b := &instance{key: "b", hash: 7, healthy: true}
		sh.addLocked(a)
		sh.addLocked(b)
		assert.Same(t, a, sh.getLocked(7, []byte("a")))
		assert.Same(t, b, sh.getLocked(7, []byte("b")))
		assert.Nil(t, sh.getLocked(7, []byte("c")))
		assert.Nil(t, sh.getLocked(8, []byte("a")))
		var walked []string
		sh.eachLocked(func(in *instance) { walked = append(walked, in.key) })
		assert.ElementsMatch(t, []string{"a", "b"}, walked)
		require.EqualValues(t, 2, sh.n.Load())

		gone, kept := a, b
		if !removeFirst {
			gone, kept = b, a
		}
		sh.removeLocked(gone)
		assert.Nil(t, sh.getLocked(7, []byte(gone.key)))
		assert.Same(t, kept, sh.getLocked(7, []byte(kept.key)))
		sh.removeLocked(kept)
		assert.Nil(t, sh.getLocked(7, []byte(kept.key)))
		assert.Zero(t, sh.n.Load())
		assert.Zero(t, sh.healthy.Load())
		assert.Empty(t, sh.m)
		assert.Empty(t, sh.spill)
	}
}
