package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/reactor"
)

// answering answers every beat OK with a clientBeatInterval.
type answering struct {
	beatload.Noop
	d time.Duration
}

func (i answering) SendBeats(_ context.Context, _ []reactor.Beat, results []reactor.BeatResult) {
	for k := range results {
		results[k] = reactor.BeatResult{Code: reactor.CodeOK, ClientBeatInterval: i.d}
	}
}

// TestObserverNotesOtherPeriod: an answer whose interval would change the
// period the load counts on is noted, the first one kept; answers without
// one, or asking for the same period once clamped as the reactor clamps
// it, are not.
func TestObserverNotesOtherPeriod(t *testing.T) {
	const period = 200 * time.Millisecond
	tests := []struct {
		name   string
		answer []time.Duration // one batch each
		want   time.Duration
	}{
		{"same", []time.Duration{period, period}, 0},
		{"no interval", []time.Duration{0}, 0},
		{"changed", []time.Duration{period, time.Second}, time.Second},
		{"first change kept", []time.Duration{time.Second, 2 * time.Second}, time.Second},
		{"clamped as the reactor does", []time.Duration{time.Hour}, reactor.MaxPeriod},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := newObserver(nil)
			o.period = period
			beats, results := make([]reactor.Beat, 3), make([]reactor.BeatResult, 3)
			for _, d := range tc.answer {
				o.Transport = answering{d: d}
				o.SendBeats(context.Background(), beats, results)
			}
			assert.Equal(t, tc.want, o.changed())
		})
	}
	o := newObserver(answering{d: time.Second})
	o.SendBeats(context.Background(), make([]reactor.Beat, 1), make([]reactor.BeatResult, 1))
	assert.Zero(t, o.changed(), "no period to compare with: not checked")
}
