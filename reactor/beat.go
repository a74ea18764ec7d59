package reactor

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// expired is the scheduler's Handler. For each due beat it re-arms the
// entry one period after it was due (or now, if that is past: no catch-up
// burst) and packs the beat into a job for the senders. It reads only the
// entry's slot, never the BeatInfo, and allocates nothing. A full queue
// blocks it, which delays later beats (back-pressure) but loses none.
func (r *Reactor) expired(batch []wheel.Expired) {
	now := r.sched.Now()
	j := r.getJob()
	a := r.getRearm()
	timers, ats, errs := &a.timers, &a.ats, &a.errs
	var owners [chunk]*BeatInfo
	for len(batch) > 0 {
		c := batch[:min(len(batch), chunk)]
		batch = batch[len(c):]
		// Load the chunk's slots first: the loads are independent, so
		// the CPU overlaps their cache misses instead of paying them
		// one after another.
		for i, e := range c {
			owners[i] = r.slots.load(e.Timer.Index())
		}
		for i, e := range c {
			timers[i] = e.Timer
			if owners[i] == nil {
				// Add has not set the slot yet, or Remove cleared it and
				// is about to cancel the entry: look again later. The
				// re-arm fails (and the entry is gone) if Cancel came
				// first; otherwise the coming Cancel stops it.
				ats[i] = now + unsetRetry
				continue
			}
			ats[i] = max(e.Due+dataPeriod(e.Data), now)
		}
		// Re-arm before beating, the whole chunk under one lock: the
		// re-arm of an entry that was cancelled, whose slot may already
		// serve another entry, fails (ErrStale), and so does any re-arm
		// once the Reactor is closing (ErrStopped).
		r.sched.ResetAll(timers[:len(c)], ats[:len(c)], errs[:len(c)])
		for i, e := range c {
			b := owners[i]
			if b == nil || errs[i] != nil {
				continue
			}
			late := now - e.Due
			r.stats.lateness.Record(uint64(e.Timer.Index()), late)
			j.add(b, e, late)
			if j.full() {
				r.dispatch(j)
				j = r.getJob()
			}
		}
	}
	r.putRearm(a)
	if len(j.beats) > 0 {
		r.dispatch(j)
	} else {
		r.putJob(j)
	}
}

// dispatch queues j for a sender, or drops it when the Reactor closes. If
// no sender is waiting for it, it starts one, up to Config.Senders: the
// pool grows to what the Transport's speed needs, and a blocking Transport
// gets its concurrency while a fast one keeps a few warm goroutines.
// dispatch only runs inside the Handler, which Close waits for before it
// waits for the senders.
func (r *Reactor) dispatch(j *job) {
	if r.slack.Add(-1) < 0 {
		if n := r.started.Add(1); n <= int64(r.cfg.Senders) {
			r.senders.Add(1)
			go r.send()
		} else {
			r.started.Add(-1)
		}
	}
	select {
	case r.jobs <- j:
	case <-r.ctx.Done():
		r.putJob(j)
	}
}

// send is a sender goroutine: it sends jobs until Close.
func (r *Reactor) send() {
	defer r.senders.Done()
	for {
		r.slack.Add(1)
		j, ok := <-r.jobs
		if !ok {
			return
		}
		if r.ctx.Err() == nil {
			r.process(j)
		}
		r.putJob(j)
	}
}

// tally counts one job's outcomes, to be added to the shared counters once.
type tally struct {
	sent, ok, light, notFound, badCode, timeout, transport uint64
}

// process sends one job and handles every answer as the Nacos client's
// BeatTask does: adopt the server's interval, follow its light-beat switch,
// re-register on 20404, and otherwise beat again next period (expired has
// re-armed each beat already; a new interval re-arms it once more).
func (r *Reactor) process(j *job) {
	light := r.light.Load()
	for i := range j.beats {
		j.beats[i].Light = light
	}
	n := int64(len(j.beats))
	r.stats.inFlight.Add(n)
	start := time.Now()
	r.cfg.Transport.SendBeats(r.ctx, j.beats, j.results[:n])
	r.stats.sendLatency.Record(uint64(j.expired[0].Timer), time.Since(start))
	r.stats.inFlight.Add(-n)

	t := tally{sent: uint64(n)}
	if light {
		t.light = uint64(n)
	}
	lightSeen, lightAnswer := false, false
	for i, beat := range j.beats {
		b, res := beat.Info, &j.results[i]
		if res.Err != nil {
			r.failed(b, res.Err, &t)
			continue
		}
		lightSeen, lightAnswer = true, res.LightBeatEnabled
		if res.ClientBeatInterval > 0 {
			r.adopt(b, j.expired[i], res.ClientBeatInterval)
		}
		switch res.Code {
		case CodeOK:
			t.ok++
		case CodeNotFound:
			t.notFound++
			r.rereg.enqueue(b)
		default:
			t.badCode++
		}
	}
	if lightSeen && lightAnswer != light {
		r.light.Store(lightAnswer)
		r.cfg.Logger.Info("reactor: light beats", "enabled", lightAnswer)
	}
	r.stats.add(&t)
}

// adopt makes the server's clientBeatInterval, within [MinInterval,
// MaxPeriod], b's period, and re-arms the beat that expired (e) re-armed
// with the old one: next due = max(this beat's due + interval, now). The
// new period travels in the entry's data, so this costs nothing once
// adopted.
func (r *Reactor) adopt(b *BeatInfo, e wheel.Expired, interval time.Duration) {
	interval = min(max(interval, r.cfg.MinInterval), MaxPeriod).Truncate(time.Microsecond)
	if interval == dataPeriod(e.Data) || b.Stopped() {
		return
	}
	// ErrStale: removed meanwhile; ErrStopped: closing. Both end it.
	_ = r.sched.ResetData(e.Timer, max(e.Due+interval, r.sched.Now()), periodData(interval))
}

// failed counts and logs a beat that got no answer.
func (r *Reactor) failed(b *BeatInfo, err error, t *tally) {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		t.timeout++
	} else {
		t.transport++
	}
	if r.logLimit.Allow() {
		r.cfg.Logger.Warn("reactor: beat failed; beating again next period",
			"service", b.ServiceName, "ip", b.IP, "port", b.Port, "err", err)
	}
}
