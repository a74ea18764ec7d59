package wheel

import "fmt"

// check walks every list and verifies the links, locations, bitmaps and
// counters agree. Test-only: O(entries + slots).
func (l *levels) check() error {
	pending, upper := 0, 0
	for h := range l.heads {
		first := l.heads[h]
		occupied := first != 0
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
		if !occupied {
			continue
		}
		i := first
		for {
			e := l.slab.at(i)
			if e.loc != uint32(h) {
				return fmt.Errorf("entry %d in list %d says loc %d", i, h, e.loc)
			}
			if l.slab.at(e.next).prev != i {
				return fmt.Errorf("entry %d: next.prev broken", i)
			}
			pending++
			if int64(h) >= l.slots {
				upper++
			}
			if pending > int(l.slab.n) {
				return fmt.Errorf("list %d loops", h)
			}
			if i = e.next; i == first {
				break
			}
		}
	}
	if pending != l.pending || upper != l.upper {
		return fmt.Errorf("counted %d pending, %d upper; counters say %d, %d", pending, upper, l.pending, l.upper)
	}
	return nil
}
