package reactor

import (
	"hash/maphash"
	"slices"
	"sync/atomic"

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
// one waits in spill, an xsync MapOf from the hash to the BeatInfos of the
// identities that share it with its holder (a slice, replaced whole on
// every change). With n instances about n²/2³³ pairs collide: some 120 at
// a million, 12,000 at ten million (about a megabyte in spill).
// Every write runs inside byHash.Compute for its hash, so writes for one
// identity, and the moves between the two maps, happen one at a time;
// reads take no lock.
//
// A BeatInfo is stored once its entry's index and its slot are set (Add
// does both first), and its slot is cleared only once it has left the map
// (Remove, Deregister and a replacing Add stop it after deleting it, Close
// after drain), so the slot of an index in byHash holds its BeatInfo. A
// read that races with a Remove may find the index's slot empty or reused
// by another instance: the identity check turns that into "not found".
type instances struct {
	seed    maphash.Seed
	slots   *slots
	byHash  *xsync.MapOf[uint32, uint32]
	spill   *xsync.MapOf[uint32, []*BeatInfo]
	spilled atomic.Int64 // BeatInfos in spill
	// mask keeps the bits of the hash in use: all of them. Tests narrow
	// it to make identities collide.
	mask uint32
}

// newInstances returns an empty map, over the BeatInfos in s, that holds
// hint instances without growing. byHash never shrinks, as a Go map does
// not: a population under churn does not shrink and grow it again, and
// emptying it (Close) allocates nothing.
func newInstances(hint int, s *slots) *instances {
	return &instances{
		seed:   maphash.MakeSeed(),
		slots:  s,
		byHash: xsync.NewMapOf[uint32, uint32](xsync.WithPresize(hint), xsync.WithGrowOnly()),
		spill:  xsync.NewMapOf[uint32, []*BeatInfo](),
		mask:   ^uint32(0),
	}
}

// keyBuf holds the key of most instances on the stack.
type keyBuf [96]byte

// hash returns the hash of an identity: hashKey of its key.
func (m *instances) hash(service, ip string, port int) uint32 {
	var buf keyBuf
	return m.hashKey(appendKey(buf[:0], service, ip, port))
}

// hashKey returns the hash of an identity's key (see appendKey): maphash
// of it with seed, its low 32 bits.
func (m *instances) hashKey(key []byte) uint32 {
	return uint32(maphash.Bytes(m.seed, key)) & m.mask
}

// holder returns the BeatInfo of byHash's entry idx, nil if loaded is
// false.
func (m *instances) holder(idx uint32, loaded bool) *BeatInfo {
	if !loaded {
		return nil
	}
	return m.slots.load(idx)
}

// store makes b, whose key (see appendKey) is key, the instance of its
// identity and returns the BeatInfo it replaced, or nil. b's slot must
// hold b.
func (m *instances) store(b *BeatInfo, key []byte) (old *BeatInfo) {
	h := m.hashKey(key)
	m.byHash.Compute(h, func(idx uint32, loaded bool) (uint32, bool) {
		cur := m.holder(idx, loaded)
		switch {
		case cur != nil && cur.is(b.ServiceName, b.IP, b.Port):
			old = cur
			return b.timerIdx, false
		case cur != nil: // another identity holds the hash
			old = m.spillStore(h, b)
			return idx, false
		default: // the hash is free; b's identity may wait in spill
			old = m.spillTake(h, b.ServiceName, b.IP, b.Port)
			return b.timerIdx, false
		}
	})
	return old
}

// delete forgets the instance of an identity and returns its BeatInfo, if
// there was one.
func (m *instances) delete(service, ip string, port int) (gone *BeatInfo, ok bool) {
	h := m.hash(service, ip, port)
	m.byHash.Compute(h, func(idx uint32, loaded bool) (uint32, bool) {
		if cur := m.holder(idx, loaded); cur != nil && cur.is(service, ip, port) {
			gone = cur
			return 0, true
		}
		gone = m.spillTake(h, service, ip, port)
		return idx, !loaded // keep another identity's entry; store nothing
	})
	return gone, gone != nil
}

// load returns the BeatInfo of an identity, if there is one.
func (m *instances) load(service, ip string, port int) (*BeatInfo, bool) {
	h := m.hash(service, ip, port)
	if idx, ok := m.byHash.Load(h); ok {
		if b := m.slots.load(idx); b != nil && b.is(service, ip, port) {
			return b, true
		}
	}
	list, _ := m.spill.Load(h)
	if i := indexOf(list, service, ip, port); i >= 0 {
		return list[i], true
	}
	return nil, false
}

// spillStore puts b in spill under hash h in place of the BeatInfo of
// its identity, which it returns, if there was one. Only a write holding
// h in byHash.Compute calls it.
func (m *instances) spillStore(h uint32, b *BeatInfo) (old *BeatInfo) {
	list, _ := m.spill.Load(h)
	if i := indexOf(list, b.ServiceName, b.IP, b.Port); i >= 0 {
		old = list[i]
		list = slices.Delete(slices.Clone(list), i, i+1)
	}
	m.spill.Store(h, append(slices.Clip(list), b))
	if old == nil {
		m.spilled.Add(1)
	}
	return old
}

// spillTake takes the BeatInfo of an identity out of spill under hash h
// and returns it, or nil. Only a write holding h in byHash.Compute calls
// it.
func (m *instances) spillTake(h uint32, service, ip string, port int) *BeatInfo {
	list, _ := m.spill.Load(h)
	i := indexOf(list, service, ip, port)
	if i < 0 {
		return nil
	}
	if len(list) == 1 {
		m.spill.Delete(h)
	} else {
		m.spill.Store(h, slices.Delete(slices.Clone(list), i, i+1))
	}
	m.spilled.Add(-1)
	return list[i]
}

// indexOf returns the position of an identity's BeatInfo in list, or -1.
func indexOf(list []*BeatInfo, service, ip string, port int) int {
	return slices.IndexFunc(list, func(b *BeatInfo) bool { return b.is(service, ip, port) })
}

// size returns how many instances the map holds.
func (m *instances) size() int { return m.byHash.Size() + int(m.spilled.Load()) }

// drain empties the map and calls fn for every BeatInfo it held, without
// collecting them: a Close of a million instances allocates nothing for
// them. fn may run under a lock of the map: it must be quick and must not
// use the map. Writes that race with drain may stay in the map or reach
// fn, not both. It reads the slots: call it before they are released.
func (m *instances) drain(fn func(*BeatInfo)) {
	m.byHash.Range(func(h, _ uint32) bool {
		if idx, ok := m.byHash.LoadAndDelete(h); ok {
			if b := m.slots.load(idx); b != nil {
				fn(b)
			}
		}
		return true
	})
	m.spill.Range(func(h uint32, _ []*BeatInfo) bool {
		m.byHash.Compute(h, func(idx uint32, loaded bool) (uint32, bool) {
			if list, ok := m.spill.LoadAndDelete(h); ok {
				m.spilled.Add(-int64(len(list)))
				for _, b := range list {
					fn(b)
				}
			}
			return idx, !loaded // as it was
		})
		return true
	})
}
