package reactor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLightBeatsPerInstance: after a 20404, that instance's beats are
// full until the server accepts one; the other instance's stay light, and
// the 20404 (which carries no lightBeatEnabled) does not withdraw the
// server's permission.
func TestLightBeatsPerInstance(t *testing.T) {
	h := newHarness(t, Config{})
	a, b := instance(1, 1), instance(1, 2)
	// a's answers, beat by beat; b's are always accepted. Accepted beats
	// carry the server's permission, as Nacos' do.
	aCodes := []int{CodeOK, CodeOK, CodeNotFound, CodeNotFound, CodeOK, CodeOK}
	aBeats := 0
	h.f.setAnswer(func(beat Beat) BeatResult {
		code := CodeOK
		if beat.Info == a {
			code = aCodes[aBeats]
			aBeats++
		}
		if code != CodeOK {
			return BeatResult{Code: code}
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
	for k := range len(aCodes) {
		for _, d := range dues {
			sent++
			h.advance(d+time.Duration(k)*a.Period, sent)
			if d == firstDue(a) && aCodes[k] == CodeNotFound {
				assert.True(t, h.r.light.Load(), "a 20404 withdraws no permission")
			}
		}
	}
	light := map[*BeatInfo][]bool{}
	for _, beat := range h.f.sent() {
		light[beat.Info] = append(light[beat.Info], beat.Light)
	}
	// The first beat of each is full or light as the permission stood
	// then; from the second on:
	assert.Equal(t, []bool{true, true, false, false, true}, light[a][1:], "a: full after a 20404 until accepted")
	assert.Equal(t, []bool{true, true, true, true, true}, light[b][1:], "b: light throughout")
	assert.Equal(t, uint64(2), h.r.Stats().Failed.NotFound)
	assert.False(t, a.Failing())
	assert.Zero(t, h.r.marked.Load(), "every instance healthy again: senders read no flags")
}
