package reactor

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// neverSkip is Config.SkipLate for tests that move the clock a period at a
// time, so that every beat is handed out late and still must be sent.
var neverSkip = math.Inf(1)

// harness runs a Reactor on a Manual wheel (1 ms tick unless
// newHarnessTick says otherwise) and a fake transport.
type harness struct {
	t *testing.T
	r *Reactor
	w *wheel.Wheel
	f *fakeTransport
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	return newHarnessTick(t, cfg, time.Millisecond)
}

// newHarnessTick is newHarness on a wheel of the given tick: a coarse one
// hands out many beats per tick, so a job carries many.
func newHarnessTick(t *testing.T, cfg Config, tick time.Duration) *harness {
	t.Helper()
	h := &harness{t: t, f: newFake()}
	cfg.Transport = h.f
	cfg.Scheduler = func(hd wheel.Handler) (wheel.Scheduler, error) {
		w, err := wheel.New(wheel.Config{Manual: true, Tick: tick}, hd)
		h.w = w
		return w, err
	}
	r, err := New(cfg)
	require.NoError(t, err)
	h.r = r
	t.Cleanup(func() { require.NoError(t, r.Close(context.Background())) })
	return h
}

// advance moves the clock to `to` and waits until the Reactor has sent, and
// re-armed, want beats in all. It fails if more were sent. Senders re-arm
// after Advance returns, so a test moves at most one period per call.
func (h *harness) advance(to time.Duration, want uint64) {
	h.t.Helper()
	require.NoError(h.t, h.w.Advance(to))
	h.waitSent(want)
}

// advanceIdle moves the clock to `to` and waits until every beat that
// handed out was sent and answered (every job back in the pool), however
// many there were.
func (h *harness) advanceIdle(to time.Duration) {
	h.t.Helper()
	require.NoError(h.t, h.w.Advance(to))
	waitIdle(h.r)
}

// waitIdle waits until r is idle: no job queued, every sender idle.
func waitIdle(r *Reactor) {
	for !r.idle() {
		runtime.Gosched()
	}
}

// waitSent waits until the Reactor has sent want beats and counted the
// outcome of each: a sender adds Sent first and the outcomes after, so a
// test that read Stats as soon as Sent reached want could miss the last.
func (h *harness) waitSent(want uint64) {
	h.t.Helper()
	counted := func() bool {
		c := &h.r.stats
		sent := c.sent.Load()
		return sent >= want && c.ok.Load()+c.notFound.Load()+c.badCode.Load()+c.timeout.Load()+c.transport.Load() == sent
	}
	deadline := time.Now().Add(10 * time.Second)
	for !counted() && time.Now().Before(deadline) {
		runtime.Gosched()
	}
	require.Equal(h.t, want, h.r.stats.sent.Load(), "beats sent by %v", h.w.Now())
	require.True(h.t, counted(), "every outcome counted: %+v", h.r.Stats())
}

// instance returns a valid BeatInfo for service i, instance j.
func instance(i, j int) *BeatInfo {
	return &BeatInfo{
		ServiceName: fmt.Sprintf("DEFAULT_GROUP@@svc-%d", i),
		IP:          fmt.Sprintf("10.0.%d.%d", j/250, j%250+1),
		Port:        8080,
		Weight:      1,
		Period:      5 * time.Second,
	}
}

// firstDue returns when b's first beat fires if it was added at time 0: its
// due time, rounded up to the harness wheel's 1 ms tick.
func firstDue(b *BeatInfo) time.Duration {
	return (jitter(b.Key(), b.Period) + time.Millisecond - 1).Truncate(time.Millisecond)
}
