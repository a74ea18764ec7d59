package wheel

import "math"

// entry is one timer. It holds no pointers, so a slab of millions of entries
// is never scanned by the garbage collector. 32 bytes.
type entry struct {
	at   int64  // due time, nanoseconds on the wheel clock
	data uint64 // the caller's value
	pos  uint32 // its position in the list at loc, or the next free entry
	_    uint32 // padding: 32 bytes keep two entries per cache line
	gen  uint32 // bumped on release, so stale Timers are recognised
	loc  uint32 // index into levels.lists of the list holding it, or locIdle/locFree
}

const (
	locIdle = math.MaxUint32 - 1 // allocated, not in any list (fired or not yet armed)
	locFree = math.MaxUint32     // on the free list

	chunkBits = 12
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1

	// maxEntries is the most entries a slab holds: index 0 is the nil index
	// and indices must stay below the loc sentinels.
	maxEntries = locIdle - 1
)

// slab stores entries in fixed-size chunks addressed by a uint32 index.
// Chunks never move, so growth copies nothing and costs at most one chunk of
// slack. Index 0 is never handed out: it means "none" in the lists.
type slab struct {
	chunks [][]entry
	n      uint32 // next never-used index
	free   uint32 // head of the free list, 0 if empty
}

// at returns the entry at index i. i must have been returned by alloc.
func (s *slab) at(i uint32) *entry {
	return &s.chunks[i>>chunkBits][i&chunkMask]
}

// alloc returns the index of an unused entry, or 0 when the slab is full.
// Amortised O(1): a free-list pop, or a new chunk every chunkSize entries.
func (s *slab) alloc() uint32 {
	if i := s.free; i != 0 {
		s.free = s.at(i).pos
		return i
	}
	if s.n == 0 {
		s.n = 1 // skip the nil index
	}
	if s.n >= maxEntries {
		return 0
	}
	if int(s.n>>chunkBits) == len(s.chunks) {
		s.chunks = append(s.chunks, make([]entry, chunkSize))
	}
	i := s.n
	s.n++
	return i
}

// release puts entry i on the free list and invalidates Timers pointing at it.
func (s *slab) release(i uint32) {
	e := s.at(i)
	e.gen++
	e.loc = locFree
	e.pos = s.free
	s.free = i
}

// lookup returns the live entry t refers to, or nil if t is stale.
func (s *slab) lookup(t Timer) (uint32, *entry) {
	i, gen := uint32(t), uint32(t>>32)
	if i == 0 || i >= s.n {
		return 0, nil
	}
	e := s.at(i)
	if e.gen != gen || e.loc == locFree {
		return 0, nil
	}
	return i, e
}

// timer returns the handle of entry i.
func (s *slab) timer(i uint32, e *entry) Timer {
	return Timer(uint64(e.gen)<<32 | uint64(i))
}
