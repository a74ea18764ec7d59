package reactor

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// reregisterWorkers is how many registrations may be in flight at once.
const reregisterWorkers = 4

// reregisterer registers again the instances the server forgot (it answered
// 20404), at a rate that follows the server (see aimd): it starts at
// Config.ReregisterRate, rises while registrations succeed quickly and
// falls when they fail or slow down. A 20404 for an instance already
// queued adds nothing: it is registered once.
type reregisterer struct {
	r       *Reactor
	limiter *rate.Limiter
	ctl     *aimd
	mu      sync.Mutex
	queue   []*BeatInfo // guarded by mu
	signal  chan struct{}
	done    sync.WaitGroup
}

func newReregisterer(r *Reactor) *reregisterer {
	c := &r.cfg
	q := &reregisterer{
		r:       r,
		limiter: rate.NewLimiter(rate.Limit(c.ReregisterRate), c.ReregisterBurst),
		ctl:     newAIMD(c.ReregisterRate, c.ReregisterMinRate, c.ReregisterMaxRate, c.ReregisterSlow),
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
		if !needsRegistration(b) {
			b.clearFlag(flagRereg)
			q.r.stats.reregUnneeded.Add(1)
			continue
		}
		limited, err := q.wait(ctx)
		if err != nil {
			return // closing
		}
		b.clearFlag(flagRereg)
		if !needsRegistration(b) {
			q.r.stats.reregUnneeded.Add(1)
			continue
		}
		q.register(ctx, b, limited)
	}
}

// wait waits for the rate to allow one registration and reports whether it
// had to wait: the rate, not the queue, was what held registrations back.
func (q *reregisterer) wait(ctx context.Context) (limited bool, err error) {
	res := q.limiter.Reserve()
	d := res.Delay()
	if d <= 0 {
		return false, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		res.Cancel()
		return true, ctx.Err()
	}
}

// register registers b and feeds the outcome to the rate.
func (q *reregisterer) register(ctx context.Context, b *BeatInfo, limited bool) {
	round := q.ctl.begin()
	start := time.Now()
	err := q.r.cfg.Transport.Register(ctx, b)
	latency := time.Since(start)
	// Closing cancels ctx: then the outcome says nothing of the server.
	if ctx.Err() == nil {
		if perSecond, changed := q.ctl.done(round, latency, err, limited); changed {
			q.limiter.SetLimit(rate.Limit(perSecond))
		}
	}
	if err != nil {
		q.r.stats.reregFailed.Add(1)
		if q.r.logLimit.Allow() {
			q.r.cfg.Logger.Warn("reactor: re-registration failed; the next 20404 retries it",
				"service", b.ServiceName, "ip", b.IP, "port", b.Port, "err", err,
				"rate", q.ctl.current())
		}
		return
	}
	q.r.stats.reregistered.Add(1)
	q.r.observe(b, StateReregistered, time.Now(), KindNone, nil)
}

// needsRegistration reports whether b, queued after a 20404, still needs
// registering: it is still beating, and no beat of its has been accepted
// since (its full beat registers it on Nacos 1.4, so after a restart most
// instances are known again before their turn here comes).
func needsRegistration(b *BeatInfo) bool {
	return b.flags.Load()&(flagStopped|flagNotFound) == flagNotFound
}

// waitWorkers returns once every worker has exited; the Reactor's context must be
// cancelled first.
func (q *reregisterer) waitWorkers() { q.done.Wait() }
