package wheel

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// never is the tick of "no event at all".
const never = math.MaxInt64

// noFollow is levels.follow when no free entries are to move.
const noFollow = math.MaxUint32

// levels holds the buckets of every level and places entries in them. It
// is the wheel's pure data structure: no locks, no clock, no goroutine. All
// times here are in ticks. Every method runs under Wheel.mu.
//
// Its parts, each in its own file: the bucket (bucket.go) stores one
// slot's entries; the slab (slab.go) stores the entries themselves and
// chooses where a new one lies; nextSetBit (bitmap.go) finds the next
// occupied slot; sortNearly (order.go) puts a tick in slab order. levels
// itself maps ticks to buckets (bucketOf), keeps the occupancy bitmaps and
// counters in step with the buckets (insert, remove), cascades upper
// buckets down (cascade), and hands a tick's entries out (expire).
//
// An entry is in exactly one place, named by its loc: a bucket, firing
// (locFiring), or none (locIdle, handed out or not armed; locFree).
//
// An emptied level-0 bucket, and a tick's array once handed out, give
// their array to spare, for the next bucket to start with, so beats that
// re-arm period after period need no allocation and only as many arrays
// as buckets in use; an emptied upper bucket, rare, frees its array.
type levels struct {
	slab slab

	// buckets[0:slots] are level 0; then 64 buckets per upper level.
	buckets []bucket
	spare   [][]uint32 // empty arrays of emptied level-0 buckets
	// firing is the bucket of tick cur, flushed whole when cur reached it
	// (as Kafka's TimingWheel flushes a bucket), and handed out from index
	// fired on, over as many batches as it takes; nil when none is. Its entries have loc
	// locFiring until handed out; one that left since (cancelled, re-armed)
	// has another loc and is skipped, so leaving costs it nothing here.
	firing []uint32
	fired  int
	// runs[d mod len(runs)] is the open slab run of new entries first due
	// on tick d, if its key is d (see slab.alloc).
	runs []run
	// follow is the group whose free entries move with the next entry
	// re-armed (see rearmed), or noFollow.
	follow   uint32
	sortBuf  []uint32 // sortNearly's scratch space
	occupied []uint64 // level-0 bitmap: bit s set iff buckets[s] has entries
	upperOcc []uint64 // per upper level k, bit j set iff its slot j is occupied
	slots    int64    // level-0 slot count
	bits0    uint     // log2(slots)
	mask0    int64    // slots - 1
	nlevels  int      // levels in all, level 0 included
	tick     int64    // nanoseconds per tick

	cur     int64 // the tick being processed (every tick before it is done)
	pending int   // entries in buckets
	upper   int   // entries in levels above 0
}

// upperMask masks a slot number within an upper level.
const upperMask = 1<<upperBits - 1

// upperSlot returns the level (>= 1) and slot of bucket h >= slots.
func (l *levels) upperSlot(h uint32) (int, uint) {
	u := int64(h) - l.slots
	return int(u>>upperBits) + 1, uint(u & upperMask)
}

// shift returns log2 of the width, in ticks, of one slot of level k >= 1:
// the span of the whole level below it.
func (l *levels) shift(k int) uint { return l.bits0 + uint(k-1)*upperBits }

// upperList returns the index in buckets of slot j of level k >= 1.
func (l *levels) upperList(k int, j int64) uint32 {
	return uint32(l.slots + int64(k-1)<<upperBits + j)
}

func newLevels(slots int, tick int64) levels {
	b0 := uint(bits.TrailingZeros(uint(slots)))
	// Enough upper levels to hold any positive int64 tick delta, so no
	// entry ever needs an overflow list.
	nl := 1 + (63-int(b0)+upperBits-1)/upperBits
	return levels{
		slab:     newSlab(slots),
		follow:   noFollow,
		buckets:  make([]bucket, slots+(nl-1)<<upperBits),
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

// bucketOf returns the index in buckets of the slot for tick d. d must be at least
// cur and, unless it is cur itself, in the future.
//
// Level 0 holds ticks cur..cur+slots-1 at d mod slots. Level k >= 1 holds
// deltas below 2^(bits0+6k) at slot (d >> (bits0+6(k-1))) mod 64; that slot
// is cascaded at the first tick of d's level-(k-1) span, which is in the
// future because the delta is at least that span.
func (l *levels) bucketOf(d int64) uint32 {
	delta := d - l.cur
	if delta < l.slots {
		return uint32(d & l.mask0)
	}
	k := (bits.Len64(uint64(delta)) - int(l.bits0) + upperBits - 1) / upperBits
	return l.upperList(k, d>>l.shift(k)&upperMask)
}

// insert puts entry i in bucket h (bucketOf its due tick). O(1)
// amortised: it allocates only when a bucket outgrows the capacity it
// ever had.
func (l *levels) insert(i uint32, e *entry, h uint32) {
	b := &l.buckets[h]
	if int64(h) < l.slots {
		if n := len(l.spare) - 1; n >= 0 && cap(b.ids) == 0 {
			b.reuse(l.spare[n])
			l.spare = l.spare[:n]
		}
		l.occupied[h>>6] |= 1 << (h & 63)
	} else {
		k, j := l.upperSlot(h)
		l.upperOcc[k] |= 1 << j
		l.upper++
	}
	e.loc = h
	b.push(i, e)
	l.pending++
}

// remove takes pending entry e out of its bucket, or out of firing, and
// leaves it idle. O(1).
func (l *levels) remove(e *entry) {
	h := e.loc
	e.loc = locIdle
	l.pending--
	if h == locFiring {
		return // expire skips it: its loc is no longer locFiring
	}
	b := &l.buckets[h]
	b.remove(e, &l.slab)
	if b.len() > 0 {
		if int64(h) >= l.slots {
			l.upper--
		}
		return
	}
	if int64(h) < l.slots {
		l.spare = append(l.spare, b.flush()[:0])
		l.occupied[h>>6] &^= 1 << (h & 63)
		return
	}
	l.upper--
	k, j := l.upperSlot(h)
	l.upperOcc[k] &^= 1 << j
	b.flush() // upper buckets fill rarely: give the memory back
}

// cascade moves down every upper-level slot whose span starts at tick t (the
// new cur). Entries land in lower levels, those due at t in slot t itself.
// Each entry cascades at most once per level it sits above level 0.
func (l *levels) cascade(t int64) {
	for k := 1; k < l.nlevels; k++ {
		shift := l.shift(k)
		if t&(1<<shift-1) != 0 {
			return // level k-1 did not wrap, so no higher level did
		}
		j := t >> shift & upperMask
		h := l.upperList(k, j)
		list := l.buckets[h].flush()
		l.upperOcc[k] &^= 1 << j
		l.pending -= len(list)
		l.upper -= len(list)
		for _, i := range list {
			e := l.slab.at(i)
			// An upper-level entry is due on its own tick, tickOf(e.at):
			// due substitutes cur+1 only for ticks already past, and
			// cur+1 is always in level 0. That tick lies in the span
			// of this slot, which starts at t, so it is at least t, as
			// bucketOf requires.
			l.insert(i, e, l.bucketOf(l.tickOf(e.at)))
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
		if l.upperOcc[k] == 0 {
			continue
		}
		// Slot j of level k cascades at the ticks t = r<<shift with
		// r mod 64 = j. The first round after cur is r0; the nearest
		// occupied slot at or after r0's, wrapping, is j.
		shift := l.shift(k)
		r0 := l.cur>>shift + 1
		j := int64(nextSetBit(l.upperOcc[k:k+1], int(r0&upperMask)))
		next = min(next, (r0+(j-r0)&upperMask)<<shift)
	}
	if l.pending == l.upper {
		return next
	}
	start := (l.cur + 1) & l.mask0
	s := nextSetBit(l.occupied, int(start))
	if s < 0 {
		return next
	}
	return min(next, l.cur+1+(int64(s)-start)&l.mask0)
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
// never before cur+1, as cur's bucket may already be flushed.
func (l *levels) due(at int64) int64 { return max(l.tickOf(at), l.cur+1) }

// runKeys is how many open slab runs levels keeps: ticks this many apart
// share one. 1024 ticks cover any beat period up to 10 s at the default tick.
const runKeys = 1024

// add arms a new entry for time at, carrying data, beside the entries due
// on the same tick (see slab.alloc), and returns its index and the tick it
// is due on; index 0 when the slab is full. A new run for the tick is as
// long as the tick's list, rounded up to a power of two: runs double as it
// fills.
func (l *levels) add(at int64, data uint32) (uint32, int64) {
	d := l.due(at)
	h := l.bucketOf(d)
	r := &l.runs[d&int64(len(l.runs)-1)]
	if r.key != d {
		l.slab.close(r, uint32(r.key&l.mask0))
		r.key = d
	}
	want := uint32(1) << bits.Len(uint(l.buckets[h].len()))
	i := l.slab.alloc(r, d, uint32(d&l.mask0), want)
	if i == 0 {
		return 0, d
	}
	e := l.slab.at(i)
	e.at, e.data = at, data
	l.insert(i, e, h)
	return i, d
}

// rearm arms entry i again, idle (handed out) or pending (it moves), for
// time at, and returns the tick it is now due on. Re-arming an entry
// handed out takes the free entries of its tick along (see rearmed).
func (l *levels) rearm(i uint32, e *entry, at int64) int64 {
	idle := e.loc == locIdle
	if !idle {
		l.remove(e)
	}
	d := l.due(at)
	h := l.bucketOf(d)
	if idle {
		l.rearmed(h)
	}
	e.at = at
	l.insert(i, e, h)
	return d
}

// free removes entry i from its bucket, if it is in one, and frees it into
// the group of the tick it was due on (see slab), and reports whether it
// was pending.
func (l *levels) free(i uint32, e *entry) bool {
	g := e.loc
	if int64(g) >= l.slots { // idle, or in an upper level
		g = uint32(l.tickOf(e.at) & l.mask0)
	}
	pending := e.loc != locIdle
	if pending {
		l.remove(e)
	}
	l.slab.release(i, g)
	return pending
}

// flushTick flushes the bucket of tick cur, level-0 bucket s, into firing
// as cur's turn comes. The entries are put in slab order, if they are not,
// so that firing reads memory in order (and the CPU's prefetcher runs ahead
// of it) and the entries, re-armed in that order, stay in it: the bucket of
// a tick whose entries came and went is sorted (in O(n) but for those that
// moved), that of a tick untouched since is only checked. No entry can be
// due on cur any more, so the tail of its run is freed into its group; and
// the group's free entries will follow the first entry re-armed (see
// rearmed), to where the tick's entries go next.
func (l *levels) flushTick(s int64) {
	l.firing, l.fired = l.buckets[s].flush(), 0
	l.occupied[s>>6] &^= 1 << (s & 63)
	if !slices.IsSorted(l.firing) {
		l.sortBuf = sortNearly(l.firing, l.sortBuf)
	}
	for _, i := range l.firing {
		l.slab.at(i).loc = locFiring
	}
	if r := &l.runs[l.cur&int64(len(l.runs)-1)]; r.key == l.cur {
		l.slab.close(r, uint32(s))
	}
	l.follow = uint32(s)
}

// rearmed is called when an entry handed out is armed again, in bucket h:
// the free entries of the tick last handed out move to h's group, if h is
// in level 0, so that they stay with the entries they were due with.
func (l *levels) rearmed(h uint32) {
	if l.follow != noFollow && int64(h) < l.slots {
		l.slab.move(l.follow, h)
		l.follow = noFollow
	}
}

// expire appends to batch, up to its capacity, the entries of the first tick
// up to target that has any, and reports whether to call again. A batch
// holds one tick, in slab order, and cur stays on that tick until the
// Handler has it, so what the Handler re-arms for a later tick up to
// target fires in the same catch-up, on time. Ticks with nothing to do are
// skipped in one step. When it returns more = false, batch is as given and
// next is the tick of the next event (never if none), as nextEvent would
// return it now; next is 0 when more is true.
func (l *levels) expire(target int64, batch []Expired) (_ []Expired, more bool, next int64) {
	for {
		if s := l.cur & l.mask0; l.firing == nil && l.buckets[s].len() > 0 {
			l.flushTick(s)
		}
		for l.fired < len(l.firing) && len(batch) < cap(batch) {
			i := l.firing[l.fired]
			l.fired++
			if e := l.slab.at(i); e.loc == locFiring {
				e.loc = locIdle
				l.pending--
				batch = append(batch, Expired{Timer: l.slab.timer(i, e), Data: e.data, Due: time.Duration(e.at)})
			}
		}
		if l.firing != nil && l.fired == len(l.firing) {
			// Done with the array before the Handler re-arms the
			// batch: the bucket they go to can start with it.
			l.spare = append(l.spare, l.firing[:0])
			l.firing, l.fired = nil, 0
		}
		if len(batch) > 0 {
			return batch, true, 0
		}
		next := l.nextEvent()
		if next > target {
			// Nothing is due from cur to target, so moving cur there
			// leaves the next event where it is.
			l.cur = max(l.cur, target)
			return batch, false, next
		}
		l.cur = next
		if next&l.mask0 == 0 {
			l.cascade(next)
		}
	}
}
