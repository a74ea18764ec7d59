package reactor

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLightBeatsPerInstance: after a 20404 or a failed beat, that
// instance's beats are full until the server accepts one (a server that
// did not answer may have restarted empty, and a full beat registers the
// instance again); the other instance's stay light, and the failure (a
// 20404 carries no lightBeatEnabled) does not withdraw the server's
// permission.
func TestLightBeatsPerInstance(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail BeatResult
	}{
		{"20404", BeatResult{Code: CodeNotFound}},
		// A broken connection makes every beat full for a period
		// (TestBrokenConnectionMakesEveryBeatFull); a timeout, the other
		// beat without an answer, leaves the other instances alone.
		{"no answer in time", BeatResult{Err: context.DeadlineExceeded}},
		{"another code", BeatResult{Code: 500}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			a, b := instance(1, 1), instance(1, 2)
			// a's answers, beat by beat; b's are always accepted. Accepted
			// beats carry the server's permission, as Nacos' do.
			aOK := []bool{true, true, false, false, true, true}
			aBeats := 0
			h.f.setAnswer(func(beat Beat) BeatResult {
				if beat.Info == a {
					defer func() { aBeats++ }()
					if !aOK[aBeats] {
						return tc.fail
					}
				}
				return BeatResult{Code: CodeOK, LightBeatEnabled: true}
			})
			require.NoError(t, h.r.Add(a))
			require.NoError(t, h.r.Add(b))
			dues := []time.Duration{firstDue(a), firstDue(b)}
			if dues[1] < dues[0] {
				dues[0], dues[1] = dues[1], dues[0]
			}
			sent := uint64(0)
			for k := range len(aOK) {
				for _, d := range dues {
					sent++
					h.advance(d+time.Duration(k)*a.Period, sent)
					if d == firstDue(a) && !aOK[k] {
						assert.True(t, h.r.light.Load(), "a failure withdraws no permission")
					}
				}
			}
			light := map[*BeatInfo][]bool{}
			for _, beat := range h.f.sent() {
				light[beat.Info] = append(light[beat.Info], beat.Light)
			}
			// The first beat of each is full or light as the permission
			// stood then; from the second on:
			assert.Equal(t, []bool{true, true, false, false, true}, light[a][1:], "a: full after a failure until accepted")
			assert.Equal(t, []bool{true, true, true, true, true}, light[b][1:], "b: light throughout")
			assert.Equal(t, uint64(2), h.r.Stats().Failed.Total())
			assert.False(t, a.Failing())
			assert.Zero(t, h.r.marked.Load(), "every instance healthy again: senders read no flags")
		})
	}
}

// TestBrokenConnectionMakesEveryBeatFull: when a beat fails because its
// connection broke (the server may have restarted empty), every beat sent
// in the next period is full, whichever instance it is for, so a
// restarted server registers them all one period after it starts; after
// that period the instances that were accepted beat light again. A
// timeout does not do it.
func TestBrokenConnectionMakesEveryBeatFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		full bool // whether the failure makes the others' beats full
	}{
		{"connection refused", errors.New("connection refused"), true},
		{"timeout", context.DeadlineExceeded, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			a, b := instance(1, 1), instance(1, 2)
			const failRound = 2
			aBeats := 0
			h.f.setAnswer(func(beat Beat) BeatResult {
				if beat.Info == a {
					defer func() { aBeats++ }()
					if aBeats == failRound {
						return BeatResult{Err: tc.err}
					}
				}
				return BeatResult{Code: CodeOK, LightBeatEnabled: true}
			})
			require.NoError(t, h.r.Add(a))
			require.NoError(t, h.r.Add(b))
			p := a.Period
			type due struct {
				at time.Duration
				b  *BeatInfo
			}
			var dues []due
			for k := range 6 {
				dues = append(dues, due{firstDue(a) + time.Duration(k)*p, a}, due{firstDue(b) + time.Duration(k)*p, b})
			}
			sort.Slice(dues, func(i, j int) bool { return dues[i].at < dues[j].at })
			var failedAt time.Duration
			for i, d := range dues {
				h.advance(d.at, uint64(i+1))
				if d.b == a && failedAt == 0 && aBeats > failRound {
					failedAt = d.at
				}
			}
			require.NotZero(t, failedAt)
			sent := h.f.sent()
			require.Len(t, sent, len(dues))
			for i, beat := range sent {
				at := dues[i].at
				require.Same(t, dues[i].b, beat.Info)
				switch {
				case i < 2:
					continue // the first beats go out before any permission
				case beat.Info == a && at > failedAt && at <= failedAt+p:
					assert.False(t, beat.Light, "a's next beat after its failure is full (at %v)", at)
				case tc.full && at > failedAt && at < failedAt+p:
					assert.False(t, beat.Light, "%s at %v: full within a period of the break", beat.Info.IP, at)
				default:
					assert.True(t, beat.Light, "%s at %v: light", beat.Info.IP, at)
				}
			}
		})
	}
}

// TestNotFoundAfterABreakKeepsBeatsFull: after a broken connection made
// every beat full for a period, a 20404 within the next period (a server
// that restarted empty and has not learned every instance yet) keeps
// every beat full for another period; after a timeout, which made no beat
// full, a 20404 concerns its own instance only.
func TestNotFoundAfterABreakKeepsBeatsFull(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		full bool // whether c's beat after b's 20404 is full
	}{
		{"after a broken connection", errors.New("connection reset"), true},
		{"after a timeout", context.DeadlineExceeded, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			// Three instances due a, b, c within each period.
			var bs []*BeatInfo
			for j := 0; len(bs) < 3; j++ {
				x := instance(2, j)
				if len(bs) > 0 && firstDue(x) <= firstDue(bs[len(bs)-1]) {
					continue
				}
				bs = append(bs, x)
			}
			a, b, c := bs[0], bs[1], bs[2]
			p := a.Period
			// a's beat in period 2 fails with tc.err; b's light beats from
			// period 3 on are answered 20404, as by a server that forgot b.
			h.f.setAnswer(func(beat Beat) BeatResult {
				if beat.Info == a && h.r.sched.Now() >= firstDue(a)+2*p && h.r.sched.Now() < firstDue(a)+3*p {
					return BeatResult{Err: tc.err}
				}
				if beat.Info == b && beat.Light && h.r.sched.Now() >= firstDue(b)+3*p {
					return BeatResult{Code: CodeNotFound}
				}
				return BeatResult{Code: CodeOK, LightBeatEnabled: true}
			})
			for _, x := range bs {
				require.NoError(t, h.r.Add(x))
			}
			n := uint64(0)
			for k := range 4 {
				for _, x := range bs {
					n++
					h.advance(firstDue(x)+time.Duration(k)*p, n)
				}
			}
			sent := h.f.sent()
			require.Len(t, sent, 12)
			// Period 2 (index 6-8): a failed; b and c, within a period of
			// the break, are full only after a broken connection.
			assert.Equal(t, !tc.full, sent[7].Light, "b within a period of the break")
			assert.Equal(t, !tc.full, sent[8].Light, "c within a period of the break")
			// Period 3: b is due more than a period after the break, so
			// its beat is light, and answered 20404; c comes after it.
			require.Same(t, b, sent[10].Info)
			require.True(t, sent[10].Light, "b's beat a period after the break is light")
			require.Same(t, c, sent[11].Info)
			assert.Equal(t, !tc.full, sent[11].Light, "c's beat after b's 20404")
		})
	}
}

// TestManyNotFoundMakeEveryBeatFull: a server that forgets many instances
// at once and keeps the connection (a restart behind a proxy) answers a
// job's light beats 20404: every beat of the next period is full, so each
// instance is registered again by its next beat, not a period after its
// own 20404. One forgotten instance among many changes no other's beats.
func TestManyNotFoundMakeEveryBeatFull(t *testing.T) {
	const n, p, tick = 200, 5 * time.Second, time.Second // about 40 beats a tick
	for _, tc := range []struct {
		name       string
		forgotten  func(j int) bool
		othersFull bool // whether later beats of instances still known are full
	}{
		{"every instance forgotten", func(int) bool { return true }, true},
		{"one instance forgotten", func(j int) bool { return j == 0 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarnessTick(t, Config{}, tick)
			bs := make([]*BeatInfo, n)
			index := map[*BeatInfo]int{}
			for j := range bs {
				bs[j] = instance(3, j)
				index[bs[j]] = j
				require.NoError(t, h.r.Add(bs[j]))
			}
			forgetAt := 2 * p
			h.f.setAnswer(func(beat Beat) BeatResult {
				if beat.Light && h.r.sched.Now() >= forgetAt && tc.forgotten(index[beat.Info]) {
					return BeatResult{Code: CodeNotFound}
				}
				return BeatResult{Code: CodeOK, LightBeatEnabled: true} // a full beat registers
			})
			step := func(to time.Duration) []Beat {
				before := len(h.f.sent())
				h.advanceIdle(to)
				return h.f.sent()[before:]
			}
			for now := tick; now < forgetAt; now += tick {
				step(now)
			}
			// The period after the server forgot: the first tick's light
			// beats meet 20404s; the later ticks' beats are full only if
			// that was many instances at once.
			first := step(forgetAt)
			require.NotEmpty(t, first)
			for _, b := range first {
				require.True(t, b.Light, "beats are light before the first 20404")
			}
			var light, full int
			for now := forgetAt + tick; now < forgetAt+p; now += tick {
				for _, b := range step(now) {
					if tc.forgotten(index[b.Info]) && !tc.othersFull {
						continue // the forgotten instance's own beats are full anyway
					}
					if b.Light {
						light++
					} else {
						full++
					}
				}
			}
			require.Positive(t, light+full)
			if tc.othersFull {
				assert.Zero(t, light, "light beats in the period after many 20404s")
			} else {
				assert.Zero(t, full, "full beats of instances the server still knows")
			}
		})
	}
}
