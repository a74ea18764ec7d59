package wheel

// bucket holds the entries due in one slot of one level: an array of their
// slab indices, in no particular order. Each entry records where it is
// (entry.loc names the bucket, entry.pos its place in the array), so push
// and remove are O(1): remove moves the last index into the hole. flush
// hands the whole array over and leaves the bucket empty, as Kafka's
// TimerTaskList.flush does.
//
// An array rather than a linked list: walking it reads the indices in
// order and the entries they name independently, so the CPU overlaps
// their cache misses, where a linked list would pay them one after
// another; with a million entries that is most of the cost of a beat.
//
// The bucket knows nothing of levels, bitmaps or ticks: levels keeps those
// (see levels.insert and levels.remove). To change how a slot stores its
// entries, change this type and its tests (bucket_test.go); the wheel's
// model test (model_test.go) then checks the whole wheel against a plain
// map, and levels.check (invariants_test.go) what every bucket must agree
// on: each entry's loc and pos name its place.
type bucket struct {
	ids []uint32
}

// len returns how many entries the bucket holds.
func (b *bucket) len() int { return len(b.ids) }

// push appends entry i, whose record is e, and records its position.
// O(1) amortised: it allocates only when the array outgrows its capacity.
func (b *bucket) push(i uint32, e *entry) {
	e.pos = uint32(len(b.ids))
	b.ids = append(b.ids, i)
}

// remove takes out entry e, which must be in the bucket: the last entry
// (whose record s holds) takes its place.
func (b *bucket) remove(e *entry, s *slab) {
	n := len(b.ids) - 1
	if int(e.pos) != n {
		last := b.ids[n]
		b.ids[e.pos] = last
		s.at(last).pos = e.pos
	}
	b.ids = b.ids[:n]
}

// flush empties the bucket and returns the array it held, which the
// caller now owns. The entries' pos fields are left as they were.
func (b *bucket) flush() []uint32 {
	ids := b.ids
	b.ids = nil
	return ids
}

// reuse gives an empty bucket ids, an emptied array, to grow into.
func (b *bucket) reuse(ids []uint32) { b.ids = ids[:0] }
