package reactor

import (
	"sync"
	"sync/atomic"
	"time"
)

const (
	slotChunkBits = 12
	slotChunkSize = 1 << slotChunkBits
)

// slot holds the BeatInfo a scheduler entry beats for, kept beside the
// entry rather than found through the map, so that firing a beat reads one
// 8-byte slot and never the BeatInfo. The entry's period travels in its
// data (periodData), and its generation needs no checking here: the
// Handler re-arms an entry before it beats, and a re-arm of a stale entry
// fails.
type slot = atomic.Pointer[BeatInfo]

type slotChunk [slotChunkSize]slot

// slots maps scheduler entries (by wheel.Timer.Index, dense from 1) to the
// BeatInfo they beat for. Reads, one per beat, are lock-free: two dependent
// loads. Growing takes a mutex and copies the chunk list, so readers never
// see it change under them. 8 bytes per entry.
type slots struct {
	mu  sync.Mutex
	top atomic.Pointer[[]*slotChunk]
}

// at returns slot i, or nil if the table does not reach it.
func (s *slots) at(i uint32) *slot {
	top := s.top.Load()
	if top == nil || int(i>>slotChunkBits) >= len(*top) {
		return nil
	}
	return &(*top)[i>>slotChunkBits][i&(slotChunkSize-1)]
}

// load returns the BeatInfo in slot i, or nil: the slot is free, or not set
// by Add yet.
func (s *slots) load(i uint32) *BeatInfo {
	if e := s.at(i); e != nil {
		return e.Load()
	}
	return nil
}

// set puts b in slot i.
func (s *slots) set(i uint32, b *BeatInfo) {
	e := s.at(i)
	if e == nil {
		s.grow(i)
		e = s.at(i)
	}
	e.Store(b)
}

// clear empties slot i if it holds b.
func (s *slots) clear(i uint32, b *BeatInfo) {
	if e := s.at(i); e != nil {
		e.CompareAndSwap(b, nil)
	}
}

// release drops the table, and with it every BeatInfo it points at: Close
// calls it once nothing reads a slot any more, so that a closed Reactor
// keeps no instance alive. A later set grows a new table.
func (s *slots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.top.Store(nil)
}

// grow extends the table to hold index i.
func (s *slots) grow(i uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var top []*slotChunk
	if p := s.top.Load(); p != nil {
		top = *p
	}
	if int(i>>slotChunkBits) < len(top) {
		return // grown by another Add meanwhile
	}
	grown := top[:len(top):len(top)]
	for int(i>>slotChunkBits) >= len(grown) {
		grown = append(grown, new(slotChunk))
	}
	s.top.Store(&grown)
}

// periodData is the scheduler entry data that carries a beat period, in
// microseconds: the entry's 32 bits hold up to 71 minutes, more than
// MaxPeriod (TestSizes checks it).
func periodData(p time.Duration) uint32 { return uint32(p / time.Microsecond) }

// dataPeriod is the period entry data carries.
func dataPeriod(d uint32) time.Duration { return time.Duration(d) * time.Microsecond }
