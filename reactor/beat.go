package reactor

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/beatwheel/beatwheel/wheel"
)

// expired is the scheduler's Handler: it packs due beats into jobs for the
// senders. A full queue blocks it, which delays later beats (back-pressure)
// but loses none.
func (r *Reactor) expired(batch []wheel.Expired) {
	now := r.sched.Now()
	j := r.jobPool.Get().(*job)
	for _, e := range batch {
		b := r.slots.get(uint32(e.Data))
		if b == nil || b.Stopped() {
			continue // removed since it was armed
		}
		if t := b.timer.Load(); t != adding && wheel.Timer(t) != e.Timer {
			continue // the slot now belongs to another instance
		}
		late := now - e.Due
		r.stats.lateness.Record(uint64(e.Data), late)
		j.add(b, e, late)
		if j.full() {
			r.dispatch(j)
			j = r.jobPool.Get().(*job)
		}
	}
	if len(j.beats) > 0 {
		r.dispatch(j)
	} else {
		r.jobPool.Put(j)
	}
}

func (r *Reactor) dispatch(j *job) {
	select {
	case r.jobs <- j:
	case <-r.ctx.Done():
		j.reset()
		r.jobPool.Put(j)
	}
}

// send is a sender goroutine: it sends jobs until Close.
func (r *Reactor) send() {
	defer r.senders.Done()
	for j := range r.jobs {
		if r.ctx.Err() == nil {
			r.process(j)
		}
		j.reset()
		r.jobPool.Put(j)
	}
}

// tally counts one job's outcomes, to be added to the shared counters once.
type tally struct {
	sent, ok, light, notFound, badCode, timeout, transport uint64
}

// process sends one job and handles every answer as the Nacos client's
// BeatTask does: adopt the server's interval, follow its light-beat switch,
// re-register on 20404, and beat again one period after the beat was due
// (or now, if that is already past: no catch-up burst).
func (r *Reactor) process(j *job) {
	light := r.light.Load()
	for i := range j.beats {
		j.beats[i].Light = light
	}
	n := int64(len(j.beats))
	r.stats.inFlight.Add(n)
	start := time.Now()
	r.cfg.Transport.SendBeats(r.ctx, j.beats, j.results[:n])
	r.stats.sendLatency.Record(uint64(j.due[0].timer), time.Since(start))
	r.stats.inFlight.Add(-n)

	now := r.sched.Now()
	t := tally{sent: uint64(n)}
	if light {
		t.light = uint64(n)
	}
	lightSeen, lightAnswer := false, false
	for i, beat := range j.beats {
		b, res := beat.Info, &j.results[i]
		if res.Err != nil {
			r.failed(b, res.Err, &t)
		} else {
			lightSeen, lightAnswer = true, res.LightBeatEnabled
			if res.ClientBeatInterval > 0 {
				b.interval.Store(int64(min(max(res.ClientBeatInterval, r.cfg.MinInterval), MaxPeriod)))
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
		if !b.Stopped() {
			// ErrStale: removed meanwhile. ErrStopped: closing. Both end it.
			_ = r.sched.Reset(j.due[i].timer, max(j.due[i].at+b.period(), now))
		}
	}
	if lightSeen && lightAnswer != light {
		r.light.Store(lightAnswer)
		r.cfg.Logger.Info("reactor: light beats", "enabled", lightAnswer)
	}
	r.stats.add(&t)
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
