package reactor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestObserverSeesTransitionsOnly: the Observer hears each change of an
// instance's state once, with its kind and time, and nothing of the beats
// that change nothing.
func TestObserverSeesTransitionsOnly(t *testing.T) {
	var (
		mu  sync.Mutex
		got []Transition
	)
	h := newHarness(t, Config{Observer: func(tr Transition) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, tr)
	}})
	reset := errors.New("connection reset")
	answers := []BeatResult{
		{Code: CodeOK},
		{Code: CodeOK},
		{Err: context.DeadlineExceeded},
		{Err: reset}, // still failing: no news
		{Code: CodeOK},
		{Code: CodeNotFound},
		{Code: CodeNotFound}, // still unknown: no news
		{Code: CodeOK},
		{Code: 500},
		{Code: CodeNotFound},
		{Code: CodeOK},
		{Code: CodeOK},
	}
	type step struct {
		state   State
		kind    FailureKind
		err     error
		failing bool
	}
	want := []step{
		{StateFailing, KindTimeout, context.DeadlineExceeded, true},
		{StateRecovered, KindNone, nil, false},
		{StateNotFound, KindNotFound, nil, true},
		{StateRecovered, KindNone, nil, false},
		{StateFailing, KindCode, nil, true},
		{StateNotFound, KindNotFound, nil, true},
		{StateRecovered, KindNone, nil, false},
	}
	call := 0
	h.f.setAnswer(func(Beat) BeatResult { defer func() { call++ }(); return answers[call] })
	b := instance(1, 1)
	require.NoError(t, h.r.Add(b))
	var failing []bool
	seen := 0
	for k := range answers {
		h.advance(firstDue(b)+time.Duration(k)*b.Period, uint64(k+1))
		mu.Lock()
		if len(got) > seen {
			failing = append(failing, b.Failing())
			seen = len(got)
		}
		mu.Unlock()
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, len(want))
	for i, w := range want {
		assert.Same(t, b, got[i].Info)
		assert.Equal(t, w.state, got[i].State, "transition %d", i)
		assert.Equal(t, w.kind, got[i].Kind, "transition %d", i)
		assert.Equal(t, w.err, got[i].Err, "transition %d", i)
		assert.False(t, got[i].At.IsZero())
		if i > 0 {
			assert.False(t, got[i].At.Before(got[i-1].At))
		}
	}
	require.Len(t, failing, len(want))
	for i, w := range want {
		assert.Equal(t, w.failing, failing[i], "Failing() after transition %d", i)
	}
	assert.Equal(t, "failing", StateFailing.String())
	assert.Equal(t, "timeout", KindTimeout.String())
}
