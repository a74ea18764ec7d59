package reactor

import (
	"context"
	"errors"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// chunk is how many expired entries the Handler takes at a time: it loads
// their slots ahead and re-arms them under one scheduler lock.
const chunk = 64

// expired is the scheduler's Handler. For each due beat it re-arms the
// entry at the next point of the instance's schedule after now (its due
// time plus a whole number of periods: a stall moves no phase and sends no
// catch-up beat) and packs the beat into a job for the senders, unless a
// stall made it too late (Config.SkipLate) and the instance's last beat
// was not skipped too. It reads only the entry's slot, never the BeatInfo but for
// a beat too late, and allocates nothing. A full queue blocks it, which
// delays later beats (back-pressure) but loses none.
func (r *Reactor) expired(batch []wheel.Expired) {
	now := r.sched.Now()
	// A stall: the Handler is handed a beat later than any beat may be
	// without a skip, and was not called for as long. Back-pressure (a dispatch that waited for the
	// senders) happens inside a call, so it makes no gap between calls,
	// and the beats it delays are sent late, never skipped. The beats a
	// stall delayed were due before it ended, and may come over several
	// calls as the scheduler catches up.
	if len(batch) > 0 && now-batch[0].Due > r.skipFloor && now-time.Duration(r.lastCall.Load()) > r.skipFloor {
		r.stallEnd.Store(int64(now)) // late, and not for waiting on the senders
	}
	stallEnd := time.Duration(r.stallEnd.Load())
	defer func() { r.lastCall.Store(int64(r.sched.Now())) }()
	j := r.getJob()
	// Each beat's lateness, added to the Stats' histogram once per call:
	// an atomic add per beat cost more than the rest of the counting.
	lateness := r.stats.lateness.Batch(0)
	defer lateness.Flush()
	var (
		owners  [chunk]*BeatInfo
		due     [chunk]time.Duration
		behind  [chunk]time.Duration
		skipped uint64
	)
	for len(batch) > 0 {
		c := batch[:min(len(batch), chunk)]
		batch = batch[len(c):]
		// Load the chunk's slots first: the loads are independent, so
		// the CPU overlaps their cache misses instead of paying them
		// one after another.
		for i, e := range c {
			owners[i] = r.slots.load(e.Timer.Index())
		}
		// The chunk becomes its own re-arm, in place: each entry's next
		// due time, its period kept in Data.
		for i := range c {
			e := &c[i]
			due[i] = e.Due
			if owners[i] == nil {
				// Add has not set the slot yet, or Remove cleared it and
				// is about to cancel the entry: look again later. The
				// re-arm fails (and the entry is gone) if Cancel came
				// first; otherwise the coming Cancel stops it.
				e.Due = now + unsetRetry
				continue
			}
			e.Due, behind[i] = nextPhase(e.Due, dataPeriod(e.Data), now)
		}
		// Re-arm before beating, the whole chunk under one lock: the
		// re-arm of an entry that was cancelled, whose slot may already
		// serve another entry, fails (its Timer comes back 0), and so
		// does any re-arm once the Reactor is closing.
		r.sched.Rearm(c)
		for i, e := range c {
			b := owners[i]
			if b == nil || e.Timer == 0 {
				continue
			}
			e.Due = due[i]
			late := now - e.Due
			lateness.Record(late)
			if e.Due < stallEnd && r.tooLate(behind[i], dataPeriod(e.Data)) && r.mark(b, flagSkipped) {
				skipped++
				continue
			}
			j.add(b, e, late)
			if j.full() {
				r.dispatch(j)
				j = r.getJob()
			}
		}
	}
	if skipped > 0 {
		r.stats.skipped.Add(skipped)
	}
	if len(j.beats) > 0 {
		r.dispatch(j)
	} else {
		r.putJob(j)
	}
}

// nextPhase returns when a beat due at due, with period p, is due next
// after now on its own schedule (due plus a whole number of periods, the
// first after now), and how far behind its latest point (at or before
// now) the schedule is. On time, that is due+p and now-due; after a stall
// of any length the phase stays where it was. A division only after a
// stall of a period or more.
func nextPhase(due, p, now time.Duration) (next, behind time.Duration) {
	behind = now - due // negative if a scheduler fires early: next is due+p
	if behind >= p {
		behind %= p
	}
	return now - behind + p, behind
}

// tooLate reports whether a beat behind its schedule point by behind, with
// period p, is too late to send (Config.SkipLate).
func (r *Reactor) tooLate(behind, p time.Duration) bool {
	return behind > r.skipFloor && float64(behind) > r.cfg.SkipLate*float64(p)
}

// No beat is skipped for being late by less than skipFloorMin, nor by
// less than skipFloorTicks scheduler ticks (an entry fires up to a tick
// after its due time), whatever Config.SkipLate says: the jitter of a busy
// machine is not a stall, and a short period's fraction would take it for
// one.
const (
	skipFloorMin   = 100 * time.Millisecond
	skipFloorTicks = 2
)

// ticker is implemented by a scheduler that reports its resolution, such
// as *wheel.Wheel.
type ticker interface{ Tick() time.Duration }

// tickOf returns s's tick, 0 if it reports none.
func tickOf(s wheel.Scheduler) time.Duration {
	if t, ok := s.(ticker); ok {
		return t.Tick()
	}
	return 0
}

// dispatch queues j for a sender, or drops it when the Reactor closes.
// It only runs inside the Handler, which Close waits for before it waits
// for the senders.
func (r *Reactor) dispatch(j *job) {
	select {
	case r.jobs <- j:
	case <-r.ctx.Done():
		r.putJob(j)
	}
}

// sender is a sender goroutine: it sends jobs until Close.
func (r *Reactor) sender() {
	defer r.senders.Done()
	for j := range r.jobs {
		if r.ctx.Err() == nil {
			r.process(j)
		}
		r.putJob(j)
	}
}

// process sends one job and handles its answers, as the Nacos client's
// BeatTask does but for the light-beat state, which is per instance. Beats
// stopped since they were queued are not sent (prepare).
func (r *Reactor) process(j *job) {
	light := r.light.Load()
	r.prepare(j, light && !r.allFull())
	if len(j.beats) == 0 {
		return
	}
	r.send(j)
	r.answer(j, light)
}

// send hands j's beats to the Transport, which fills j.results.
func (r *Reactor) send(j *job) {
	n := int64(len(j.beats))
	r.stats.inFlight.Add(n)
	start := time.Now()
	r.cfg.Transport.SendBeats(r.ctx, j.beats, j.results[:n])
	r.stats.sendLatency.Record(uint64(j.expired[0].Timer), time.Since(start))
	r.stats.inFlight.Add(-n)
}

// answer handles the answers to j's beats, sent with the light-beat
// permission light: it counts them, adopts the server's interval, moves
// each instance's state (Config.Observer hears of each move), queues a
// re-registration on 20404, and follows the server's light-beat
// permission, which comes with accepted beats only (a 20404 answer
// carries none). Every beat was re-armed for its next period already.
func (r *Reactor) answer(j *job, light bool) {
	var (
		at             time.Time // when the answers came, read at the first transition
		t              tally
		okSeen, permit bool
		broke          time.Duration // the longest period of a beat whose connection broke
		forgotten      time.Duration // the longest period of a beat answered 20404
		failedAt       = -1          // the first beat that got no answer, logged for the job
	)
	for i, beat := range j.beats {
		b, res, f := beat.Info, &j.results[i], j.flags[i]
		if beat.Light {
			t.light++
		}
		if res.Err != nil {
			kind := KindTransport
			if isTimeout(res.Err) {
				kind = KindTimeout
				t.timeout++
			} else {
				t.transport++
				broke = max(broke, dataPeriod(j.expired[i].Data))
			}
			if failedAt < 0 {
				failedAt = i
			}
			r.enter(b, f, flagFailing, StateFailing, kind, res.Err, &at)
			continue
		}
		if res.ClientBeatInterval > 0 {
			r.adopt(b, j.expired[i:i+1], res.ClientBeatInterval)
		}
		switch res.Code {
		case CodeOK:
			t.ok++
			okSeen, permit = true, res.LightBeatEnabled
			if f&(flagFailing|flagNotFound) != 0 && r.unmark(b, flagFailing|flagNotFound)&(flagFailing|flagNotFound) != 0 {
				r.observe(b, StateRecovered, answeredAt(&at), KindNone, nil)
			}
		case CodeNotFound:
			t.notFound++
			forgotten = max(forgotten, dataPeriod(j.expired[i].Data))
			r.enter(b, f, flagNotFound, StateNotFound, KindNotFound, nil, &at)
			r.rereg.enqueue(b)
		default:
			t.badCode++
			r.enter(b, f, flagFailing, StateFailing, KindCode, nil, &at)
		}
	}
	r.stats.add(uint64(len(j.beats)), &t)
	if failedAt >= 0 && r.logLimit.Allow() {
		b := j.beats[failedAt].Info
		r.cfg.Logger.Warn("reactor: beat failed; beating again next period",
			"service", b.ServiceName, "ip", b.IP, "port", b.Port, "err", j.results[failedAt].Err,
			"failed in batch", t.timeout+t.transport, "batch", len(j.beats))
	}
	if okSeen && permit != light {
		r.light.Store(permit)
		r.cfg.Logger.Info("reactor: light beats", "enabled", permit)
	}
	switch {
	case broke > 0:
		r.fullFor(broke)
	case forgotten > 0 && r.fullLately(forgotten):
		// A server that broke the connections lately answers 20404:
		// it restarted empty, and has not learned every instance from
		// the full beats yet (it registers them more slowly than they
		// are due). The beats meanwhile stay full, so that an instance
		// whose beat comes after the first period is registered by it
		// instead of waiting a period behind a 20404.
		r.fullFor(forgotten)
	case forgotMany(t.notFound, len(j.beats)):
		// The server forgot many instances at once without breaking a
		// connection: it restarted behind a proxy that kept the client's
		// connections, or a cluster node lost its share of the
		// instances. As after a broken connection, every beat of the
		// next period is full, so every instance is registered again by
		// its next beat instead of a period after its own 20404.
		r.fullFor(forgotten)
	}
}

// minForgotten is the fewest 20404s in one job that forgotMany takes for
// a server that forgot many instances at once.
const minForgotten = 8

// forgotMany reports whether notFound 20404s among a job's beats say the
// server forgot many instances at once: minForgotten or more, and a
// quarter of the job or more. An instance removed by hand is one 20404
// among the hundreds of beats a job carries at scale; a restart answers
// every light beat 20404.
func forgotMany(notFound uint64, beats int) bool {
	return notFound >= minForgotten && 4*notFound >= uint64(beats)
}

// fullFor makes every instance's beats full for the next p, a period:
// a connection to the server broke, and a server that broke it by
// restarting has forgotten every instance. A full beat registers the
// instance it describes (Nacos 1.4 and later), so the restarted server
// knows every instance one period after it starts, where a light beat
// would be answered 20404 and its instance registered only by its next,
// full, beat a period later. A timeout is no such sign: the server is
// slow, and full beats would only add to its load. An instance's own
// light-beat state is untouched: only the beats sent meanwhile are full.
func (r *Reactor) fullFor(p time.Duration) {
	until := int64(r.sched.Now() + p)
	for {
		cur := r.fullUntil.Load()
		if cur >= until || r.fullUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// fullLately reports whether beats were all full (see fullFor) within the
// last p.
func (r *Reactor) fullLately(p time.Duration) bool {
	until := r.fullUntil.Load()
	return until != 0 && int64(r.sched.Now()) < until+int64(p)
}

// allFull reports whether every beat is to be full now (see fullFor).
func (r *Reactor) allFull() bool {
	until := r.fullUntil.Load()
	return until != 0 && int64(r.sched.Now()) < until
}

// enter sets flag on b, whose flags were f before its beat, and reports
// state to the Observer if b was not in it already. Beats cut short by
// Close are no news.
func (r *Reactor) enter(b *BeatInfo, f, flag uint32, s State, kind FailureKind, err error, at *time.Time) {
	if f&flag == 0 && r.mark(b, flag) && r.ctx.Err() == nil {
		r.observe(b, s, answeredAt(at), kind, err)
	}
}

// answeredAt returns *at, reading the clock into it the first time.
func answeredAt(at *time.Time) time.Time {
	if at.IsZero() {
		*at = time.Now()
	}
	return *at
}

// adopt makes the server's clientBeatInterval, within [MinInterval,
// MaxPeriod], b's period, and re-arms the beat that expired, re-armed with
// the old one: next due is the first point after now of the schedule
// Due + k×interval, as in expired. e is the job's own entry for b, one
// long, re-armed in place (a new slice for Rearm would be allocated). The
// new period travels in the entry's data, so this costs nothing once
// adopted.
func (r *Reactor) adopt(b *BeatInfo, e []wheel.Expired, interval time.Duration) {
	interval = min(max(interval, r.cfg.MinInterval), MaxPeriod).Truncate(time.Microsecond)
	if interval == dataPeriod(e[0].Data) || b.Stopped() {
		return
	}
	e[0].Due, _ = nextPhase(e[0].Due, interval, r.sched.Now())
	e[0].Data = periodData(interval)
	// A stale Timer (removed meanwhile) or a closing Reactor ends it.
	r.sched.Rearm(e)
}

// timeoutError is what a Transport's error says it is when it is a
// timeout: net.Error has the method, and so may a Transport's own errors.
type timeoutError interface{ Timeout() bool }

// isTimeout reports whether err, or an error it wraps, is a timeout: a
// deadline that passed, or an error whose Timeout method says so.
func isTimeout(err error) bool {
	var te timeoutError
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}
