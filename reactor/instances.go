package reactor

import (
	"hash/maphash"

	"github.com/puzpuzpuz/xsync/v3"
)

// instances is the Reactor's map from an instance's identity (service, IP
// and port, the Nacos key "service#ip#port") to the BeatInfo beating for
// it. A beat never reads it: Add, Remove, Get, Deregister and Close do.
//
// It is an xsync MapOf from a seeded 32-bit hash of the key to the index
// of the instance's scheduler entry, whose slot (see slots) holds the
// BeatInfo. It keeps neither the key nor a pointer: an entry is 8 bytes
// that the garbage collector does not scan, where a string key cost its
// own 48-byte allocation and an entry of 24. A lookup compares the
// BeatInfo's own fields with the identity it was given.
//
// Two identities whose hashes collide cannot share the entry: the later
// one lives in spill, an xsync MapOf keyed by its key string. With n
// instances about n²/2³³ pairs collide: some 120 at a million, 12,000 at
// ten million, a few kilobytes in spill. Every write runs inside
// byHash.Compute for its hash, so writes for one identity, and the moves
// between the two maps, happen one at a time; reads take no lock.
//
// A BeatInfo is stored once its entry's index and its slot are set (Add
// does both first), and its slot is cleared only once it has left the map
// (Remove, Deregister and a replacing Add stop it after deleting it, Close
// after drain), so the slot of an index in byHash holds its BeatInfo. A
// read that races with a Remove may find the index's slot empty or reused
// by another instance: the identity check turns that into "not found".
type instances struct {
	seed   maphash.Seed
	slots  *slots
	byHash *xsync.MapOf[uint32, uint32]
	spill  *xsync.MapOf[string, *BeatInfo]
	// hash is the key's hash: maphash of its bytes with seed, its low 32
	// bits. Tests replace it to make identities collide.
	hash func(key []byte) uint32
}

// newInstances returns an empty map, over the BeatInfos in s, that holds
// hint instances without growing.
func newInstances(hint int, s *slots) *instances {
	m := &instances{
		seed:   maphash.MakeSeed(),
		slots:  s,
		byHash: xsync.NewMapOf[uint32, uint32](xsync.WithPresize(hint)),
		spill:  xsync.NewMapOf[string, *BeatInfo](),
	}
	m.hash = func(key []byte) uint32 { return uint32(maphash.Bytes(m.seed, key)) }
	return m
}

// keyBuf holds the key of most instances on the stack.
type keyBuf [96]byte

// holder returns the BeatInfo of byHash's entry idx, nil if loaded is
// false.
func (m *instances) holder(idx uint32, loaded bool) *BeatInfo {
	if !loaded {
		return nil
	}
	return m.slots.load(idx)
}

// store makes b the instance of its identity and returns the BeatInfo it
// replaced, or nil. b's slot must hold b.
func (m *instances) store(b *BeatInfo) (old *BeatInfo) {
	var buf keyBuf
	key := appendKey(buf[:0], b.ServiceName, b.IP, b.Port)
	m.byHash.Compute(m.hash(key), func(idx uint32, loaded bool) (uint32, bool) {
		cur := m.holder(idx, loaded)
		switch {
		case cur != nil && cur.is(b.ServiceName, b.IP, b.Port):
			old = cur
			return b.timerIdx, false
		case cur != nil: // another identity holds the hash
			if prev, ok := m.spill.LoadAndStore(string(key), b); ok {
				old = prev
			}
			return idx, false
		default: // the hash is free; b's identity may wait in spill
			if m.spill.Size() > 0 {
				old, _ = m.spill.LoadAndDelete(string(key))
			}
			return b.timerIdx, false
		}
	})
	return old
}

// delete forgets the instance of an identity and returns its BeatInfo, if
// there was one.
func (m *instances) delete(service, ip string, port int) (gone *BeatInfo, ok bool) {
	var buf keyBuf
	key := appendKey(buf[:0], service, ip, port)
	m.byHash.Compute(m.hash(key), func(idx uint32, loaded bool) (uint32, bool) {
		if cur := m.holder(idx, loaded); cur != nil && cur.is(service, ip, port) {
			gone, ok = cur, true
			return 0, true
		}
		if m.spill.Size() > 0 {
			gone, ok = m.spill.LoadAndDelete(string(key))
		}
		return idx, !loaded // keep another identity's entry; store nothing
	})
	return gone, ok
}

// load returns the BeatInfo of an identity, if there is one.
func (m *instances) load(service, ip string, port int) (*BeatInfo, bool) {
	var buf keyBuf
	key := appendKey(buf[:0], service, ip, port)
	if idx, ok := m.byHash.Load(m.hash(key)); ok {
		if b := m.slots.load(idx); b != nil && b.is(service, ip, port) {
			return b, true
		}
	}
	if m.spill.Size() == 0 {
		return nil, false
	}
	return m.spill.Load(string(key))
}

// size returns how many instances the map holds.
func (m *instances) size() int { return m.byHash.Size() + m.spill.Size() }

// drain empties the map and returns every BeatInfo it held. Writes that
// race with it may stay in the map or in the result, not both. It reads
// the slots: call it before they are released.
func (m *instances) drain() []*BeatInfo {
	all := make([]*BeatInfo, 0, m.size())
	m.byHash.Range(func(h, _ uint32) bool {
		if idx, ok := m.byHash.LoadAndDelete(h); ok {
			if b := m.slots.load(idx); b != nil {
				all = append(all, b)
			}
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
