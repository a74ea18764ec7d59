package reactor

import (
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
)

// longFlag selects the long forms of this package's tests; BEATWHEEL_LONG=1
// does the same.
var longFlag = flag.Bool("long", false, "run the long forms (also BEATWHEEL_LONG=1)")

func long() bool { return *longFlag || os.Getenv("BEATWHEEL_LONG") == "1" }

// nopTransport answers every beat 10200.
type nopTransport struct{}

func (nopTransport) SendBeats(_ context.Context, beats []Beat, results []BeatResult) {
	for i := range beats {
		results[i] = BeatResult{Code: CodeOK}
	}
}
func (nopTransport) Register(context.Context, *BeatInfo) error   { return nil }
func (nopTransport) Deregister(context.Context, *BeatInfo) error { return nil }

// churnSenders bounds TestChurn's senders. The Reactor keeps up to
// 2*Senders+2 idle jobs (BatchSize beats each, about 23 KiB), allocated as
// a slow machine's backlog needs them: with the default 64, how busy the
// machine was could move the heap by 3 MiB, a sixth of it. With 2 the
// Reactor's pool holds at most 6 jobs, whatever the machine.
const churnSenders = 2

// TestChurn adds and removes instances for many cycles on the real wheel,
// with periods of 0.5 to 1.5 s so beats fire (and race with the Removes)
// all along: 200k operations (10M with -long). Shorter periods made the
// beats alone load a busy machine until the wheel lagged a period, and a
// lagging wheel re-arms beats onto the same ticks, whose slot arrays then
// grow and stay grown: a heap figure that measured the machine, not a
// leak. A working set of live instances is
// replaced at random, half the time under a key seen before. After a
// warm-up, the heap must come back within 10 % of where it started and the
// goroutines exactly to their count; every removed BeatInfo is stopped and
// every live one is not.
func TestChurn(t *testing.T) {
	ops, live := 200_000, 20_000
	if long() {
		ops = 10_000_000
	}
	measure.HeapInUse() // the runtime's own helpers (finalizers, cleanups) start now, not mid-test
	goroutines := runtime.NumGoroutine()
	r, err := New(Config{Transport: nopTransport{}, MinInterval: MinPeriod, Senders: churnSenders})
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	newInfo := func() *BeatInfo {
		b := instance(rng.IntN(20), rng.IntN(2*live)) // keys repeat: replacements too
		b.Period = time.Duration(500+rng.IntN(1000)) * time.Millisecond
		return b
	}
	set := make([]*BeatInfo, 0, live)
	for len(set) < live {
		b := newInfo()
		if _, ok := r.Get(b.ServiceName, b.IP, b.Port); ok {
			continue
		}
		require.NoError(t, r.Add(b))
		set = append(set, b)
	}
	churn := func(n int) {
		for range n / 2 {
			i := rng.IntN(len(set))
			old := set[i]
			require.True(t, r.Remove(old.ServiceName, old.IP, old.Port))
			b := newInfo()
			for {
				if _, ok := r.Get(b.ServiceName, b.IP, b.Port); !ok {
					break
				}
				b = newInfo()
			}
			require.NoError(t, r.Add(b))
			set[i] = b
			require.True(t, old.Stopped())
		}
	}
	churn(min(ops/10, 200_000)) // warm-up: the slot table, wheel and map reach their size
	heap0, g0 := measure.HeapInUse(), runtime.NumGoroutine()
	start := time.Now()
	churn(ops)
	elapsed := time.Since(start)
	time.Sleep(200 * time.Millisecond) // beats in flight finish
	heap1, g1 := measure.HeapInUse(), runtime.NumGoroutine()
	s := r.Stats()
	t.Logf("%d operations in %v (%v each); heap %d -> %d bytes (%+.1f%%); goroutines %d -> %d; %d beats sent",
		ops, elapsed, elapsed/time.Duration(ops), heap0, heap1, 100*(float64(heap1)/float64(heap0)-1), g0, g1, s.Sent)
	assert.Equal(t, live, r.Len())
	assert.Positive(t, s.Sent, "beats fired during the churn")
	assert.LessOrEqual(t, float64(heap1), 1.1*float64(heap0), "heap after churn")
	assert.Equal(t, g0, g1, "goroutines after churn")
	for _, b := range set {
		got, ok := r.Get(b.ServiceName, b.IP, b.Port)
		require.True(t, ok)
		require.Same(t, b, got)
		require.False(t, b.Stopped())
	}
	require.NoError(t, r.Close(context.Background()))
	// Polled here: testify's Eventually runs its condition on a goroutine
	// of its own.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !assert.Equal(t, goroutines, runtime.NumGoroutine(), "goroutines back to the start after Close") {
		buf := make([]byte, 1<<20)
		t.Logf("%s", buf[:runtime.Stack(buf, true)])
	}
}
