package wheel

import "math"

// entry is one timer. It holds no pointers, so a slab of millions of entries
// is never scanned by the garbage collector. Its 28 bytes of fields round up
// to 32 (the int64s align it to 8), so two entries share a cache line.
type entry struct {
	at   int64  // due time, nanoseconds on the wheel clock
	data uint64 // the caller's value
	pos  uint32 // its position in the list at loc, or the next free entry
	gen  uint32 // bumped on release, so stale Timers are recognised
	loc  uint32 // index into levels.lists of the list holding it, or locIdle/locFree
}

const (
	locIdle = math.MaxUint32 - 1 // allocated, not in any list (fired or not yet armed)
	locFree = math.MaxUint32     // on the free list, or never used

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
//
// Fresh entries are handed out in runs of adjacent entries, one open run per
// caller-chosen key (the wheel's: the entry's first due tick). Entries due
// on one tick, and re-armed with one period, fire together period after
// period; side by side, firing them reads runs of memory in order instead of
// a cache line and a page per entry scattered over the slab, which is most
// of what a beat costs at a million entries. A key's runs double in length
// as its list grows, up to maxRun, and the unused tails of open runs are
// capped at an eighth of the slab, so the scheme costs little memory where
// it buys nothing (few entries per tick) and at most that eighth anywhere.
type slab struct {
	chunks []*[chunkSize]entry // arrays, so indexing within one needs no bounds check
	n      uint32              // next never-used index: every run starts here
	free   uint32              // head of the free list, 0 if empty
	// reserved counts the entries of open runs not handed out yet.
	reserved uint32
}

// run is a key's open run: entries next up to end (exclusive) are reserved
// for it.
type run struct{ next, end uint32 }

// maxRun is the longest run: 8 KiB of entries, two pages.
const maxRun = 256

// at returns the entry at index i. i must have been returned by alloc.
func (s *slab) at(i uint32) *entry {
	return &s.chunks[i>>chunkBits][i&chunkMask]
}

// alloc returns the index of an unused entry, or 0 when the slab is full.
// r is the open run of the caller's key and want how long a new run for it
// should be. alloc takes r's next entry; when r is used up, a freed entry
// (freed entries are reused before the slab grows, wherever they are);
// failing that, it opens a new run for the key of up to want entries, fewer
// if that would reserve more than an eighth of the slab. Amortised O(1): a
// new chunk every chunkSize entries.
func (s *slab) alloc(r *run, want uint32) uint32 {
	if i := r.next; i < r.end {
		r.next++
		s.reserved--
		return i
	}
	if i := s.free; i != 0 {
		s.free = s.at(i).pos
		return i
	}
	if s.n == 0 {
		s.n = 1 // skip the nil index
	}
	size := max(min(want, maxRun, s.n/8-s.reserved), 1) // reserved <= n/8 always
	if s.n > maxEntries-size {
		return 0
	}
	for int((s.n+size-1)>>chunkBits) >= len(s.chunks) {
		c := new([chunkSize]entry)
		for k := range c {
			c[k].loc = locFree // no stale Timer can name a run's unused tail
		}
		s.chunks = append(s.chunks, c)
	}
	i := s.n
	s.n += size
	*r = run{next: i + 1, end: i + size}
	s.reserved += size - 1
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
	i, gen := t.Index(), t.Generation()
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
