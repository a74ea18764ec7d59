package reactor

import (
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// job is a batch of due beats travelling from the scheduler's Handler to a
// sender. Jobs are pooled: a steady stream of beats allocates nothing.
type job struct {
	beats   []Beat
	results []BeatResult
	// expired is where each beat's entry sat in the scheduler: its Timer,
	// due time and period (in Data), for adopting a new interval.
	expired []wheel.Expired
	// flags are each beat's BeatInfo flags as the sender read them just
	// before sending (Reactor.prepare): the state the answer moves it
	// from. Zero while no instance is marked.
	flags []uint32
}

func newJob(size int) *job {
	return &job{
		beats:   make([]Beat, 0, size),
		results: make([]BeatResult, size),
		expired: make([]wheel.Expired, 0, size),
		flags:   make([]uint32, size),
	}
}

// add appends b's beat, handed out by the scheduler as e, late after its
// due time.
func (j *job) add(b *BeatInfo, e wheel.Expired, late time.Duration) {
	j.beats = append(j.beats, Beat{Info: b, Late: late})
	j.expired = append(j.expired, e)
}

func (j *job) full() bool { return len(j.beats) == cap(j.beats) }

// reset empties j, dropping its BeatInfo pointers so a pooled job keeps no
// removed instance alive.
func (j *job) reset() {
	clear(j.beats)
	clear(j.results)
	j.beats = j.beats[:0]
	j.expired = j.expired[:0]
}

// getJob returns an empty job from the pool, waiting for one if every
// job is in use, which happens only when a scheduler calls the Handler
// concurrently: the pool (Reactor.free) holds 2*Senders+2 jobs, enough
// for a full queue, every sender and one Handler call. A job is allocated
// when first taken. Once the Reactor closes it does not wait: nothing
// will be sent.
func (r *Reactor) getJob() *job {
	var j *job
	select {
	case j = <-r.free:
	case <-r.ctx.Done():
	}
	if j == nil {
		j = newJob(r.cfg.BatchSize)
	}
	return j
}

// putJob empties j and returns it to the pool; one made while closing is
// dropped.
func (r *Reactor) putJob(j *job) {
	j.reset()
	select {
	case r.free <- j:
	default:
	}
}

// idle reports whether every job is back in the pool: nothing queued,
// being sent or being filled. Tests wait for it.
func (r *Reactor) idle() bool { return len(r.free) == cap(r.free) }
