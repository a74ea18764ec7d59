package reactor

import (
	"sync"
	"sync/atomic"
)

const (
	slotChunkBits = 12
	slotChunkSize = 1 << slotChunkBits
)

type slotChunk [slotChunkSize]atomic.Pointer[BeatInfo]

// slots maps the small integers the scheduler carries as entry data to
// BeatInfos. Reads (one per beat) are lock-free: two dependent loads. Alloc
// and free (one per Add and Remove) take a mutex. The chunk list is copied
// on growth, so readers never see it change under them. 8 bytes per slot.
type slots struct {
	mu   sync.Mutex
	top  atomic.Pointer[[]*slotChunk]
	n    uint32   // slots handed out at least once; guarded by mu
	free []uint32 // freed slots, reused last-in first-out; guarded by mu
}

// get returns the BeatInfo in slot i, or nil.
func (s *slots) get(i uint32) *BeatInfo {
	top := s.top.Load()
	if top == nil || int(i>>slotChunkBits) >= len(*top) {
		return nil
	}
	return (*top)[i>>slotChunkBits][i&(slotChunkSize-1)].Load()
}

// alloc stores b in a free slot and records the slot in b.
func (s *slots) alloc(b *BeatInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var i uint32
	if k := len(s.free); k > 0 {
		i = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		i = s.n
		s.n++
		var top []*slotChunk
		if p := s.top.Load(); p != nil {
			top = *p
		}
		if int(i>>slotChunkBits) == len(top) {
			grown := append(top[:len(top):len(top)], new(slotChunk))
			s.top.Store(&grown)
			top = grown
		}
	}
	b.slot = i
	(*s.top.Load())[i>>slotChunkBits][i&(slotChunkSize-1)].Store(b)
}

// release empties b's slot for reuse.
func (s *slots) release(b *BeatInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	(*s.top.Load())[b.slot>>slotChunkBits][b.slot&(slotChunkSize-1)].Store(nil)
	s.free = append(s.free, b.slot)
}
