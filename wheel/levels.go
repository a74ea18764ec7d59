package wheel

import (
	"math"
	"math/bits"
	"time"
)

// never is the tick of "no event at all".
const never = math.MaxInt64

// levels holds the slot lists of every level and places entries in them. It
// is the wheel's pure data structure: no locks, no clock, no goroutine. All
// times here are in ticks. Every method runs under Wheel.mu.
//
// A list is an array of entry indices, and each entry records its position
// in it: append to arm, swap with the last to remove. Walking a list reads
// the array in order and the entries it names independently, so the CPU
// overlaps their cache misses, where a linked list would pay them one after
// another; with a million entries scattered over memory that is most of the
// cost of a beat. An emptied level-0 list gives its array to spare, for the
// next list to start with, so beats that re-arm period after period need
// no allocation and only as many arrays as lists in use; an emptied upper
// list, rare, frees its array.
type levels struct {
	slab slab

	// lists[0:slots] are level 0; then 64 lists per upper level.
	lists [][]uint32
	spare [][]uint32 // empty arrays of emptied level-0 lists
	// drained is how many entries at the front of the list of tick cur
	// have been handed out (and are idle): expire empties a long list over
	// several batches, in the order it was armed.
	drained int
	// runs[d mod len(runs)] is the open slab run of new entries first due
	// on tick d (see slab.alloc).
	runs     []run
	occupied []uint64 // level-0 bitmap: bit s set iff lists[s] has entries
	upperOcc []uint64 // per upper level k, bit j set iff its slot j is occupied
	slots    int64    // level-0 slot count
	bits0    uint     // log2(slots)
	mask0    int64    // slots - 1
	nlevels  int      // levels in all, level 0 included
	tick     int64    // nanoseconds per tick

	cur     int64 // the tick being processed (every tick before it is done)
	pending int   // entries in lists
	upper   int   // entries in levels above 0
}

// upperSlot returns the level (>= 1) and slot of lists index h >= slots.
func (l *levels) upperSlot(h uint32) (int, uint) {
	u := int64(h) - l.slots
	return int(u>>upperBits) + 1, uint(u & (1<<upperBits - 1))
}

func newLevels(slots int, tick int64) levels {
	b0 := uint(bits.TrailingZeros(uint(slots)))
	// Enough upper levels to hold any positive int64 tick delta, so no
	// entry ever needs an overflow list.
	nl := 1 + (63-int(b0)+upperBits-1)/upperBits
	return levels{
		lists:    make([][]uint32, slots+(nl-1)<<upperBits),
		runs:     make([]run, min(slots, runKeys)),
		occupied: make([]uint64, slots/64),
		upperOcc: make([]uint64, nl),
		slots:    int64(slots),
		bits0:    b0,
		mask0:    int64(slots - 1),
		nlevels:  nl,
		tick:     tick,
	}
}

// head returns the index in lists of the slot for tick d. d must be at least
// cur and, unless it is cur itself, in the future.
//
// Level 0 holds ticks cur..cur+slots-1 at d mod slots. Level k >= 1 holds
// deltas below 2^(bits0+6k) at slot (d >> (bits0+6(k-1))) mod 64; that slot
// is cascaded at the first tick of d's level-(k-1) span, which is in the
// future because the delta is at least that span.
func (l *levels) head(d int64) uint32 {
	delta := d - l.cur
	if delta < l.slots {
		return uint32(d & l.mask0)
	}
	k := (bits.Len64(uint64(delta)) - int(l.bits0) + upperBits - 1) / upperBits
	shift := l.bits0 + uint(k-1)*upperBits
	return uint32(l.slots + int64(k-1)<<upperBits + (d>>shift)&(1<<upperBits-1))
}

// link appends entry i to the list for tick d. O(1) amortised: it
// allocates only when a list outgrows the capacity it ever had.
func (l *levels) link(i uint32, e *entry, d int64) {
	h := l.head(d)
	e.loc = h
	if n := len(l.spare) - 1; n >= 0 && cap(l.lists[h]) == 0 && int64(h) < l.slots {
		l.lists[h], l.spare = l.spare[n], l.spare[:n]
	}
	e.pos = uint32(len(l.lists[h]))
	l.lists[h] = append(l.lists[h], i)
	if int64(h) < l.slots {
		l.occupied[h>>6] |= 1 << (h & 63)
	} else {
		k, j := l.upperSlot(h)
		l.upperOcc[k] |= 1 << j
		l.upper++
	}
	l.pending++
}

// unlink removes entry i from its list and leaves it idle. O(1): the
// list's last entry takes its place.
func (l *levels) unlink(i uint32, e *entry) {
	h := e.loc
	list := l.lists[h]
	last := list[len(list)-1]
	if last != i {
		list[e.pos] = last
		l.slab.at(last).pos = e.pos
	}
	l.lists[h] = list[:len(list)-1]
	e.loc = locIdle
	l.detached(h)
}

// detached updates the bitmaps and counters after one entry left list h.
func (l *levels) detached(h uint32) {
	l.pending--
	if int64(h) >= l.slots {
		l.upper--
	}
	if len(l.lists[h]) > l.drainedIn(h) {
		return
	}
	if int64(h) < l.slots {
		// Empty but for entries handed out already: done with it.
		l.emptied(h)
		return
	}
	k, j := l.upperSlot(h)
	l.upperOcc[k] &^= 1 << j
	l.lists[h] = nil // upper lists fill rarely: give the memory back
}

// emptied retires level-0 list h, whose entries have all left or been
// handed out: its array goes to spare.
func (l *levels) emptied(h uint32) {
	l.spare = append(l.spare, l.lists[h][:0])
	l.lists[h] = nil
	if int64(h) == l.cur&l.mask0 {
		l.drained = 0
	}
	l.occupied[h>>6] &^= 1 << (h & 63)
}

// drainedIn returns how many entries at the front of list h are handed out
// already: drained for the list of tick cur, 0 for any other.
func (l *levels) drainedIn(h uint32) int {
	if int64(h) == l.cur&l.mask0 {
		return l.drained
	}
	return 0
}

// cascade moves down every upper-level slot whose span starts at tick t (the
// new cur). Entries land in lower levels, those due at t in slot t itself.
// Each entry cascades at most once per level it sits above level 0.
func (l *levels) cascade(t int64) {
	for k := 1; k < l.nlevels; k++ {
		shift := l.bits0 + uint(k-1)*upperBits
		if t&(1<<shift-1) != 0 {
			return // level k-1 did not wrap, so no higher level did
		}
		h := uint32(l.slots + int64(k-1)<<upperBits + (t>>shift)&(1<<upperBits-1))
		list := l.lists[h]
		l.lists[h] = nil
		_, j := l.upperSlot(h)
		l.upperOcc[k] &^= 1 << j
		l.pending -= len(list)
		l.upper -= len(list)
		for _, i := range list {
			e := l.slab.at(i)
			l.link(i, e, max(l.tickOf(e.at), t))
		}
	}
}

// nextEvent returns the first tick after cur that needs a visit: one whose
// level-0 slot is occupied, or one where an occupied upper-level slot
// cascades. never if the wheel is empty. O(slots/64) at worst for the
// level-0 bitmap scan, O(1) per upper level.
func (l *levels) nextEvent() int64 {
	next := int64(never)
	for k := 1; k < l.nlevels && l.upper > 0; k++ {
		occ := l.upperOcc[k]
		if occ == 0 {
			continue
		}
		// Slot j of level k cascades at the ticks t = r<<shift with
		// r mod 64 = j. The first round after cur is r0; rotating the
		// occupancy word by r0 puts the nearest occupied slot at bit 0.
		shift := l.bits0 + uint(k-1)*upperBits
		r0 := l.cur>>shift + 1
		r := r0 + int64(bits.TrailingZeros64(bits.RotateLeft64(occ, -int(r0&(1<<upperBits-1)))))
		next = min(next, r<<shift)
	}
	if l.pending == l.upper {
		return next
	}
	start := (l.cur + 1) & l.mask0
	words := int64(len(l.occupied))
	w := start >> 6
	word := l.occupied[w] &^ (1<<(start&63) - 1)
	for n := int64(0); n <= words; n++ {
		if word != 0 {
			s := w<<6 + int64(bits.TrailingZeros64(word))
			return min(next, l.cur+1+(s-start)&l.mask0)
		}
		w = (w + 1) % words
		word = l.occupied[w]
	}
	return next
}

// tickOf returns the first tick at or after time at (nanoseconds), so an
// entry is never early.
func (l *levels) tickOf(at int64) int64 {
	if at <= 0 {
		return 0
	}
	return (at-1)/l.tick + 1
}

// due returns the tick an entry armed now for time at goes to: at's, but
// never before cur+1, as cur's slot may already be drained.
func (l *levels) due(at int64) int64 { return max(l.tickOf(at), l.cur+1) }

// runKeys is how many open slab runs levels keeps: ticks this many apart
// share one. 1024 ticks cover any beat period up to 10 s at the default tick.
const runKeys = 1024

// alloc returns a new entry for time at, beside earlier entries due on the
// same tick, or 0 when the slab is full. A new run for the tick is as long as
// the tick's list, rounded up to a power of two: runs double as it fills.
func (l *levels) alloc(at int64) uint32 {
	d := l.due(at)
	want := uint32(1) << bits.Len(uint(len(l.lists[l.head(d)])))
	return l.slab.alloc(&l.runs[d&int64(len(l.runs)-1)], want)
}

// arm links entry i for time at and returns the tick it is due on.
func (l *levels) arm(i uint32, e *entry, at int64) int64 {
	e.at = at
	d := l.due(at)
	l.link(i, e, d)
	return d
}

// expire appends to batch, up to its capacity, the entries of the first tick
// up to target that has any, and reports whether to call again. A batch
// holds one tick, and cur stays on that tick until the Handler has it, so
// what the Handler re-arms for a later tick up to target fires in the same
// catch-up, on time. Ticks with nothing to do are skipped in one step.
func (l *levels) expire(target int64, batch []Expired) ([]Expired, bool) {
	for {
		s := l.cur & l.mask0
		if list := l.lists[s]; len(list) > l.drained {
			n := min(len(list)-l.drained, cap(batch)-len(batch))
			for _, i := range list[l.drained : l.drained+n] {
				e := l.slab.at(i)
				e.loc = locIdle
				batch = append(batch, Expired{Timer: l.slab.timer(i, e), Data: e.data, Due: time.Duration(e.at)})
			}
			l.drained += n
			l.pending -= n
			if l.drained == len(list) {
				l.emptied(uint32(s))
			}
			return batch, true
		}
		next := l.nextEvent()
		if next > target {
			l.cur = max(l.cur, target)
			return batch, false
		}
		l.cur = next
		if next&l.mask0 == 0 {
			l.cascade(next)
		}
	}
}
