package wheel

import "fmt"

// check walks every list and verifies positions, locations, bitmaps and
// counters agree. Test-only: O(entries + slots).
func (l *levels) check() error {
	pending, upper := 0, 0
	for h, b := range l.buckets {
		occupied := b.len() > 0
		if int64(h) < l.slots {
			if got := l.occupied[h>>6]>>(h&63)&1 == 1; got != occupied {
				return fmt.Errorf("level-0 slot %d: bitmap %v, bucket %v", h, got, occupied)
			}
		} else {
			k, j := l.upperSlot(uint32(h))
			if got := l.upperOcc[k]>>j&1 == 1; got != occupied {
				return fmt.Errorf("level %d slot %d: bitmap %v, bucket %v", k, j, got, occupied)
			}
		}
		for p, i := range b.ids {
			if e := l.slab.at(i); e.loc != uint32(h) || e.pos != uint32(p) {
				return fmt.Errorf("entry %d at bucket %d position %d says bucket %d position %d", i, h, p, e.loc, e.pos)
			}
			pending++
			if int64(h) >= l.slots {
				upper++
			}
		}
	}
	if l.fired > len(l.firing) {
		return fmt.Errorf("fired %d of %d", l.fired, len(l.firing))
	}
	firing := 0
	for p, i := range l.firing {
		if l.slab.at(i).loc == locFiring {
			if p < l.fired {
				return fmt.Errorf("entry %d handed out from firing still says it is there", i)
			}
			firing++
		}
	}
	inSlab := 0
	for i := uint32(1); i < l.slab.n; i++ {
		if l.slab.at(i).loc == locFiring {
			inSlab++
		}
	}
	if inSlab != firing {
		return fmt.Errorf("%d entries say they are firing; firing holds %d", inSlab, firing)
	}
	pending += firing
	if pending != l.pending || upper != l.upper {
		return fmt.Errorf("counted %d pending, %d upper; counters say %d, %d", pending, upper, l.pending, l.upper)
	}
	return l.slab.checkRuns(l.runs)
}

// checkRuns verifies that the open runs' unused entries are free, on no
// free list, counted by reserved, and within the cap of seven
// sixty-fourths of the slab; and that every free entry is on one group's
// list, counted by free, with the list's tail and the group bitmap
// agreeing. Test-only: O(entries).
func (s *slab) checkRuns(runs []run) error {
	onFreeList := map[uint32]bool{}
	free := uint32(0)
	for g, h := range s.holes {
		last := uint32(0)
		for i := h.head; i != 0; i = s.at(i).pos {
			if e := s.at(i); e.loc != locFree || onFreeList[i] {
				return fmt.Errorf("free entry %d is in use (loc %d) or listed twice", i, e.loc)
			}
			onFreeList[i] = true
			last = i
			free++
		}
		if last != h.tail {
			return fmt.Errorf("group %d: list ends at %d, tail says %d", g, last, h.tail)
		}
		if got := s.holey[g>>6]>>(g&63)&1 == 1; got != (h.head != 0) {
			return fmt.Errorf("group %d: bitmap %v, head %d", g, got, h.head)
		}
	}
	if free != s.free {
		return fmt.Errorf("groups list %d free entries; the slab counts %d", free, s.free)
	}
	reserved := uint32(0)
	for k, r := range runs {
		for i := r.next; i < r.end; i++ {
			if e := s.at(i); e.loc != locFree || onFreeList[i] {
				return fmt.Errorf("run %d: reserved entry %d is in use (loc %d) or on a free list", k, i, e.loc)
			}
			reserved++
		}
	}
	if reserved != s.reserved {
		return fmt.Errorf("runs reserve %d entries; the slab counts %d", reserved, s.reserved)
	}
	if s.reserved > s.n/8-s.n/64 {
		return fmt.Errorf("%d entries reserved, above seven sixty-fourths of %d", s.reserved, s.n)
	}
	return nil
}
