package wheel

import "math"

// entry is one timer. It holds no pointers, so a slab of millions of entries
// is never scanned by the garbage collector. It is 24 bytes, no padding:
// the due time and four uint32s, the caller's data among them.
type entry struct {
	at   int64  // due time, nanoseconds on the wheel clock
	data uint32 // the caller's value
	pos  uint32 // its position in the bucket at loc, or the next free entry of its group
	gen  uint32 // bumped on release, so stale Timers are recognised
	loc  uint32 // index into levels.buckets of the bucket holding it, or locFiring/locIdle/locFree
}

const (
	locFiring = math.MaxUint32 - 2 // pending in levels.firing: its tick is being handed out
	locIdle   = math.MaxUint32 - 1 // allocated, not in any bucket (fired or not yet armed)
	locFree   = math.MaxUint32     // free, reserved in a run, or never used

	chunkBits = 12
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1

	// maxEntries is the most entries a slab holds: index 0 is the nil index
	// and indices must stay below the loc sentinels.
	maxEntries = locFiring - 1
)

// slab stores entries in fixed-size chunks addressed by a uint32 index.
// Chunks never move, so growth copies nothing and costs at most one chunk of
// slack. Index 0 is never handed out: it means "none" in the lists.
//
// Where an entry lives is chosen once, when it is allocated, and chosen to
// be beside the entries it will fire with. Entries due on one tick, and
// re-armed with one period, fire together period after period; side by
// side, firing them reads runs of memory in order instead of a cache line
// per entry scattered over the slab, which is most of what a beat costs at
// a million entries. alloc is given the entry's key (the wheel's: its
// first due tick) and group (the level-0 slot of that tick), and tries in
// turn:
//
//  1. the key's open run: fresh entries reserved for the key. A key's runs
//     double in length as its list grows, up to maxRun;
//  2. a free entry of its group: one whose entry was cancelled while due
//     with the entries the new one will be due with, or the unused tail of
//     their run (the wheel keeps a group's free entries with the entries
//     as they are re-armed, see levels.rearmed), so a new entry takes the place of
//     one that fired with the same entries, and a population replaced one
//     by one stays as placed as a fresh one;
//  3. a new run at the end of the slab, while the entries reserved in open
//     runs and those free stay within an eighth of the slab, or while no
//     entry is free;
//  4. any free entry.
//
// So the slab grows only while its spare entries (reserved and free) are
// within an eighth of it: it stays within a seventh above the most entries
// in use at once, and the scheme costs little memory where it buys
// nothing (few entries per tick). Runs reserve at most seven sixty-fourths
// of the slab, so that a pool of free entries can form under churn.
type slab struct {
	chunks []*[chunkSize]entry // arrays, so indexing within one needs no bounds check
	n      uint32              // next never-used index: every run starts here
	// reserved counts the entries of open runs not handed out yet.
	reserved uint32
	// free counts the free entries, on their groups' lists.
	free  uint32
	holes []freeList // per group, its free entries
	holey []uint64   // bit g set iff holes[g] has a free entry
}

// freeList is a list of free entries through their pos fields.
type freeList struct{ head, tail uint32 }

// run is a key's open run: entries next up to end (exclusive) are reserved
// for key.
type run struct {
	next, end uint32
	key       int64
}

// maxRun is the longest run: 6 KiB of entries, a page and a half.
const maxRun = 256

func newSlab(groups int) slab {
	return slab{holes: make([]freeList, groups), holey: make([]uint64, (groups+63)/64)}
}

// at returns the entry at index i. i must have been returned by alloc.
func (s *slab) at(i uint32) *entry {
	return &s.chunks[i>>chunkBits][i&chunkMask]
}

// alloc returns the index of an unused entry for key, in group g, or 0
// when the slab is full. r is key's open run (close a run of another key
// first) and want how long a new run should be. See slab for the order it tries. Amortised O(1): a new chunk
// every chunkSize entries; O(groups/64) to find any free entry at worst.
func (s *slab) alloc(r *run, key int64, g uint32, want uint32) uint32 {
	if r.next < r.end {
		i := r.next
		r.next++
		s.reserved--
		return i
	}
	if s.free == 0 {
		return s.grow(r, key, want)
	}
	if s.holes[g].head != 0 {
		return s.pop(g)
	}
	if s.reserved+s.free < s.n/8 {
		return s.grow(r, key, want)
	}
	return s.pop(uint32(nextSetBit(s.holey, int(g))))
}

// grow opens a new run for key at the end of the slab, in r, and returns
// its first entry, or 0 when the slab is full. r must be used up. The run has up to want entries, fewer if that would make
// reserved and free entries more than an eighth of the slab, or reserved
// entries more than seven sixty-fourths.
func (s *slab) grow(r *run, key int64, want uint32) uint32 {
	if s.n == 0 {
		s.n = 1 // skip the nil index
	}
	spare := s.reserved + s.free // at most n/8 when free is 0 (see alloc)
	room := min(s.n/8-min(spare, s.n/8), s.n/8-s.n/64-min(s.reserved, s.n/8-s.n/64))
	size := max(min(want, maxRun, room), 1)
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
	s.reserved += size - 1
	*r = run{next: i + 1, end: i + size, key: key}
	return i
}

// close frees the unused tail of run r into group g.
func (s *slab) close(r *run, g uint32) {
	for i := r.next; i < r.end; i++ {
		s.push(i, s.at(i), g)
	}
	s.reserved -= r.end - r.next
	r.next = r.end
}

// release frees entry i into group g and invalidates Timers pointing at it.
func (s *slab) release(i uint32, g uint32) {
	e := s.at(i)
	e.gen++
	e.loc = locFree
	s.push(i, e, g)
}

// push puts free entry i at the front of group g's list.
func (s *slab) push(i uint32, e *entry, g uint32) {
	h := &s.holes[g]
	e.pos = h.head
	if h.head == 0 {
		h.tail = i
		s.holey[g>>6] |= 1 << (g & 63)
	}
	h.head = i
	s.free++
}

// pop takes a free entry of group g, which must have one.
func (s *slab) pop(g uint32) uint32 {
	h := &s.holes[g]
	i := h.head
	h.head = s.at(i).pos
	if h.head == 0 {
		h.tail = 0
		s.holey[g>>6] &^= 1 << (g & 63)
	}
	s.free--
	return i
}

// move hands group from's free entries to group to. O(1).
func (s *slab) move(from, to uint32) {
	f := &s.holes[from]
	if f.head == 0 || from == to {
		return
	}
	t := &s.holes[to]
	if t.head == 0 {
		t.tail = f.tail
		s.holey[to>>6] |= 1 << (to & 63)
	} else {
		s.at(f.tail).pos = t.head
	}
	t.head = f.head
	*f = freeList{}
	s.holey[from>>6] &^= 1 << (from & 63)
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
