package reactor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

func TestConfigValidation(t *testing.T) {
	f := newFake()
	tests := []struct {
		name string
		cfg  Config
	}{
		{"nil transport", Config{}},
		{"negative senders", Config{Transport: f, Senders: -1}},
		{"negative batch", Config{Transport: f, BatchSize: -1}},
		{"negative rate", Config{Transport: f, ReregisterRate: -1}},
		{"negative burst", Config{Transport: f, ReregisterBurst: -1}},
		{"negative rate ceiling", Config{Transport: f, ReregisterMaxRate: -1}},
		{"negative size hint", Config{Transport: f, SizeHint: -1}},
		{"interval floor too low", Config{Transport: f, MinInterval: time.Millisecond}},
		{"interval floor too high", Config{Transport: f, MinInterval: time.Hour}},
		{"negative skip lateness", Config{Transport: f, SkipLate: -0.1}},
		{"NaN skip lateness", Config{Transport: f, SkipLate: math.NaN()}},
		{"scheduler fails", Config{Transport: f, Scheduler: func(wheel.Handler) (wheel.Scheduler, error) {
			return nil, errors.New("no")
		}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := New(tc.cfg)
			require.ErrorIs(t, err, ErrConfig)
			assert.Nil(t, r)
		})
	}
}

func TestBeatsEveryPeriodFromAFixedPhase(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	first := firstDue(b)
	h.advance(first-time.Millisecond, 0)
	h.advance(first, 1)
	h.advance(first+5*time.Second-time.Millisecond, 1)
	h.advance(first+5*time.Second, 2)
	h.advance(first+10*time.Second, 3)
	h.advance(first+15*time.Second, 4)
	for _, beat := range h.f.sent() {
		assert.Same(t, b, beat.Info)
		assert.False(t, beat.Light, "full beats until the server allows light ones")
	}
	st := h.r.Stats()
	assert.Equal(t, uint64(4), st.OK)
	assert.Equal(t, 1, st.Instances)
	assert.Equal(t, uint64(4), st.Lateness.Count)
}

func TestAdoptsServerInterval(t *testing.T) {
	tests := []struct {
		name     string
		interval time.Duration
		want     time.Duration
	}{
		{"no interval keeps the period", 0, 5 * time.Second},
		{"shorter interval", 2 * time.Second, 2 * time.Second},
		{"longer interval", 7 * time.Second, 7 * time.Second},
		{"below the floor is raised", time.Millisecond, time.Second},
		{"absurd is capped", time.Hour, MaxPeriod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{MinInterval: time.Second})
			h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeOK, ClientBeatInterval: tc.interval} })
			b := instance(1, 1)
			require.NoError(t, h.r.Add(b))
			first := firstDue(b)
			h.advance(first, 1)
			h.advance(first+tc.want-time.Millisecond, 1)
			h.advance(first+tc.want, 2)
		})
	}
}

// TestAdoptAllocatesNothing: a server that changes its interval makes
// every instance adopt it once; adopting re-arms the job's own entry in
// place, so a million instances adopting allocate nothing.
func TestAdoptAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	h := newHarness(t, Config{MinInterval: time.Second})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	due := firstDue(b)
	e := []wheel.Expired{{Timer: b.timer(), Due: due, Data: periodData(b.Period)}}
	intervals := [2]time.Duration{6 * time.Second, 7 * time.Second}
	// Other entries share the two buckets, as at scale: the wheel's own
	// array for a bucket it empties and fills again is not adopt's cost.
	for _, p := range intervals {
		_, err := h.r.sched.Add(due+p, 0)
		require.NoError(t, err)
	}
	k := 0
	allocs := testing.AllocsPerRun(100, func() {
		k++
		e[0].Due = due // the beat that expired, as a job holds it
		h.r.adopt(b, e, intervals[k%2])
	})
	assert.Zero(t, allocs)
	assert.Equal(t, intervals[k%2], dataPeriod(e[0].Data), "the entry carries the adopted period")
	assert.Equal(t, b.timer(), e[0].Timer, "the entry was re-armed, not dropped")
}

func TestLightBeatSwitchBothWays(t *testing.T) {
	h := newHarness(t, Config{})
	allow := true
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeOK, LightBeatEnabled: allow} })
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	at := firstDue(b)
	h.advance(at, 1) // full; the server allows light
	h.advance(at+5*time.Second, 2)
	h.advance(at+10*time.Second, 3)
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeOK} }) // lightBeatEnabled absent: false
	h.advance(at+15*time.Second, 4)
	h.advance(at+20*time.Second, 5)
	var light []bool
	for _, beat := range h.f.sent() {
		light = append(light, beat.Light)
	}
	assert.Equal(t, []bool{false, true, true, true, false}, light)
	assert.Equal(t, uint64(3), h.r.Stats().Light)
}

func TestNotFoundReregistersOncePerOccurrence(t *testing.T) {
	h := newHarness(t, Config{})
	notFound := true
	h.f.setAnswer(func(Beat) BeatResult {
		if notFound {
			return BeatResult{Code: CodeNotFound}
		}
		return BeatResult{Code: CodeOK}
	})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	at := firstDue(b)
	h.advance(at, 1)
	require.Eventually(t, func() bool { return h.r.Stats().Reregistered == 1 }, 5*time.Second, time.Millisecond)
	h.advance(at+5*time.Second, 2)
	require.Eventually(t, func() bool { return h.r.Stats().Reregistered == 2 }, 5*time.Second, time.Millisecond)
	notFound = false
	h.advance(at+10*time.Second, 3)
	h.advance(at+15*time.Second, 4)
	assert.Equal(t, 2, h.f.registered(), "one registration per 20404")
	st := h.r.Stats()
	assert.Equal(t, uint64(2), st.Failed.NotFound)
	assert.Equal(t, uint64(2), st.OK)
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	assert.Same(t, b, h.f.registers[0])
}

func TestReregistrationIsRateLimited(t *testing.T) {
	const n, perSecond, burst = 20, 50.0, 1
	h := newHarness(t, Config{ReregisterRate: perSecond, ReregisterMaxRate: perSecond, ReregisterBurst: burst, SkipLate: neverSkip})
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeNotFound} })
	for j := range n {
		require.NoError(t, h.r.Add(instance(1, j)))
	}
	h.advance(5*time.Second, n) // every first beat: 20404
	require.Eventually(t, func() bool { return h.f.registered() == n }, 10*time.Second, time.Millisecond)
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	// A token bucket grants at most burst + rate*w tokens in any window
	// w. A registration is stamped after its worker got its token, so a
	// window also holds at most one stamp per worker whose token came
	// before it, however late a busy machine lets that worker run: the
	// stamps i < j (j-i+1 of them) are at least
	// (j-i+1-burst-workers)/rate apart, less a millisecond for the
	// bucket's float arithmetic.
	at := slices.Clone(h.f.registerAt)
	slices.SortFunc(at, func(x, y time.Time) int { return x.Compare(y) })
	for i := range at {
		for j := i + 1; j < len(at); j++ {
			min := time.Duration(float64(j-i+1-burst-reregisterWorkers)/perSecond*float64(time.Second)) - time.Millisecond
			assert.GreaterOrEqual(t, at[j].Sub(at[i]), min, "registrations %d and %d", i, j)
		}
	}
}

func TestErrorsBeatAgainNextPeriod(t *testing.T) {
	h := newHarness(t, Config{})
	// A Transport's own timeout error says so by its Timeout method, as
	// net.Error does, wrapped or not.
	errs := []error{errors.New("connection reset"), context.DeadlineExceeded,
		fmt.Errorf("send: %w", timeoutErr{}), nil}
	call := 0
	h.f.setAnswer(func(Beat) BeatResult {
		defer func() { call++ }()
		if err := errs[call%len(errs)]; err != nil {
			return BeatResult{Err: err}
		}
		return BeatResult{Code: 500}
	})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	at := firstDue(b)
	for k := range len(errs) {
		h.advance(at+time.Duration(k)*5*time.Second, uint64(k+1))
	}
	st := h.r.Stats()
	assert.Equal(t, Failures{Transport: 1, Timeout: 2, Code: 1}, st.Failed)
	assert.Zero(t, st.OK)
	assert.Equal(t, uint64(len(errs)), st.Failed.Total())
}

// timeoutErr is a Transport's timeout error that is no net.Error.
type timeoutErr struct{}

func (timeoutErr) Error() string { return "transport: timed out" }
func (timeoutErr) Timeout() bool { return true }

func TestRemoveDuringInFlightBeat(t *testing.T) {
	h := newHarness(t, Config{})
	h.f.block = make(chan struct{})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	require.NoError(t, h.w.Advance(firstDue(b)))
	<-h.f.sendsStarted
	assert.True(t, h.r.Remove(b.ServiceName, b.IP, b.Port))
	assert.False(t, h.r.Remove(b.ServiceName, b.IP, b.Port), "already removed")
	assert.True(t, b.Stopped())
	close(h.f.block)
	h.waitSent(1)
	h.advance(time.Minute, 1) // never re-armed
	assert.Zero(t, h.r.Len())
	assert.Zero(t, h.w.Pending())
}

func TestAddSameKeyStopsTheOldBeat(t *testing.T) {
	h := newHarness(t, Config{})
	old, repl := instance(1, 1), instance(1, 1)
	repl.Weight = 2
	require.NoError(t, h.r.Add(old))
	require.NoError(t, h.r.Add(repl))
	assert.True(t, old.Stopped())
	assert.False(t, repl.Stopped())
	got, ok := h.r.Get(old.ServiceName, old.IP, old.Port)
	require.True(t, ok)
	assert.Same(t, repl, got)
	assert.Equal(t, 1, h.r.Len())
	for k := range 3 {
		h.advance(firstDue(repl)+time.Duration(k)*5*time.Second, uint64(k+1))
	}
	for _, beat := range h.f.sent() {
		assert.Same(t, repl, beat.Info, "only the new BeatInfo beats")
	}
	assert.ErrorIs(t, h.r.Add(repl), ErrInUse, "a BeatInfo is added once")
}

func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t, Config{})
	require.ErrorIs(t, h.r.Add(nil), ErrNilBeat)
	require.ErrorIs(t, h.r.Add(&BeatInfo{ServiceName: "s", IP: "x", Port: 1}), ErrIP)
	assert.Zero(t, h.r.Len())
	assert.Zero(t, h.w.Pending())

	var nilReactor *Reactor
	assert.ErrorIs(t, nilReactor.Add(instance(1, 1)), ErrClosed)
	assert.False(t, nilReactor.Remove("s", "10.0.0.1", 1))
	assert.Zero(t, nilReactor.Len())
	assert.NoError(t, nilReactor.Close(context.Background()))
}

func TestCloseWithBeatsInFlight(t *testing.T) {
	f := newFake()
	f.block = make(chan struct{}) // never released: Close must cancel
	var w *wheel.Wheel
	r, err := New(Config{
		Transport:         f,
		DeregisterOnClose: true,
		SkipLate:          neverSkip,
		Scheduler: func(hd wheel.Handler) (wheel.Scheduler, error) {
			w, err := wheel.New(wheel.Config{Manual: true, Tick: time.Millisecond}, hd)
			return w, err
		},
	})
	require.NoError(t, err)
	w = r.sched.(*wheel.Wheel)
	var all []*BeatInfo
	for j := range 100 {
		b := instance(j%3, j)
		all = append(all, b)
		require.NoError(t, r.Add(b))
	}
	require.NoError(t, w.Advance(5*time.Second))
	<-f.sendsStarted
	require.NoError(t, r.Close(context.Background()))
	require.NoError(t, r.Close(context.Background()), "idempotent")
	for _, b := range all {
		assert.True(t, b.Stopped())
	}
	assert.Len(t, f.deregisters, 100)
	assert.Zero(t, r.Len())
	assert.ErrorIs(t, r.Add(instance(9, 9)), ErrClosed)
	// goleak in TestMain: no sender, worker or wheel goroutine is left.
}

func TestCloseDeregisterRespectsContext(t *testing.T) {
	f := newFake()
	r, err := New(Config{Transport: f, DeregisterOnClose: true, Senders: 1})
	require.NoError(t, err)
	for j := range 10 {
		require.NoError(t, r.Add(instance(1, j)))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = r.Close(ctx)
	require.ErrorIs(t, err, context.Canceled)
}

// TestConcurrentAddRemoveSameKeys races Adds and Removes of a few keys on
// the real clock with short periods, then checks that exactly the
// BeatInfos in the map still beat.
func TestConcurrentAddRemoveSameKeys(t *testing.T) {
	f := newFake()
	r, err := New(Config{Transport: f, MinInterval: MinPeriod,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			return wheel.New(wheel.Config{Tick: time.Millisecond}, h)
		}})
	require.NoError(t, err)
	defer func() { require.NoError(t, r.Close(context.Background())) }()

	var (
		mu    sync.Mutex
		added []*BeatInfo
		wg    sync.WaitGroup
	)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for range 2000 {
				b := instance(0, rng.IntN(8))
				b.Period = MinPeriod
				if rng.IntN(3) == 0 {
					r.Remove(b.ServiceName, b.IP, b.Port)
					continue
				}
				assert.NoError(t, r.Add(b))
				mu.Lock()
				added = append(added, b)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	live := map[*BeatInfo]bool{}
	for _, b := range added {
		if got, ok := r.Get(b.ServiceName, b.IP, b.Port); ok && got == b {
			live[b] = true
			assert.False(t, b.Stopped())
		} else {
			assert.True(t, b.Stopped(), "a replaced or removed BeatInfo is stopped")
		}
	}
	assert.Equal(t, len(live), r.Len())
	time.Sleep(50 * time.Millisecond) // in-flight beats of stopped ones finish
	f.mu.Lock()
	f.beats = nil
	f.mu.Unlock()
	require.Eventually(t, func() bool { return len(f.sent()) > 3*len(live) }, 10*time.Second, time.Millisecond)
	for _, beat := range f.sent() {
		assert.True(t, live[beat.Info], "only live instances beat")
	}
}

func TestZeroAllocsPerBeat(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	h := newHarness(t, Config{Senders: 2, SkipLate: neverSkip})
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeOK, ClientBeatInterval: 5 * time.Second} })
	const n = 2000
	for j := range n {
		require.NoError(t, h.r.Add(instance(j%100, j)))
	}
	now := time.Duration(0)
	sent := uint64(0)
	step := func() {
		now += 5 * time.Second
		sent += n
		h.advance(now, sent)
	}
	step()
	step()
	h.f.mu.Lock()
	h.f.beats = make([]Beat, 0, 100*n) // the fake's own record must not count
	h.f.mu.Unlock()
	allocs := testing.AllocsPerRun(10, step)
	assert.Less(t, allocs/n, 0.01, "%.0f allocations for %d beats", allocs, n)
}

// TestBeatCarriesLateness: the transport sees how late the scheduler handed
// each beat out, the same figure Stats.Lateness records.
func TestBeatCarriesLateness(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	due := jitter(b.Key(), b.Period)
	h.advance(due+7*time.Millisecond, 1)
	sent := h.f.sent()
	require.Len(t, sent, 1)
	assert.Equal(t, 7*time.Millisecond, sent[0].Late)
	assert.Equal(t, 7*time.Millisecond, h.r.Stats().Lateness.Max)
}

// TestBeatBeforeSlotIsSet: an entry that fires before Add has set its slot
// is looked at again a moment later, not dropped.
func TestBeatBeforeSlotIsSet(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	// Undo what Add set, as if it had not got that far yet.
	h.r.slots.clear(b.timerIdx, b)
	first := firstDue(b)
	h.advance(first, 0)
	h.r.slots.set(b.timerIdx, b)
	h.advance(first+unsetRetry, 1)
	h.advance(first+unsetRetry+b.Period, 2)
}

// TestSendersBoundConcurrency: a Transport that blocks gets Config.Senders
// concurrent sends, and never more, while the Handler waits on the full
// queue; every beat is sent once the Transport answers.
func TestSendersBoundConcurrency(t *testing.T) {
	const senders, n = 3, 20
	h := newHarness(t, Config{Senders: senders, BatchSize: 1, SkipLate: neverSkip})
	block := make(chan struct{})
	h.f.mu.Lock()
	h.f.block = block
	h.f.mu.Unlock()
	for j := range n {
		require.NoError(t, h.r.Add(instance(1, j)))
	}
	advanced := make(chan error)
	go func() { advanced <- h.w.Advance(5 * time.Second) }()
	for range senders {
		<-h.f.sendsStarted
	}
	// The Handler now waits on a full queue, every sender in a send.
	require.Eventually(t, func() bool { return len(h.r.jobs) == cap(h.r.jobs) }, 10*time.Second, time.Millisecond)
	assert.Empty(t, h.f.sendsStarted, "a send beyond Config.Senders started")
	close(block)
	require.NoError(t, <-advanced)
	h.waitSent(n)
}

// TestReregisterRateDefaults: the rate's floor and ceiling default around
// ReregisterRate, and Stats reports where the rate stands.
func TestReregisterRateDefaults(t *testing.T) {
	tests := []struct {
		name           string
		cfg            Config
		floor, ceiling float64
	}{
		{"defaults", Config{}, DefaultReregisterMinRate, DefaultReregisterMaxRate},
		{"start under the default floor", Config{ReregisterRate: 5}, 5, DefaultReregisterMaxRate},
		{"start over the default ceiling", Config{ReregisterRate: 20_000}, DefaultReregisterMinRate, 20_000},
		{"set", Config{ReregisterRate: 50, ReregisterMinRate: 20, ReregisterMaxRate: 70}, 20, 70},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			c := h.r.cfg
			assert.Equal(t, tc.floor, c.ReregisterMinRate)
			assert.Equal(t, tc.ceiling, c.ReregisterMaxRate)
			assert.Equal(t, DefaultReregisterSlow, c.ReregisterSlow)
			assert.Equal(t, c.ReregisterRate, h.r.Stats().ReregisterRate, "starts at ReregisterRate")
		})
	}
}

// TestReregisterRateFallsOnFailures: registrations that fail cut the rate
// that Stats reports, down to its floor and no further.
func TestReregisterRateFallsOnFailures(t *testing.T) {
	const n = 40
	h := newHarness(t, Config{ReregisterRate: 1000, ReregisterMinRate: 100, ReregisterBurst: n, SkipLate: neverSkip})
	h.f.registerErr = errors.New("HTTP 503")
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeNotFound} })
	for j := range n {
		require.NoError(t, h.r.Add(instance(1, j)))
	}
	h.advance(5*time.Second, n)
	require.Eventually(t, func() bool { return h.r.Stats().ReregisterFailed == n }, 10*time.Second, time.Millisecond)
	st := h.r.Stats()
	// 4 workers: at most 4 registrations share a round, so n failures
	// make at least n/4 cuts, more than enough to reach the floor.
	assert.Equal(t, 100.0, st.ReregisterRate)
}
