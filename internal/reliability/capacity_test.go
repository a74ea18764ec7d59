package reliability

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// TestReregistrationMatchesServerCapacity: a server that takes only
// capacity registrations a second knows none of n instances and takes them
// back only through registrations (forgetful stands in for a server that
// does not register an instance from its full beat), so every instance
// needs one registration at least. The Reactor's
// re-registration rate starts under the capacity, rises while the server
// keeps up, is cut once the server answers 503, never exceeds its ceiling,
// and the server never sees much more than its capacity. Every bound is a
// count or follows from the token buckets (the server's, the Reactor's),
// not from the machine's speed: a slow machine sends less, never more.
// TestAIMDFollowsTheServer (reactor) checks the exact shape in simulated
// time.
func TestReregistrationMatchesServerCapacity(t *testing.T) {
	const (
		n        = 1500
		period   = time.Second
		capacity = 200.0 // registrations per second, burst 20
		start    = 150.0
		ceiling  = 4 * capacity
	)
	var fg *forgetful
	st := newStack(t,
		// Nacos' health times (15 s, 30 s): however late a busy machine
		// makes the beats, the server removes no instance, so each needs
		// one registration.
		nacostest.Config{ClientBeatInterval: period, MaxRegistrationsPerSecond: capacity},
		transport.Config{Mode: transport.ModePipeline, ReadTimeout: 2 * time.Second},
		reactor.Config{MinInterval: period, ReregisterRate: start, ReregisterBurst: 1, ReregisterMaxRate: ceiling,
			// Only errors cut the rate here: a busy machine's latency
			// must not (the rule for latency is tested in reactor).
			ReregisterSlow: time.Minute},
		func(next reactor.Transport) reactor.Transport { fg = newForgetful(next); return fg })
	st.dec.rateOf = func() float64 { return st.r.Stats().ReregisterRate }
	st.add(n, period)
	// Every instance is back once n registrations succeeded.
	deadline := time.Now().Add(2 * time.Minute)
	for fg.registered() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	require.Equal(t, n, fg.registered(), "every instance registered: %+v", st.srv.Counters())
	require.Equal(t, n, st.srv.Len(), "the server knows every instance")

	regs := st.dec.registrations()
	t.Log(rateTable(regs))
	refused := st.srv.Counters().RegistrationsRefused
	t.Logf("%d registrations, %d refused by the server (503)", len(regs), refused)

	// Never above the ceiling.
	for _, g := range regs {
		require.LessOrEqual(t, g.rate, ceiling)
	}
	// Rises while the server keeps up: before its first 503 the rate
	// never fell, and it rose past the start.
	first := len(regs)
	for i, g := range regs {
		if g.failed {
			first = i
			break
		}
	}
	peak := start
	for i, g := range regs[:first] {
		if i > 0 {
			require.GreaterOrEqual(t, g.rate, regs[i-1].rate, "registration %d: the rate fell before any 503", i)
		}
		peak = max(peak, g.rate)
	}
	assert.Greater(t, peak, start, "the rate rose while the server kept up")
	// Falls after overload: the server refused some (the rate went past
	// its capacity), and the rate was halved.
	require.Less(t, first, len(regs), "the rate went past the server's capacity")
	low := peak
	for _, g := range regs[first:] {
		low = min(low, g.rate)
	}
	// The cut halves the rate at the 503; the next calls may have added
	// a few steps of start/4 / rate each.
	assert.LessOrEqual(t, low, peak/2+5, "the rate after the first 503")
	// The server never sees much more than its capacity: the rate is
	// halved as soon as the server's burst runs out, so in any second
	// the server got at most its capacity, the rise past it (a fifth,
	// see TestAIMDFollowsTheServer), its burst, and one call per worker
	// started late.
	at := make([]time.Time, len(regs))
	for i, g := range regs {
		at[i] = g.at
	}
	limit := int(1.5*capacity) + 20 + 4
	got := maxInWindow(at, time.Second)
	t.Logf("at most %d registrations in a second (limit %d, capacity %v)", got, limit, capacity)
	assert.LessOrEqual(t, got, limit, "registrations the server saw in a second")
	assert.LessOrEqual(t, float64(refused), 0.1*float64(len(regs)), "registrations refused")
}

// rateTable renders the re-registration rate over time, a line per 250 ms:
// the rate, the calls started and those that failed.
func rateTable(regs []registration) string {
	if len(regs) == 0 {
		return "no registrations"
	}
	const step = 250 * time.Millisecond
	var sb strings.Builder
	sb.WriteString("re-registration rate over time (t, rate/s, calls, 503s):")
	t0 := regs[0].at
	for i := 0; i < len(regs); {
		slot := regs[i].at.Sub(t0) / step
		calls, failed, rate := 0, 0, regs[i].rate
		for ; i < len(regs) && regs[i].at.Sub(t0)/step == slot; i++ {
			calls++
			if regs[i].failed {
				failed++
			}
		}
		fmt.Fprintf(&sb, "\n  %5.2fs %6.1f %4d %3d", (time.Duration(slot) * step).Seconds(), rate, calls, failed)
	}
	return sb.String()
}

// forgetful answers 20404 for the beats of every instance that no Register
// call brought back yet, without sending them: a server that takes
// instances back through registrations only, not from full beats. The
// beats of the others go to next.
type forgetful struct {
	next  reactor.Transport
	mu    sync.Mutex
	known map[*reactor.BeatInfo]bool
}

func newForgetful(next reactor.Transport) *forgetful {
	return &forgetful{next: next, known: map[*reactor.BeatInfo]bool{}}
}

func (f *forgetful) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	var pass []reactor.Beat
	var at []int
	f.mu.Lock()
	for i, b := range beats {
		if f.known[b.Info] {
			pass = append(pass, b)
			at = append(at, i)
			continue
		}
		results[i] = reactor.BeatResult{Code: reactor.CodeNotFound}
	}
	f.mu.Unlock()
	if len(pass) == 0 {
		return
	}
	res := make([]reactor.BeatResult, len(pass))
	f.next.SendBeats(ctx, pass, res)
	for k, i := range at {
		results[i] = res[k]
	}
}

func (f *forgetful) Register(ctx context.Context, b *reactor.BeatInfo) error {
	err := f.next.Register(ctx, b)
	if err == nil {
		f.mu.Lock()
		f.known[b] = true
		f.mu.Unlock()
	}
	return err
}

// registered returns how many instances a Register call brought back.
func (f *forgetful) registered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.known)
}

func (f *forgetful) Deregister(ctx context.Context, b *reactor.BeatInfo) error {
	return f.next.Deregister(ctx, b)
}
