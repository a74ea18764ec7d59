package reactor

import (
	"errors"
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
		{"no answer", BeatResult{Err: errors.New("connection refused")}},
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
