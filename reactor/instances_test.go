package reactor

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// colliding returns an empty instances whose hash puts every identity on
// one of k hashes, so that most of them meet in spill.
func colliding(k uint64) *instances {
	m := newInstances(0)
	m.hash = func(key []byte) uint64 { return uint64(len(key)) % k }
	return m
}

func info(service string, port int) *BeatInfo {
	return &BeatInfo{ServiceName: service, IP: "10.0.0.1", Port: port}
}

func TestInstances(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *instances
	}{
		{"seeded hash", newInstances(16)},
		{"every identity on one hash", colliding(1)},
		{"two hashes", colliding(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			a, b, c := info("svc", 1), info("svc", 2), info("other", 10)
			for _, x := range []*BeatInfo{a, b, c} {
				assert.Nil(t, m.store(x), "a new identity replaces nothing")
			}
			assert.Equal(t, 3, m.size())
			for _, x := range []*BeatInfo{a, b, c} {
				got, ok := m.load(x.ServiceName, x.IP, x.Port)
				require.True(t, ok, x.Key())
				assert.Same(t, x, got)
			}
			_, ok := m.load("svc", "10.0.0.1", 3)
			assert.False(t, ok, "an identity never stored")

			// The same identity again replaces the first BeatInfo.
			b2 := info("svc", 2)
			assert.Same(t, b, m.store(b2))
			assert.Equal(t, 3, m.size())
			got, _ := m.load("svc", "10.0.0.1", 2)
			assert.Same(t, b2, got)

			// Deleting the holder of a hash leaves the others found.
			gone, ok := m.delete("svc", "10.0.0.1", 1)
			require.True(t, ok)
			assert.Same(t, a, gone)
			_, ok = m.delete("svc", "10.0.0.1", 1)
			assert.False(t, ok, "deleted twice")
			for _, x := range []*BeatInfo{b2, c} {
				got, ok := m.load(x.ServiceName, x.IP, x.Port)
				require.True(t, ok, x.Key())
				assert.Same(t, x, got)
			}

			// An identity waiting in spill, stored again once its hash is
			// free, moves and is not held twice.
			c2 := info("other", 10)
			assert.Same(t, c, m.store(c2))
			assert.Equal(t, 2, m.size())

			all := m.drain()
			assert.ElementsMatch(t, []*BeatInfo{b2, c2}, all)
			assert.Zero(t, m.size())
		})
	}
}

// TestInstancesConcurrent stores and deletes a few colliding identities
// from several goroutines: afterwards each identity is held at most once,
// by the BeatInfo its last store gave, and size counts them.
func TestInstancesConcurrent(t *testing.T) {
	m := colliding(2)
	const workers, ids, rounds = 4, 6, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				port := (i*7 + w) % ids
				if (i+w)%3 == 0 {
					m.delete(fmt.Sprint("svc", port%2), "10.0.0.1", port+1)
				} else {
					m.store(info(fmt.Sprint("svc", port%2), port+1))
				}
			}
		}()
	}
	wg.Wait()
	held := map[string]int{}
	for _, b := range m.drain() {
		held[b.Key()]++
	}
	for k, n := range held {
		assert.Equal(t, 1, n, "%s held %d times", k, n)
	}
	assert.LessOrEqual(t, len(held), ids)
}
