package wheel

import "fmt"

// check walks every list and verifies positions, locations, bitmaps and
// counters agree. Test-only: O(entries + slots).
func (l *levels) check() error {
	pending, upper := 0, 0
	for h, list := range l.lists {
		live := list[l.drainedIn(uint32(h)):]
		occupied := len(live) > 0
		if int64(h) < l.slots {
			if got := l.occupied[h>>6]>>(h&63)&1 == 1; got != occupied {
				return fmt.Errorf("level-0 slot %d: bitmap %v, list %v", h, got, occupied)
			}
		} else {
			k, j := l.upperSlot(uint32(h))
			if got := l.upperOcc[k]>>j&1 == 1; got != occupied {
				return fmt.Errorf("level %d slot %d: bitmap %v, list %v", k, j, got, occupied)
			}
		}
		for p, i := range list {
			e := l.slab.at(i)
			if p < len(list)-len(live) {
				if e.loc == uint32(h) {
					return fmt.Errorf("entry %d handed out from list %d still says it is there", i, h)
				}
				continue
			}
			if e.loc != uint32(h) || e.pos != uint32(p) {
				return fmt.Errorf("entry %d at list %d position %d says list %d position %d", i, h, p, e.loc, e.pos)
			}
			pending++
			if int64(h) >= l.slots {
				upper++
			}
		}
	}
	if l.drained > 0 && len(l.lists[l.cur&l.mask0]) <= l.drained {
		return fmt.Errorf("drained %d of a list of %d", l.drained, len(l.lists[l.cur&l.mask0]))
	}
	if pending != l.pending || upper != l.upper {
		return fmt.Errorf("counted %d pending, %d upper; counters say %d, %d", pending, upper, l.pending, l.upper)
	}
	return nil
}
