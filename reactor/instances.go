package reactor

import (
	"hash/maphash"

	"github.com/puzpuzpuz/xsync/v3"
)

// instances is the Reactor's map from an instance's identity (service, IP
// and port, the Nacos key "service#ip#port") to the BeatInfo beating for
// it. A beat never reads it: Add, Remove, Get, Deregister and Close do.
//
// It is an xsync MapOf keyed by a seeded 64-bit hash of the key rather than
// by the key string, so it keeps no key: an entry is 16 bytes, where a
// string key cost its own 48-byte allocation and an entry of 24. A lookup
// compares the BeatInfo's own fields with the identity it was given. Two
// identities whose hashes collide (at a million instances, about one pair
// in thirty million Reactors) cannot share the entry: the later one lives
// in spill, an xsync MapOf keyed by its key string. Every write runs inside
// byHash.Compute for its hash, so writes for one identity, and the moves
// between the two maps, happen one at a time; reads take no lock.
type instances struct {
	seed   maphash.Seed
	byHash *xsync.MapOf[uint64, *BeatInfo]
	spill  *xsync.MapOf[string, *BeatInfo]
	// hash is the key's hash: maphash of its bytes with seed. Tests
	// replace it to make identities collide.
	hash func(key []byte) uint64
}

// newInstances returns an empty map that holds hint instances without
// growing.
func newInstances(hint int) *instances {
	m := &instances{
		seed:   maphash.MakeSeed(),
		byHash: xsync.NewMapOf[uint64, *BeatInfo](xsync.WithPresize(hint)),
		spill:  xsync.NewMapOf[string, *BeatInfo](),
	}
	m.hash = func(key []byte) uint64 { return maphash.Bytes(m.seed, key) }
	return m
}

// keyBuf holds the key of most instances on the stack.
type keyBuf [96]byte

// store makes b the instance of its identity and returns the BeatInfo it
// replaced, or nil.
func (m *instances) store(b *BeatInfo) (old *BeatInfo) {
	var buf keyBuf
	key := appendKey(buf[:0], b.ServiceName, b.IP, b.Port)
	m.byHash.Compute(m.hash(key), func(cur *BeatInfo, loaded bool) (*BeatInfo, bool) {
		switch {
		case loaded && cur.is(b.ServiceName, b.IP, b.Port):
			old = cur
			return b, false
		case loaded: // another identity holds the hash
			if prev, ok := m.spill.LoadAndStore(string(key), b); ok {
				old = prev
			}
			return cur, false
		default: // the hash is free; b's identity may wait in spill
			if m.spill.Size() > 0 {
				old, _ = m.spill.LoadAndDelete(string(key))
			}
			return b, false
		}
	})
	return old
}

// delete forgets the instance of an identity and returns its BeatInfo, if
// there was one.
func (m *instances) delete(service, ip string, port int) (gone *BeatInfo, ok bool) {
	var buf keyBuf
	key := appendKey(buf[:0], service, ip, port)
	m.byHash.Compute(m.hash(key), func(cur *BeatInfo, loaded bool) (*BeatInfo, bool) {
		if loaded && cur.is(service, ip, port) {
			gone, ok = cur, true
			return nil, true
		}
		if m.spill.Size() > 0 {
			gone, ok = m.spill.LoadAndDelete(string(key))
		}
		return cur, !loaded // keep another identity's entry; store nothing
	})
	return gone, ok
}

// load returns the BeatInfo of an identity, if there is one.
func (m *instances) load(service, ip string, port int) (*BeatInfo, bool) {
	var buf keyBuf
	key := appendKey(buf[:0], service, ip, port)
	if b, ok := m.byHash.Load(m.hash(key)); ok && b.is(service, ip, port) {
		return b, true
	}
	if m.spill.Size() == 0 {
		return nil, false
	}
	return m.spill.Load(string(key))
}

// size returns how many instances the map holds.
func (m *instances) size() int { return m.byHash.Size() + m.spill.Size() }

// drain empties the map and returns every BeatInfo it held. Writes that
// race with it may stay in the map or in the result, not both.
func (m *instances) drain() []*BeatInfo {
	all := make([]*BeatInfo, 0, m.size())
	m.byHash.Range(func(h uint64, b *BeatInfo) bool {
		if _, ok := m.byHash.LoadAndDelete(h); ok {
			all = append(all, b)
		}
		return true
	})
	m.spill.Range(func(k string, b *BeatInfo) bool {
		if _, ok := m.spill.LoadAndDelete(k); ok {
			all = append(all, b)
		}
		return true
	})
	return all
}
