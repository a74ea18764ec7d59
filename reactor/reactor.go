package reactor

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/beatwheel/beatwheel/wheel"
)

// ErrInUse is returned by Add for a BeatInfo that was already added: build a
// new one for each Add.
var ErrInUse = errors.New("reactor: BeatInfo already added")

// unsetRetry is how long expired waits before it looks again at an entry
// whose slot Add has not set yet.
const unsetRetry = time.Millisecond

// Reactor keeps instances alive by beating for each on its period, the way
// the Nacos client's BeatReactor does, on one scheduler and a bounded pool of
// sender goroutines. All methods are safe for concurrent use.
type Reactor struct {
	cfg   Config
	sched wheel.Scheduler
	beats *instances
	slots slots
	stats counters
	// light is the server's light-beat permission, from its last accepted
	// beat: process-wide, as in Nacos. Whether an instance may use it is
	// per instance (flagNotFound).
	light atomic.Bool
	// fullUntil is when, on the scheduler's clock, beats may be light
	// again after a connection to the server broke (see fullFor); 0 until
	// one does.
	fullUntil atomic.Int64
	// tick is the scheduler's tick, the shortest period it can keep; 0
	// if it reports none.
	tick time.Duration
	// skipFloor is the lateness below which no beat is skipped: 100 ms or
	// two scheduler ticks (see Config.SkipLate).
	skipFloor time.Duration
	// lastCall is when the Handler last returned, and stallEnd when it
	// was last called after a stall (scheduler time, ns): after a spell
	// longer than skipFloor without a call. Only beats due before
	// stallEnd, the stall's own, may be skipped (see expired).
	lastCall, stallEnd atomic.Int64
	// marked counts the markBits set on instances: while it is zero every
	// instance is healthy and the senders read no BeatInfo's flags.
	marked atomic.Int64
	rereg  *reregisterer
	// logLimit keeps a failing server from flooding the log: one line a
	// second for beats, one for registrations, at most.
	logLimit *rate.Limiter

	// jobs carries batches of beats from the Handler to the
	// Config.Senders sender goroutines New starts.
	jobs chan *job
	free chan *job // the job pool, so a steady stream of beats allocates none (see getJob)

	// life guards closed: Add holds it shared, Close exclusively, so no
	// Add is half done when Close starts tearing down.
	life    sync.RWMutex
	closed  bool
	ctx     context.Context // cancelled by Close: aborts sends in flight
	cancel  context.CancelFunc
	senders sync.WaitGroup
}

// New starts a Reactor: its scheduler, its Config.Senders sender
// goroutines and its re-registration worker. Close stops them all.
func New(cfg Config) (*Reactor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Reactor{
		cfg:  cfg,
		jobs: make(chan *job, cfg.Senders),
	}
	r.beats = newInstances(cfg.SizeHint, &r.slots)
	// Jobs in use: up to Senders in the queue, Senders being sent, and one
	// being filled per Handler call (one at a time on a *wheel.Wheel). The
	// pool starts as that many empty places, filled as jobs are first made.
	r.free = make(chan *job, 2*cfg.Senders+2)
	for range cap(r.free) {
		r.free <- nil
	}
	r.logLimit = rate.NewLimiter(1, 2)
	r.stats.init()
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.rereg = newReregisterer(r)
	r.sched, err = cfg.Scheduler(r.expired)
	if err == nil && r.sched == nil {
		err = errors.New("the Scheduler func returned a nil scheduler")
	}
	if err != nil {
		r.cancel()
		r.rereg.waitWorkers()
		return nil, fmt.Errorf("%w: scheduler: %w", ErrConfig, err)
	}
	r.tick = tickOf(r.sched)
	r.cfg.MinInterval = max(r.cfg.MinInterval, r.tick)
	r.skipFloor = max(skipFloorMin, skipFloorTicks*r.tick)
	r.senders.Add(cfg.Senders)
	for range cfg.Senders {
		go r.sender()
	}
	return r, nil
}

// Add starts beating for b. An instance with the same key (service, IP and
// port) is stopped first, as the Nacos client does since fix #1733. The
// first beat comes at a point in b's first period fixed by its key, so a
// burst of Adds does not become a burst of beats. O(1); lock-free on the map.
//
// Add does not register b with the registry: its first full beat does on
// Nacos 1.4 and later, which register the instance a full beat describes,
// but an older server answers 20404 until the Reactor re-registers it. To
// register first and beat after, as NamingService.registerInstance does,
// call Register.
//
// Add takes b over: do not use it from another goroutine while Add runs,
// nor change it afterwards.
func (r *Reactor) Add(b *BeatInfo) error {
	if err := r.validate(b); err != nil {
		return err
	}
	r.life.RLock()
	defer r.life.RUnlock()
	if r.closed {
		return ErrClosed
	}
	if b.setFlag(flagAdded) {
		return ErrInUse
	}
	var buf keyBuf
	key := appendKey(buf[:0], b.ServiceName, b.IP, b.Port)
	// The entry may fire before its slot is set: expired then tries again
	// a tick later.
	t, err := r.sched.Add(r.sched.Now()+jitter(key, b.Period), periodData(b.Period))
	if err != nil {
		b.clearFlag(flagAdded) // not added: b may be added again
		return fmt.Errorf("reactor: scheduling %s: %w", key, err)
	}
	b.timerIdx, b.timerGen = t.Index(), t.Generation()
	r.slots.set(t.Index(), b)
	if old := r.beats.store(b, key); old != nil {
		r.stop(old)
	}
	return nil
}

// validate is b.Validate, then the Reactor's own rule: a period no
// shorter than the scheduler's tick. A nil Reactor is closed.
func (r *Reactor) validate(b *BeatInfo) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if r == nil {
		return ErrClosed
	}
	if b.Period < r.tick {
		return fmt.Errorf("%w: %v is shorter than the scheduler's tick %v", ErrPeriod, b.Period, r.tick)
	}
	return nil
}

// Remove stops beating for the instance and forgets it. It reports whether
// the instance was there. A beat in flight for it completes but is never
// followed by another. O(1); lock-free on the map.
//
// Remove does not deregister the instance: the registry keeps it until its
// beats stop counting (unhealthy after 15 s, removed after 30 s on Nacos).
// To stop beating and then deregister, call Deregister.
func (r *Reactor) Remove(service, ip string, port int) bool {
	if r == nil {
		return false
	}
	b, ok := r.beats.delete(service, ip, port)
	if ok {
		r.stop(b)
	}
	return ok
}

// Get returns the BeatInfo beating for the instance, if any.
func (r *Reactor) Get(service, ip string, port int) (*BeatInfo, bool) {
	if r == nil {
		return nil, false
	}
	return r.beats.load(service, ip, port)
}

// Len returns the number of instances beating.
func (r *Reactor) Len() int {
	if r == nil {
		return 0
	}
	return r.beats.size()
}

// stop ends b's beats: no beat of it is sent or re-armed after this, but for
// one already handed to a sender.
func (r *Reactor) stop(b *BeatInfo) {
	if b.setFlag(flagStopped) {
		return
	}
	r.slots.clear(b.timerIdx, b)
	r.sched.Cancel(b.timer())
	r.unmark(b, markBits)
}

// Close stops every beat, waits for the senders and the re-registration
// worker to finish, and, with Config.DeregisterOnClose, deregisters every
// instance within ctx. Beats in flight are cancelled. Close is idempotent;
// later Adds return ErrClosed.
func (r *Reactor) Close(ctx context.Context) error {
	if r == nil {
		return nil
	}
	r.life.Lock()
	if r.closed {
		r.life.Unlock()
		return nil
	}
	r.closed = true
	r.life.Unlock()

	r.cancel()     // sends in flight abort; a Handler waiting on the queue returns
	r.sched.Stop() // the Handler has returned and will not run again
	close(r.jobs)
	r.senders.Wait()
	r.rereg.waitWorkers()

	var all []*BeatInfo // to deregister
	if r.cfg.DeregisterOnClose {
		all = make([]*BeatInfo, 0, r.beats.size())
	}
	r.beats.drain(func(b *BeatInfo) {
		b.setFlag(flagStopped)
		if r.cfg.DeregisterOnClose {
			all = append(all, b)
		}
	})
	r.slots.release() // nothing reads a slot now
	if !r.cfg.DeregisterOnClose {
		return nil
	}
	return r.deregister(ctx, all)
}

// deregister deregisters all with up to Senders calls at once, until ctx
// is done.
func (r *Reactor) deregister(ctx context.Context, all []*BeatInfo) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
		first  error
		next   = make(chan *BeatInfo)
	)
	for range min(r.cfg.Senders, len(all)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				if err := r.cfg.Transport.Deregister(ctx, b); err != nil {
					mu.Lock()
					failed++
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	sent := 0
	for _, b := range all {
		select {
		case next <- b:
			sent++
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	if sent < len(all) {
		return fmt.Errorf("reactor: deregistered %d of %d instances: %w", sent-failed, len(all), ctx.Err())
	}
	if failed > 0 {
		return fmt.Errorf("reactor: %d of %d deregistrations failed, first: %w", failed, len(all), first)
	}
	return nil
}

// jitter returns the offset of a key's first beat in its first period: an
// FNV-1a hash of the key, so a million Adds spread evenly over the period
// and an instance always gets the same phase.
func jitter[K string | []byte](key K, period time.Duration) time.Duration {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	return time.Duration(h % uint64(period))
}
