package reactor

import (
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/wheel"
)

// The long forms of issue 11's scenarios at a million instances, on a
// Manual wheel so that simulated minutes take what the beats cost and the
// figures do not depend on the machine (restart, which needs a server, is
// in internal/reliability):
//
//	go test ./reactor -run AtScale -long -timeout 60m
const (
	scaleN      = 1_000_000
	scalePeriod = 5 * time.Second
	scaleTick   = 10 * time.Millisecond // the wheel's default
)

// scaleTransport answers every beat 10200 and records, on the Manual
// clock, when each instance beat: beats per second, beats that came less
// than a period after the point of the instance's previous one, beats off
// the instance's phase, and beats of a stopped BeatInfo.
type scaleTransport struct {
	clock func() time.Duration
	// slack is how far from its period (or phase) a beat may be: the
	// clock moves a step at a time and stamps the step's end.
	slack time.Duration
	// stallEnd, when not 0, is when a stall ended: a beat sent then may
	// be up to lateOK past its point (Config.SkipLate sends a beat that
	// late and skips a later one).
	stallEnd, lateOK time.Duration

	mu        sync.Mutex
	phase     []time.Duration // per instance: its first due time mod period
	last      []time.Duration // per instance: its last beat, -1 before the first
	count     []int32         // per instance: beats since the last resetCounts
	perSecond map[int64]int
	twice     int // beats less than a period (less slack) after the previous one's point
	offPhase  int // beats more than slack past a multiple of the period after the phase
	stopped   int // beats of a BeatInfo that was stopped when the Transport got it
	total     int
}

func newScaleTransport(n int, slack time.Duration) *scaleTransport {
	return &scaleTransport{
		slack:     slack,
		phase:     make([]time.Duration, n),
		last:      make([]time.Duration, n),
		count:     make([]int32, n),
		perSecond: map[int64]int{},
	}
}

func (s *scaleTransport) SendBeats(_ context.Context, beats []Beat, results []BeatResult) {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, beat := range beats {
		results[i] = BeatResult{Code: CodeOK, ClientBeatInterval: scalePeriod}
		s.total++
		s.perSecond[int64(now/time.Second)]++
		if beat.Info.Stopped() {
			s.stopped++
			continue // its slot may serve its replacement already
		}
		k := scaleSlot(beat.Info)
		// The point of the schedule a beat serves is its time less how
		// late it came: one beat per point is one beat per period, even
		// when one came late after a stall and the next on time.
		if last := s.last[k]; last >= 0 && now-(last-(last-s.phase[k])%scalePeriod) < scalePeriod-s.slack {
			s.twice++
		}
		late := s.slack
		if now == s.stallEnd {
			late = s.lateOK
		}
		if off := (now - s.phase[k]) % scalePeriod; off > late {
			s.offPhase++
		}
		s.last[k] = now
		s.count[k]++
	}
}

func (*scaleTransport) Register(context.Context, *BeatInfo) error   { return nil }
func (*scaleTransport) Deregister(context.Context, *BeatInfo) error { return nil }

// track starts recording b, added now, in its slot. No map: the slot
// comes from b's address (scaleSlot), so the test's own memory does not
// move with the churn.
func (s *scaleTransport) track(b *BeatInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := scaleSlot(b)
	// Added at a whole tick; the first beat comes at the tick that
	// reaches its jitter.
	s.phase[k] = (s.clock() + jitter(b.Key(), scalePeriod) + scaleTick - 1).Truncate(scaleTick) % scalePeriod
	s.last[k] = -1
	s.count[k] = 0
}

// resetCounts zeroes the per-second and per-instance counts and the
// violation counters.
func (s *scaleTransport) resetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.perSecond)
	clear(s.count)
	s.twice, s.offPhase, s.stopped = 0, 0, 0
}

// secondsFrom returns the beats of each whole second in [from, from+n s).
func (s *scaleTransport) secondsFrom(from time.Duration, n int) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]int, n)
	for i := range out {
		out[i] = s.perSecond[int64(from/time.Second)+int64(i)]
	}
	return out
}

// scaleRun is a Reactor on a Manual wheel beating into a scaleTransport.
type scaleRun struct {
	t  *testing.T
	r  *Reactor
	w  *wheel.Wheel
	tr *scaleTransport
}

func newScaleRun(t *testing.T, slack time.Duration) *scaleRun {
	t.Helper()
	s := &scaleRun{t: t, tr: newScaleTransport(scaleN, slack)}
	r, err := New(Config{
		Transport: s.tr,
		SizeHint:  scaleN,
		Scheduler: func(h wheel.Handler) (wheel.Scheduler, error) {
			w, err := wheel.New(wheel.Config{Manual: true, Tick: scaleTick}, h)
			s.w = w
			return w, err
		},
	})
	require.NoError(t, err)
	s.r = r
	s.tr.clock = s.w.Now
	t.Cleanup(func() { require.NoError(t, r.Close(context.Background())) })
	return s
}

// add adds instance k of the population; it lives in slot k % scaleN.
func (s *scaleRun) add(k int) *BeatInfo {
	b := scaleInstance(k)
	s.tr.track(b)
	require.NoError(s.t, s.r.Add(b))
	return b
}

// scaleInstance returns instance k: one of 100 services, IPv4 from k's
// low 24 bits, port 8080 plus its higher bits. Distinct k, distinct keys.
func scaleInstance(k int) *BeatInfo {
	ip := "10." + strconv.Itoa(k>>16&0xff) + "." + strconv.Itoa(k>>8&0xff) + "." + strconv.Itoa(k&0xff)
	return &BeatInfo{ServiceName: "DEFAULT_GROUP@@svc-" + strconv.Itoa(k%100), IP: ip,
		Port: 8080 + k>>24, Weight: 1, Period: scalePeriod}
}

// scaleSlot returns the slot of the instance scaleInstance(k) built: k
// read back from its port and IP, modulo scaleN.
func scaleSlot(b *BeatInfo) int {
	k := (b.Port - 8080) << 24
	octet, shift := 0, 24
	for i := 3; i < len(b.IP); i++ { // past "10."
		if c := b.IP[i]; c == '.' {
			shift -= 8
			k |= octet << shift
			octet = 0
		} else {
			octet = octet*10 + int(c-'0')
		}
	}
	return (k | octet) % scaleN
}

// advance moves the clock to `to` at once and waits until every beat it
// handed out was sent and answered: no job queued, every sender idle.
func (s *scaleRun) advance(to time.Duration) {
	require.NoError(s.t, s.w.Advance(to))
	waitIdle(s.r)
}

// run moves the clock to `to` a step at a time.
func (s *scaleRun) run(to, step time.Duration) {
	for now := s.w.Now() + step; now <= to; now += step {
		s.advance(now)
	}
}

// spread returns the busiest and the median of counts.
func spread(counts []int) (busiest, median int) {
	sorted := slices.Clone(counts)
	slices.Sort(sorted)
	return sorted[len(sorted)-1], sorted[len(sorted)/2]
}

// TestStallAtScale: a million instances beat for two periods, then the
// process stalls for 11 s (the clock jumps at once, as after SIGSTOP or a
// long GC pause). In the 15 s after it, the busiest second carries at most
// 1.5x the median second's beats, no instance beats twice for one point of
// its schedule, every beat falls on its instance's phase (those sent as
// the stall ends up to SkipLate of a period late, as TestStallKeepsEveryPhase
// checks at 100k: a later one is skipped), and every instance beats once
// in each of the last two periods.
func TestStallAtScale(t *testing.T) {
	if !long() {
		t.Skip("long form: -long or BEATWHEEL_LONG=1")
	}
	s := newScaleRun(t, scaleTick)
	for k := range scaleN {
		s.add(k)
	}
	s.run(2*scalePeriod, scaleTick)
	// Two beats each in (0, 2 periods]: phases lie in (0, period], rounded
	// up to the tick.
	require.Equal(t, 2*scaleN, s.tr.total, "two periods' beats before the stall")
	require.Zero(t, s.tr.twice)
	require.Zero(t, s.tr.offPhase)

	s.tr.resetCounts()
	resume := s.w.Now() + 11*time.Second
	s.tr.mu.Lock()
	s.tr.stallEnd, s.tr.lateOK = resume, time.Duration(DefaultSkipLate*float64(scalePeriod))
	s.tr.mu.Unlock()
	s.advance(resume) // the stall ends: the clock jumped 11 s
	s.run(resume+15*time.Second, scaleTick)

	seconds := s.tr.secondsFrom(resume, 15)
	busiest, median := spread(seconds)
	t.Logf("beats per second after the stall: %v (busiest %d, median %d); beats less than a period after the previous one's point: %d; off phase: %d",
		seconds, busiest, median, s.tr.twice, s.tr.offPhase)
	assert.LessOrEqual(t, float64(busiest), 1.5*float64(median), "busiest second after the stall vs the median")
	assert.Zero(t, s.tr.twice, "beats less than a period after the point of the instance's previous beat")
	assert.Zero(t, s.tr.offPhase, "beats off their instance's phase")

	// Every instance beats once in each of the last two periods.
	s.tr.resetCounts()
	s.run(s.w.Now()+2*scalePeriod, scaleTick)
	wrong := 0
	for _, c := range s.tr.count {
		if c != 2 {
			wrong++
		}
	}
	assert.Zero(t, wrong, "instances that did not beat exactly twice in two periods")
}

// TestChurnAtScale: a million instances, a tenth of them replaced every
// minute (by new instances, with new keys, added one by one through the
// minute), for five simulated minutes. No stopped BeatInfo is sent, no
// instance beats twice within a period, every instance that lived through
// the last minute beat 12 times in it (60 s / 5 s), the beats stay spread
// over the seconds, and the heap after the fifth minute is within 10 % of
// the heap after the first.
func TestChurnAtScale(t *testing.T) {
	if !long() {
		t.Skip("long form: -long or BEATWHEEL_LONG=1")
	}
	const (
		minutes = 5
		step    = 100 * time.Millisecond // a replacement batch per step
		perStep = scaleN / 10 / int(time.Minute/step)
	)
	s := newScaleRun(t, step)
	live := make([]*BeatInfo, scaleN) // live[k%scaleN]
	for k := range scaleN {
		live[k] = s.add(k)
	}
	s.run(2*scalePeriod, step)
	rng := rand.New(rand.NewPCG(11, 8))
	generation := make([]int, scaleN) // instance k = generation*scaleN + slot
	replacedAt := make([]time.Duration, scaleN)
	var heap []uint64
	for m := range minutes {
		s.tr.resetCounts()
		start := s.w.Now()
		for now := start + step; now <= start+time.Minute; now += step {
			for range perStep {
				slot := rng.IntN(scaleN)
				old := live[slot]
				require.True(t, s.r.Remove(old.ServiceName, old.IP, old.Port))
				generation[slot]++
				live[slot] = s.add(generation[slot]*scaleN + slot) // a new key in the same slot
				replacedAt[slot] = s.w.Now()
			}
			s.advance(now)
		}
		seconds := s.tr.secondsFrom(start, 60)
		busiest, median := spread(seconds)
		heap = append(heap, measure.HeapInUse())
		t.Logf("minute %d: %d beats, busiest second %d, median %d, heap %d MiB; twice %d, stopped %d",
			m+1, s.tr.total, busiest, median, heap[m]>>20, s.tr.twice, s.tr.stopped)
		assert.Zero(t, s.tr.stopped, "beats of a stopped BeatInfo, minute %d", m+1)
		assert.Zero(t, s.tr.twice, "beats within a period of the previous, minute %d", m+1)
		assert.LessOrEqual(t, float64(busiest), 1.5*float64(median), "busiest second, minute %d", m+1)
	}
	// Instances that lived through the whole last minute beat 12 times.
	lastStart := s.w.Now() - time.Minute
	wrong, whole := 0, 0
	for slot, c := range s.tr.count {
		if replacedAt[slot] > lastStart-scalePeriod {
			continue // added in or just before the last minute
		}
		whole++
		if c != int32(time.Minute/scalePeriod) {
			wrong++
		}
	}
	t.Logf("%d instances lived through the last minute", whole)
	require.Positive(t, whole)
	assert.Zero(t, wrong, "instances that did not beat 12 times in the last minute")
	assert.LessOrEqual(t, float64(heap[minutes-1]), 1.1*float64(heap[0]), "heap after %d minutes of churn vs after 1", minutes)
}

// TestScaleSlot: the slot read back from an instance is the one it was
// built for, across generations and ports.
func TestScaleSlot(t *testing.T) {
	for _, k := range []int{0, 1, 255, 256, 65535, 65536, scaleN - 1, scaleN, 7*scaleN + 12345, 1<<24 + 3, 40*scaleN + 999_999} {
		assert.Equal(t, k%scaleN, scaleSlot(scaleInstance(k)), "k=%d", k)
	}
}
