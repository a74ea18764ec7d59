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
	assert.Zero(t, h.r.marked.Load(), "healthy again: senders read no flags")
	assert.Equal(t, "failing", StateFailing.String())
	assert.Equal(t, "timeout", KindTimeout.String())
}

// TestMarksOfRemovedInstancesAreCleared: an instance removed while
// failing, unknown to the server or just skipped leaves no mark behind, so
// the senders go back to reading no BeatInfo.
func TestMarksOfRemovedInstancesAreCleared(t *testing.T) {
	h := newHarness(t, Config{})
	answers := map[*BeatInfo]BeatResult{}
	h.f.setAnswer(func(b Beat) BeatResult { return answers[b.Info] })
	failing, unknown, skipped := instance(1, 1), instance(1, 2), instance(1, 3)
	answers[failing] = BeatResult{Err: errors.New("connection reset")}
	answers[unknown] = BeatResult{Code: CodeNotFound}
	answers[skipped] = BeatResult{Code: CodeOK}
	require.NoError(t, h.r.Add(failing))
	require.NoError(t, h.r.Add(unknown))
	last := max(firstDue(failing), firstDue(unknown))
	h.advance(min(firstDue(failing), firstDue(unknown)), 1)
	h.advance(last, 2)
	// skipped's first beat comes a second late: skipped.
	require.NoError(t, h.r.Add(skipped))
	require.NoError(t, h.w.Advance(last+jitter(skipped.Key(), skipped.Period)+time.Second))
	require.Eventually(t, func() bool { return h.r.Stats().Skipped == 1 }, 10*time.Second, time.Millisecond)
	require.Equal(t, int64(3), h.r.marked.Load())
	for _, b := range []*BeatInfo{failing, unknown, skipped} {
		require.True(t, h.r.Remove(b.ServiceName, b.IP, b.Port))
	}
	assert.Zero(t, h.r.marked.Load())
}
