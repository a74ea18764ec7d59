package bench

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
)

// startReactor keeps beats alive through the whole engine: a
// reactor.Reactor on its default scheduler (our wheel at
// reactor.DefaultTick) with beatload's
// no-op Transport, instances spread over 1,000 services with nil metadata.
// Its B/instance is all-in: BeatInfo, IP string, map entry, slot and
// wheel entry; its add-ms includes building the BeatInfos.
func startReactor(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.StartReactor(nil, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	return l.Stop, nil
}

// startReactorReplaced is startReactor after every instance has been
// removed and replaced by a new one (instance n+k for instance k, another
// key): a reactor that has lived through churn. The wheel places an entry
// when it is added, so this row shows whether a population that was
// replaced costs what a fresh one costs.
func startReactorReplaced(n int, period time.Duration, m *measure.Meter) (func(), error) {
	l, err := beatload.StartReactor(nil, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, err
	}
	r := l.Reactor()
	services := beatload.Services(beatload.DefaultServices)
	for k := range n {
		if err := replace(r, services, period, k, n+k); err != nil {
			l.Stop()
			return nil, err
		}
	}
	return l.Stop, nil
}

// Steady churn, as the reactor-churn row runs it: a tenth of the instances
// replaced every minute.
const (
	// churnShare is the share of the instances replaced per churnEvery.
	churnShare = 10 // a tenth
	churnEvery = time.Minute
	// churnHistory is how many churnEvery of churn the row goes through,
	// compressed, before it is measured.
	churnHistory = 10
	// churnStep is how often the row replaces its share while measured:
	// rarely enough that the replacing goroutine's wake-ups (tens of
	// microseconds each on a small VM) cost little beside the
	// replacements.
	churnStep = 100 * time.Millisecond
)

// churnWay is the reactor-churn row: startReactor under steady churn, a
// tenth of the instances, picked at random, replaced by new ones (new
// keys) every minute. Time is compressed before the measurement only: the
// row first runs ten minutes of that churn back to back (ten rounds of
// n/10 replacements, about two thirds of the first instances replaced,
// some more than once), which leaves the wheel's memory as ten real
// minutes would (a new instance's phase is uniform over the period
// whenever it is added), and then keeps replacing at the real rate, n/600
// a second in steps of 100 ms, through the warm-up and the window.
//
// Its ns/beat is what its beats cost: the process CPU of the window less
// that of the goroutine that replaces instances, per beat, so that it
// compares with the fresh and replaced rows' ns/beat, where no instance
// is added or removed in the window. The replacing goroutine's CPU (its
// own thread's, measure.ThreadCPU: building the new BeatInfos,
// Remove and Add; not the GC work its garbage causes, which
// stays in ns/beat) per replacement, times replacements per beat, is
// churn-ns/beat; all-ns/beat is the two together, as a process under
// churn pays it. Counting the replacements in ns/beat, as this row did
// first, charged each beat about 8 µs per replacement / 120 beats per
// replacement at this churn rate: 60 to 70 ns per beat on the 2-core
// machine, all of the gap to the fresh row (profiled: the beats' own
// path costs the same), none of it placement. B/instance includes 4
// bytes for the list of live instances it picks from.
func churnWay() way {
	var last *churner // the row's churner, once stopped
	return way{
		name: "reactor-churn",
		start: func(n int, period time.Duration, m *measure.Meter) (func(), error) {
			c, stop, err := startReactorChurn(n, period, m)
			last = c
			return stop, err
		},
		extra: func(b *testing.B, r result) {
			if last == nil {
				return
			}
			all := r.steady.CPUPerBeat()
			churn := churnPerBeat(last.cpu, last.done, last.perSecond, r.steady.BeatsPerSecond())
			b.ReportMetric(churn, "churn-ns/beat")
			b.ReportMetric(all, "all-ns/beat")
			b.ReportMetric(all-churn, "ns/beat") // replaces report's figure
		},
	}
}

// churnPerBeat returns the replacing goroutine's CPU per beat, in
// nanoseconds: cpu over done replacements, times perSecond replacements
// a second, over beatsPerSecond beats a second. 0 if done or
// beatsPerSecond is not positive.
func churnPerBeat(cpu time.Duration, done int, perSecond, beatsPerSecond float64) float64 {
	if done <= 0 || beatsPerSecond <= 0 {
		return 0
	}
	return float64(cpu.Nanoseconds()) / float64(done) * perSecond / beatsPerSecond
}

// startReactorChurn starts the reactor-churn row (see churnWay) and
// returns its churner, which holds its figures once stop has returned.
func startReactorChurn(n int, period time.Duration, m *measure.Meter) (*churner, func(), error) {
	l, err := beatload.StartReactor(nil, beatload.Config{Instances: n, Period: period, Meter: m})
	if err != nil {
		return nil, nil, err
	}
	c := &churner{
		r:         l.Reactor(),
		services:  beatload.Services(beatload.DefaultServices),
		period:    period,
		live:      make([]uint32, n),
		next:      n,
		rng:       rand.New(rand.NewPCG(uint64(n), 11)),
		perSecond: float64(n) / churnShare / churnEvery.Seconds(),
	}
	for k := range c.live {
		c.live[k] = uint32(k)
	}
	for range churnHistory {
		if err := c.replace(n / churnShare); err != nil {
			l.Stop()
			return nil, nil, err
		}
	}
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- c.run(stop) }()
	var once sync.Once
	return c, func() {
		once.Do(func() {
			close(stop)
			<-done // replace cannot fail on a live Reactor with fresh keys
			l.Stop()
		})
	}, nil
}

// churner replaces random instances of a Reactor with new ones.
type churner struct {
	r        *reactor.Reactor
	services []string
	period   time.Duration
	live     []uint32 // the beatload instance numbers beating
	next     int      // the number of the next new instance
	rng      *rand.Rand
	// perSecond is how many instances run replaces a second.
	perSecond float64
	// done and cpu are the replacements run made and its thread's CPU
	// time meanwhile; read them once run has returned.
	done int
	cpu  time.Duration
}

// replace replaces k instances picked at random among those beating.
func (c *churner) replace(k int) error {
	for range k {
		at := c.rng.IntN(len(c.live))
		if err := replace(c.r, c.services, c.period, int(c.live[at]), c.next); err != nil {
			return err
		}
		c.live[at] = uint32(c.next)
		c.next++
	}
	return nil
}

// run replaces perSecond instances a second, every churnStep, until stop
// is closed, on a thread of its own so that its CPU time can be told
// apart.
func (c *churner) run(stop <-chan struct{}) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t := time.NewTicker(churnStep)
	defer t.Stop()
	start := time.Now()
	cpu0, _ := measure.ThreadCPU()
	for {
		select {
		case <-stop:
			cpu, _ := measure.ThreadCPU()
			c.cpu = cpu - cpu0
			return nil
		case <-t.C:
		}
		due := int(time.Since(start).Seconds() * c.perSecond)
		if err := c.replace(due - c.done); err != nil {
			return err
		}
		c.done = due
	}
}

// replace removes beatload instance old from r and adds instance new.
func replace(r *reactor.Reactor, services []string, period time.Duration, old, new int) error {
	b := beatload.Instance(old, services, period)
	if !r.Remove(b.ServiceName, b.IP, b.Port) {
		return fmt.Errorf("instance %d was not beating", old)
	}
	if err := r.Add(beatload.Instance(new, services, period)); err != nil {
		return fmt.Errorf("replacing instance %d: %w", old, err)
	}
	return nil
}

func TestChurnPerBeat(t *testing.T) {
	tests := []struct {
		name           string
		cpu            time.Duration
		done           int
		perSecond, bps float64
		want           float64
	}{
		// 1M instances every 5 s, a tenth replaced a minute: 8 µs per
		// replacement is 8000 ns / 120 beats per replacement.
		{"the 1M row", 8 * time.Millisecond, 1000, 1e6 / 600, 200_000, 8000.0 / 120},
		{"twice the replacement rate", 8 * time.Millisecond, 1000, 2e6 / 600, 200_000, 2 * 8000.0 / 120},
		{"no replacement made", time.Millisecond, 0, 1e6 / 600, 200_000, 0},
		{"no beat", time.Millisecond, 10, 1e6 / 600, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, churnPerBeat(tt.cpu, tt.done, tt.perSecond, tt.bps), 1e-9)
		})
	}
}
