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
type levels struct {
	slab slab

	// heads[0:slots] are level 0; then 64 heads per upper level. A head is
	// the index of the first entry of a circular list, 0 when empty.
	heads    []uint32
	occupied []uint64 // level-0 bitmap: bit s set iff heads[s] != 0
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

// upperSlot returns the level (>= 1) and slot of heads index h >= slots.
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
		heads:    make([]uint32, slots+(nl-1)<<upperBits),
		occupied: make([]uint64, slots/64),
		upperOcc: make([]uint64, nl),
		slots:    int64(slots),
		bits0:    b0,
		mask0:    int64(slots - 1),
		nlevels:  nl,
		tick:     tick,
	}
}

// head returns the index in heads of the slot for tick d. d must be at least
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

// link appends entry i to the list for tick d. O(1).
func (l *levels) link(i uint32, e *entry, d int64) {
	h := l.head(d)
	e.loc = h
	if first := l.heads[h]; first == 0 {
		e.next, e.prev = i, i
		l.heads[h] = i
	} else {
		f := l.slab.at(first)
		last := f.prev
		e.prev, e.next = last, first
		l.slab.at(last).next = i
		f.prev = i
	}
	if int64(h) < l.slots {
		l.occupied[h>>6] |= 1 << (h & 63)
	} else {
		k, j := l.upperSlot(h)
		l.upperOcc[k] |= 1 << j
		l.upper++
	}
	l.pending++
}

// unlink removes entry i from its list and leaves it idle. O(1).
func (l *levels) unlink(i uint32, e *entry) {
	h := e.loc
	if e.next == i {
		l.heads[h] = 0
	} else {
		l.slab.at(e.prev).next = e.next
		l.slab.at(e.next).prev = e.prev
		if l.heads[h] == i {
			l.heads[h] = e.next
		}
	}
	e.loc = locIdle
	switch {
	case l.heads[h] != 0:
	case int64(h) < l.slots:
		l.occupied[h>>6] &^= 1 << (h & 63)
	default:
		k, j := l.upperSlot(h)
		l.upperOcc[k] &^= 1 << j
	}
	if int64(h) >= l.slots {
		l.upper--
	}
	l.pending--
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
		for i := l.heads[h]; i != 0; i = l.heads[h] {
			e := l.slab.at(i)
			l.unlink(i, e)
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

// arm links entry i for time at, never before cur+1: cur's slot may already
// be drained.
func (l *levels) arm(i uint32, e *entry, at int64) int64 {
	e.at = at
	d := max(l.tickOf(at), l.cur+1)
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
		s := uint32(l.cur & l.mask0)
		for i := l.heads[s]; i != 0; i = l.heads[s] {
			if len(batch) == cap(batch) {
				return batch, true
			}
			e := l.slab.at(i)
			l.unlink(i, e)
			batch = append(batch, Expired{Timer: l.slab.timer(i, e), Data: e.data, Due: time.Duration(e.at)})
		}
		if len(batch) > 0 {
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
