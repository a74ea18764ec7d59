package reactor

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/wheel"
)

// beatLog records when each of a population of instances beat, as the
// harness's clock is moved step by step.
type beatLog struct {
	h    *harness
	bs   []*BeatInfo
	idx  map[*BeatInfo]int
	at   [][]time.Duration // at[i]: the clock each time instance i beat
	seen int
}

// newBeatLog adds n instances to h, each with period p.
func newBeatLog(t *testing.T, h *harness, n int, p time.Duration) *beatLog {
	t.Helper()
	l := &beatLog{h: h, idx: make(map[*BeatInfo]int, n), at: make([][]time.Duration, n)}
	for j := range n {
		b := instance(j/1000, j%1000)
		b.Period = p
		require.NoError(t, h.r.Add(b))
		l.bs = append(l.bs, b)
		l.idx[b] = j
	}
	return l
}

// step moves the clock to `to`, waits until every beat it handed out and
// did not skip is sent, and records them at `to`.
func (l *beatLog) step(to time.Duration) {
	require.NoError(l.h.t, l.h.w.Advance(to))
	st := &l.h.r.stats
	l.h.waitSent(st.lateness.Count() - st.skipped.Load())
	for _, b := range l.h.f.sentSince(l.seen) {
		i, ok := l.idx[b.Info]
		require.True(l.h.t, ok, "a beat for an instance never added")
		l.at[i] = append(l.at[i], to)
		l.seen++
	}
}

// run steps the clock from `from` (exclusive) to `to` (inclusive).
func (l *beatLog) run(from, to, step time.Duration) {
	for now := from + step; now <= to; now += step {
		l.step(now)
	}
}

// checkPhases asserts that every instance beat once for each point of its
// own schedule (its first due time plus whole periods) up to end, no
// later than thr after it, but for the points a stall from `from` to `to`
// skipped: those more than thr before `to`. It returns how many instances
// had a beat skipped: those whose last point before `to` lies in the stall
// and more than thr before its end.
func (l *beatLog) checkPhases(t *testing.T, from, to, end, thr time.Duration) (skipped uint64) {
	t.Helper()
	for i, b := range l.bs {
		var want []time.Duration
		last := time.Duration(-1) // the last point at or before `to`
		for q := jitter(b.Key(), b.Period); q <= end; q += b.Period {
			if q <= to {
				last = q
			}
			if q > from && q < to-thr {
				continue
			}
			want = append(want, q)
		}
		if last > from && last < to-thr {
			skipped++
		}
		got := l.at[i]
		if !assert.Len(t, got, len(want), "instance %d: beats at %v, schedule %v", i, got, want) {
			return skipped
		}
		for k := range got {
			late := got[k] - want[k]
			if !assert.True(t, late >= 0 && late <= thr, "instance %d beat at %v for its point %v", i, got[k], want[k]) {
				return skipped
			}
		}
	}
	return skipped
}

// TestStallKeepsEveryPhase: after the clock stalls for 11 s (two periods
// and more), each of 100k instances beats exactly once per period on its
// own schedule, the beats as spread out over the period as before: the
// busiest second of the next fifteen carries at most 1.5 times the median
// second's beats. Beats the stall made late by more than SkipLate are
// skipped, once per instance, and counted.
func TestStallKeepsEveryPhase(t *testing.T) {
	n := 100_000
	if testing.Short() || raceEnabled {
		n = 20_000
	}
	const (
		p     = 5 * time.Second
		step  = 10 * time.Millisecond
		stall = 11 * time.Second
	)
	h := newHarness(t, Config{Senders: 4})
	thr := time.Duration(DefaultSkipLate * float64(p))
	l := newBeatLog(t, h, n, p)
	from := 2 * p
	l.run(0, from, step)
	to := from + stall
	l.step(to)
	end := to + 15*time.Second
	l.run(to, end, step)

	skipped := l.checkPhases(t, from, to, end, thr)
	assert.Equal(t, skipped, h.r.Stats().Skipped)
	assert.Greater(t, skipped, uint64(n/2), "most beats due in the stall are skipped")

	var perSecond [15]int
	for _, at := range l.at {
		for _, a := range at {
			if a >= to && a < end {
				perSecond[(a-to)/time.Second]++
			}
		}
	}
	sorted := slices.Clone(perSecond[:])
	slices.Sort(sorted)
	median := sorted[len(sorted)/2]
	assert.LessOrEqual(t, float64(slices.Max(sorted)), 1.5*float64(median), "beats per second after the stall: %v", perSecond)
}

// TestStallOfAnyLengthKeepsThePhase: stalls from one tick to ten periods
// move no instance's schedule, send no catch-up beat, and skip only the
// points that fell in the stall.
func TestStallOfAnyLengthKeepsThePhase(t *testing.T) {
	const (
		n    = 500
		p    = 5 * time.Second
		step = 10 * time.Millisecond
	)
	tests := []struct {
		name  string
		stall time.Duration
	}{
		{"one tick", time.Millisecond},
		{"half a period", p / 2},
		{"2.2 periods", 11 * time.Second},
		{"ten periods", 10 * p},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			l := newBeatLog(t, h, n, p)
			from := p + 3*step
			l.run(0, from, step)
			to := from + tc.stall
			l.step(to)
			end := to + 2*p
			l.run(to, end, step)
			skipped := l.checkPhases(t, from, to, end, time.Duration(DefaultSkipLate*float64(p)))
			assert.Equal(t, skipped, h.r.Stats().Skipped)
		})
	}
}

// TestNeverSkipsTwiceInARow: a scheduler that hands every beat out too
// late still gets every other one sent, so a gap never exceeds two
// periods.
func TestNeverSkipsTwiceInARow(t *testing.T) {
	h := newHarness(t, Config{})
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	due := jitter(b.Key(), b.Period)
	for k, sent := range []uint64{0, 1, 1, 2, 2, 3} {
		require.NoError(t, h.w.Advance(due+time.Duration(k)*b.Period+time.Second))
		h.waitSent(sent)
	}
	assert.Equal(t, uint64(3), h.r.Stats().Skipped)
}

// TestSkipLateFloor: a beat late by less than 100 ms, or two ticks of a
// coarse wheel, is sent whatever SkipLate says: jitter and the tick's
// rounding alone never skip beats.
func TestSkipLateFloor(t *testing.T) {
	tests := []struct {
		name  string
		tick  time.Duration
		floor time.Duration
	}{
		{"fine tick", time.Millisecond, 100 * time.Millisecond},
		{"coarse tick", 100 * time.Millisecond, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			var w *wheel.Wheel
			r, err := New(Config{Transport: f, SkipLate: 1e-9, Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
				var err error
				w, err = wheel.New(wheel.Config{Manual: true, Tick: tc.tick}, h)
				return w, err
			}})
			require.NoError(t, err)
			defer func() { require.NoError(t, r.Close(context.Background())) }()
			assert.Equal(t, tc.floor, r.skipFloor)
			b := instance(1, 1)
			require.NoError(t, r.Add(b))
			due := jitter(b.Key(), b.Period)
			// Fire it exactly the floor late, then a tick more than that
			// a period later.
			require.NoError(t, w.Advance(due+tc.floor))
			require.NoError(t, w.Advance(due+b.Period+tc.floor+tc.tick))
			assert.Equal(t, uint64(2), r.stats.lateness.Count())
			assert.Equal(t, uint64(1), r.Stats().Skipped)
		})
	}
}

// TestAdoptKeepsThePhase: a new interval from a beat handed out late
// re-arms it at the first point after now of due + k×interval, not at now.
func TestAdoptKeepsThePhase(t *testing.T) {
	h := newHarness(t, Config{SkipLate: neverSkip})
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeOK, ClientBeatInterval: 2 * time.Second} })
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	due := firstDue(b)
	// The wheel hands beats out within Advance: count those, not the
	// sends that follow.
	for _, step := range []struct {
		at   time.Duration
		want uint64
	}{
		{due + 3*time.Second, 1}, // 3 s late: due+2s is past, due+4s is next
		{due + 4*time.Second - time.Millisecond, 1},
		{due + 4*time.Second, 2},
		{due + 6*time.Second, 3},
	} {
		h.advance(step.at, step.want)
		assert.Equal(t, step.want, h.r.stats.lateness.Count(), "beats handed out by %v", step.at)
	}
}

// TestBackPressureSkipsNothing: beats that are late because the senders
// could not keep up (the Handler waited for them, so the scheduler fell
// behind with no stall) are all sent, late; only a stall's beats are
// skipped. An overloaded process must not shed beats it can still send.
func TestBackPressureSkipsNothing(t *testing.T) {
	const (
		n      = 1000
		step   = 10 * time.Millisecond
		last   = 90 * time.Millisecond // under the 100 ms skip floor: no stall
		first  = time.Second
		behind = 3 * time.Second // far beyond SkipLate's 250 ms at 5 s
	)
	h := newHarness(t, Config{Senders: 1, BatchSize: 1})
	var dues []time.Duration
	for j := range n {
		b := instance(1, j)
		require.NoError(t, h.r.Add(b))
		dues = append(dues, firstDue(b))
	}
	dueBy := func(at time.Duration) (k uint64) {
		for _, d := range dues {
			if d <= at {
				k++
			}
		}
		return k
	}
	for at := step; at <= first-last; at += step {
		h.advance(at, dueBy(at))
	}
	require.Greater(t, dueBy(first)-dueBy(first-last), uint64(2), "enough beats to fill the queue")
	// The next Advance hands out the beats due by `first`: the sender
	// blocks on the first, the queue fills, and the Handler waits.
	for len(h.f.sendsStarted) > 0 {
		<-h.f.sendsStarted // the warm-up's sends: the next one counts
	}
	h.f.block = make(chan struct{})
	firstDone := make(chan error, 1)
	go func() { firstDone <- h.w.Advance(first) }()
	<-h.f.sendsStarted
	// Meanwhile time goes on: the next Advance finds every beat due since
	// late by up to `behind`, with no gap between the Handler's calls.
	nextDone := make(chan error, 1)
	go func() { nextDone <- h.w.Advance(first + behind) }()
	require.Eventually(t, func() bool { return h.w.Now() == first+behind }, 10*time.Second, time.Millisecond)
	close(h.f.block)
	require.NoError(t, <-firstDone)
	require.NoError(t, <-nextDone)
	want := dueBy(first + behind)
	h.waitSent(want)
	st := h.r.Stats()
	assert.Zero(t, st.Skipped, "back-pressure is no stall")
	assert.Equal(t, want, st.Sent)
	assert.Greater(t, st.Lateness.Max, time.Duration(DefaultSkipLate*float64(5*time.Second)), "the beats were late beyond SkipLate")
}
