package reactor

import "math/bits"

// markBits are the BeatInfo flags that set an instance apart from a
// healthy one: the state the senders must read per beat. Healthy
// instances, the usual case, carry none.
const markBits = flagNotFound | flagFailing | flagSkipped

// mark sets flag, one of markBits, on b and reports whether it was clear
// before: whether this call changed b's state. Each bit is counted by who
// sets it and uncounted by who clears it (the flag word says which call
// did), so the count is exact; a mark that lands after stop cleared b's
// marks is cleared again at once.
func (r *Reactor) mark(b *BeatInfo, flag uint32) bool {
	old := b.flags.Or(flag)
	if old&flag != 0 {
		return false
	}
	r.marked.Add(1)
	if old&flagStopped != 0 {
		r.unmark(b, flag)
	}
	return true
}

// unmark clears mask, within markBits, on b and returns b's flags before.
func (r *Reactor) unmark(b *BeatInfo, mask uint32) uint32 {
	old := b.flags.And(^mask)
	if n := bits.OnesCount32(old & mask); n > 0 {
		r.marked.Add(-int64(n))
	}
	return old
}

// prepare readies j to be sent. It drops the beats whose BeatInfo was
// stopped since they were queued (removed or replaced: such a beat must
// never reach the server, where a full one would register the instance
// again): a stopped BeatInfo no longer holds its slot, which the Handler
// read moments ago, so the check costs no miss on the BeatInfo. It asks
// for light beats where the server permits them. While any instance is
// marked (Reactor.marked), it also reads each BeatInfo's flags, for its
// own light-beat state and the transition its answer may make; while none
// is, no BeatInfo is read here: a Transport that writes beats reads it
// anyway, but the Reactor's own cost per beat stays off it.
func (r *Reactor) prepare(j *job, permit bool) {
	marked := r.marked.Load() != 0
	n := 0
	for i := range j.beats {
		b := j.beats[i].Info
		if r.slots.load(j.expired[i].Timer.Index()) != b {
			continue
		}
		var f uint32
		if marked {
			f = b.flags.Load()
			if f&flagSkipped != 0 {
				r.unmark(b, flagSkipped) // this one is sent: the next may be skipped
			}
		}
		j.beats[n] = j.beats[i]
		j.beats[n].Light = permit && f&(flagNotFound|flagFailing) == 0
		j.expired[n] = j.expired[i]
		j.flags[n] = f
		n++
	}
	clear(j.beats[n:]) // keep no stopped instance alive
	j.beats = j.beats[:n]
	j.expired = j.expired[:n]
}
