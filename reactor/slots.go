package reactor

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

const (
	slotChunkBits = 12
	slotChunkSize = 1 << slotChunkBits
)

// slot is the beat state of one scheduler entry, kept beside the entry
// rather than in the BeatInfo, so that firing and re-arming a beat reads one
// 16-byte slot and never touches the BeatInfo.
type slot struct {
	b atomic.Pointer[BeatInfo]
	// state is the entry's timer generation << 32 | the beat period in
	// microseconds; 0 while the slot is free. A period is at least
	// MinPeriod, so a live state is never 0.
	state atomic.Uint64
}

type slotChunk [slotChunkSize]slot

// slots maps scheduler entries (by wheel.Timer.Index, dense from 1) to the
// BeatInfo they beat for and its period. Reads, one per beat, are lock-free:
// two dependent loads. Growing takes a mutex and copies the chunk list, so
// readers never see it change under them. 16 bytes per entry.
type slots struct {
	mu  sync.Mutex
	top atomic.Pointer[[]*slotChunk]
}

// packState packs a timer's generation and a period.
func packState(t wheel.Timer, period time.Duration) uint64 {
	return uint64(t.Generation())<<32 | uint64(period/time.Microsecond)
}

// stateFor returns the period in state and whether state belongs to t.
func stateFor(state uint64, t wheel.Timer) (time.Duration, bool) {
	if state == 0 || uint32(state>>32) != t.Generation() {
		return 0, false
	}
	return time.Duration(uint32(state)) * time.Microsecond, true
}

// load returns the state of t's slot, or 0 if the table does not reach it.
func (s *slots) load(t wheel.Timer) uint64 {
	if e := s.at(t.Index()); e != nil {
		return e.state.Load()
	}
	return 0
}

// slotStatus is what get found.
type slotStatus int

const (
	slotOwned slotStatus = iota // the slot beats for the entry
	slotGone                    // the entry no longer beats for anyone
	slotUnset                   // free: removed, or not set by Add yet
)

// get returns the BeatInfo beating on t and its period, given state, the
// slot's state loaded earlier.
func (s *slots) get(t wheel.Timer, state uint64) (*BeatInfo, time.Duration, slotStatus) {
	if state == 0 {
		return nil, 0, slotUnset
	}
	period, ok := stateFor(state, t)
	if !ok {
		return nil, 0, slotGone // its index serves another entry now
	}
	// The state was t's when loaded; if the slot was cleared since, b is
	// nil or, once reused, checked below against a fresh state.
	e := s.at(t.Index())
	b := e.b.Load()
	if b == nil || e.state.Load() != state {
		return nil, 0, slotGone
	}
	return b, period, slotOwned
}

// at returns the slot of index i, or nil if the table does not reach it.
func (s *slots) at(i uint32) *slot {
	top := s.top.Load()
	if top == nil || int(i>>slotChunkBits) >= len(*top) {
		return nil
	}
	return &(*top)[i>>slotChunkBits][i&(slotChunkSize-1)]
}

// set makes t's slot beat for b every period. Until it returns, get says
// the slot is unset.
func (s *slots) set(t wheel.Timer, b *BeatInfo, period time.Duration) {
	i := t.Index()
	e := s.at(i)
	if e == nil {
		s.grow(i)
		e = s.at(i)
	}
	e.b.Store(b)
	e.state.Store(packState(t, period))
}

// setPeriod changes the period of t's slot, if t still owns it, and
// reports whether it changed anything.
func (s *slots) setPeriod(t wheel.Timer, period time.Duration) bool {
	e := s.at(t.Index())
	if e == nil {
		return false
	}
	for {
		old := e.state.Load()
		cur, ok := stateFor(old, t)
		if !ok || cur == period {
			return false
		}
		if e.state.CompareAndSwap(old, packState(t, period)) {
			return true
		}
	}
}

// clear frees t's slot, if t still owns it, before t's entry is cancelled:
// a beat of t that fires meanwhile is then dropped.
func (s *slots) clear(t wheel.Timer) {
	e := s.at(t.Index())
	if e == nil {
		return
	}
	if _, ok := stateFor(e.state.Load(), t); ok {
		e.state.Store(0)
		e.b.Store(nil)
	}
}

// timer returns the timer that owns slot i, or 0 if none does.
func (s *slots) timer(i uint32) wheel.Timer {
	e := s.at(i)
	if e == nil {
		return 0
	}
	st := e.state.Load()
	if st == 0 {
		return 0
	}
	return wheel.Timer(st>>32<<32 | uint64(i))
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
