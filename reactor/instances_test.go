package reactor

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// table is an instances over slots of its own. Its info hands out
// BeatInfos as Add does: each with an entry index of its own and its slot
// set, ready to store.
type table struct {
	*instances
	next atomic.Uint32 // the last index handed out
}

func newTable(hint int) *table {
	return &table{instances: newInstances(hint, new(slots))}
}

// colliding returns an empty table whose hash puts every identity on one
// of k hashes, k a power of two, so that most of them meet in spill.
func colliding(k uint32) *table {
	m := newTable(0)
	m.mask = k - 1
	return m
}

// store stores b as Add does, with its key.
func (m *table) store(b *BeatInfo) *BeatInfo {
	var buf keyBuf
	return m.instances.store(b, appendKey(buf[:0], b.ServiceName, b.IP, b.Port))
}

func (m *table) info(service string, port int) *BeatInfo {
	b := &BeatInfo{ServiceName: service, IP: "10.0.0.1", Port: port, timerIdx: m.next.Add(1)}
	m.slots.set(b.timerIdx, b)
	return b
}

func TestInstances(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *table
	}{
		{"seeded hash", newTable(16)},
		{"every identity on one hash", colliding(1)},
		{"two hashes", colliding(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			a, b, c := m.info("svc", 1), m.info("svc", 2), m.info("other", 10)
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
			b2 := m.info("svc", 2)
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
			c2 := m.info("other", 10)
			assert.Same(t, c, m.store(c2))
			assert.Equal(t, 2, m.size())

			var all []*BeatInfo
			m.drain(func(b *BeatInfo) { all = append(all, b) })
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
					m.store(m.info(fmt.Sprint("svc", port%2), port+1))
				}
			}
		}()
	}
	wg.Wait()
	held := map[string]int{}
	m.drain(func(b *BeatInfo) { held[b.Key()]++ })
	for k, n := range held {
		assert.Equal(t, 1, n, "%s held %d times", k, n)
	}
	assert.LessOrEqual(t, len(held), ids)
}

// TestInstancesStaleSlot: a read that found an identity's index just
// before a Remove freed it, and reads its slot after another instance took
// it over, finds nothing rather than the other instance.
func TestInstancesStaleSlot(t *testing.T) {
	m := newTable(16)
	a, c := m.info("svc", 1), m.info("other", 2)
	require.Nil(t, m.store(a))
	m.slots.set(a.timerIdx, c) // as if a were removed and its index reused by c
	_, ok := m.load("svc", "10.0.0.1", 1)
	assert.False(t, ok)
	_, ok = m.delete("svc", "10.0.0.1", 1)
	assert.False(t, ok, "the entry names another identity's slot")
}

// TestReactorInstancesConcurrent runs Add, Remove and Get of a few
// identities, all on one hash, from several goroutines of a Reactor, so
// that entry indices are freed and reused while lookups race with them: a
// Get finds the identity asked for or nothing; afterwards every identity
// found is held by a BeatInfo that beats (its slot holds it) and every
// other BeatInfo added is stopped.
func TestReactorInstancesConcurrent(t *testing.T) {
	h := newHarness(t, Config{})
	h.r.beats.mask = 0
	const workers, ids, rounds = 4, 8, 1000
	var (
		mu    sync.Mutex
		added []*BeatInfo
		wg    sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				id := (i*5 + w) % ids
				x := instance(id%3, id)
				switch (i + w) % 4 {
				case 0:
					h.r.Remove(x.ServiceName, x.IP, x.Port)
				case 1:
					if got, ok := h.r.Get(x.ServiceName, x.IP, x.Port); ok {
						assert.True(t, got.is(x.ServiceName, x.IP, x.Port), "Get(%s) found %s", x.Key(), got.Key())
					}
				default:
					assert.NoError(t, h.r.Add(x))
					mu.Lock()
					added = append(added, x)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	live := map[*BeatInfo]bool{}
	for id := range ids {
		x := instance(id%3, id)
		if b, ok := h.r.Get(x.ServiceName, x.IP, x.Port); ok {
			assert.False(t, b.Stopped(), x.Key())
			assert.Same(t, b, h.r.slots.load(b.timerIdx), x.Key())
			live[b] = true
		}
	}
	assert.Equal(t, len(live), h.r.Len())
	for _, b := range added {
		assert.Equal(t, !live[b], b.Stopped(), b.Key())
	}
}
