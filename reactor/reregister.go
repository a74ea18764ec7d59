package reactor

import (
	"sync"

	"golang.org/x/time/rate"
)

// reregisterWorkers is how many registrations may be in flight at once.
const reregisterWorkers = 4

// reregisterer registers again the instances the server forgot (it answered
// 20404), no faster than Config.ReregisterRate. A 20404 for an instance
// already queued adds nothing: it is registered once.
type reregisterer struct {
	r       *Reactor
	limiter *rate.Limiter
	mu      sync.Mutex
	queue   []*BeatInfo // guarded by mu
	signal  chan struct{}
	done    sync.WaitGroup
}

func newReregisterer(r *Reactor) *reregisterer {
	q := &reregisterer{
		r:       r,
		limiter: rate.NewLimiter(rate.Limit(r.cfg.ReregisterRate), r.cfg.ReregisterBurst),
		signal:  make(chan struct{}, 1),
	}
	q.done.Add(reregisterWorkers)
	for range reregisterWorkers {
		go q.work()
	}
	return q
}

// enqueue queues b for registration unless it is queued already.
func (q *reregisterer) enqueue(b *BeatInfo) {
	if b.setFlag(flagRereg) {
		q.r.stats.reregCoalesced.Add(1)
		return
	}
	q.mu.Lock()
	q.queue = append(q.queue, b)
	q.mu.Unlock()
	q.wake()
}

func (q *reregisterer) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// pop takes the oldest queued instance, or nil.
func (q *reregisterer) pop() *BeatInfo {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.queue) == 0 {
		return nil
	}
	b := q.queue[0]
	q.queue[0] = nil
	q.queue = q.queue[1:]
	if len(q.queue) > 0 {
		q.wake() // let another worker take the next one
	}
	return b
}

func (q *reregisterer) work() {
	defer q.done.Done()
	ctx := q.r.ctx
	for {
		b := q.pop()
		if b == nil {
			select {
			case <-q.signal:
				continue
			case <-ctx.Done():
				return
			}
		}
		if err := q.limiter.Wait(ctx); err != nil {
			return // closing
		}
		b.clearFlag(flagRereg)
		if b.Stopped() {
			continue
		}
		if err := q.r.cfg.Transport.Register(ctx, b); err != nil {
			q.r.stats.reregFailed.Add(1)
			if q.r.logLimit.Allow() {
				q.r.cfg.Logger.Warn("reactor: re-registration failed; the next 20404 retries it",
					"service", b.ServiceName, "ip", b.IP, "port", b.Port, "err", err)
			}
			continue
		}
		q.r.stats.reregistered.Add(1)
	}
}

// wait returns once every worker has exited; the Reactor's context must be
// cancelled first.
func (q *reregisterer) wait() { q.done.Wait() }
