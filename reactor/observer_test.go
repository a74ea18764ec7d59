package reactor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
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
		if tr.State == StateReregistered {
			return // comes from the re-registration workers, in their own time: TestObserverSeesReregistration
		}
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

func TestObserverSeesReregistration(t *testing.T) {
	for _, tc := range []struct {
		name        string
		registerErr error
		want        []State
	}{
		{"registered again", nil, []State{StateNotFound, StateReregistered}},
		{"registration failed: no news", errors.New("HTTP 503"), []State{StateNotFound}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu  sync.Mutex
				got []State
			)
			h := newHarness(t, Config{Observer: func(tr Transition) {
				mu.Lock()
				defer mu.Unlock()
				got = append(got, tr.State)
			}})
			h.f.registerErr = tc.registerErr
			h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: CodeNotFound} })
			b := instance(1, 1)
			require.NoError(t, h.r.Add(b))
			h.advance(firstDue(b), 1)
			require.Eventually(t, func() bool {
				st := h.r.Stats()
				return st.Reregistered+st.ReregisterFailed == 1
			}, 10*time.Second, time.Millisecond)
			require.NoError(t, h.r.Close(context.Background()))
			mu.Lock()
			defer mu.Unlock()
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestNoReregistrationOnceABeatIsAccepted(t *testing.T) {
	// An instance queued for re-registration whose full beat the server
	// has accepted since its 20404 (Nacos 1.4 registers it from that
	// beat) is not registered again: after a restart that would double
	// the load on a server that is already busy.
	const workers, n = reregisterWorkers, reregisterWorkers + 3
	release := make(chan struct{})
	h := newHarness(t, Config{SkipLate: neverSkip})
	var calls atomic.Int32
	h.f.onRegister = func(*BeatInfo) {
		if calls.Add(1) <= workers {
			<-release // every worker holds one registration
		}
	}
	var code atomic.Int32
	code.Store(CodeNotFound)
	h.f.setAnswer(func(Beat) BeatResult { return BeatResult{Code: int(code.Load())} })
	var due time.Duration
	for j := range n {
		b := instance(1, j)
		require.NoError(t, h.r.Add(b))
		due = max(due, firstDue(b))
	}
	h.advance(due, n) // all 20404: the workers block, the rest wait in the queue
	require.Eventually(t, func() bool { return calls.Load() == workers }, 10*time.Second, time.Millisecond)
	code.Store(CodeOK)
	h.advance(due+5*time.Second, 2*n) // every instance's full beat accepted
	close(release)
	require.Eventually(t, func() bool {
		h.r.rereg.mu.Lock()
		defer h.r.rereg.mu.Unlock()
		return len(h.r.rereg.queue) == 0 && h.r.Stats().Reregistered == workers
	}, 10*time.Second, time.Millisecond)
	require.Never(t, func() bool { return calls.Load() > workers }, 300*time.Millisecond, time.Millisecond,
		"an instance known again was registered again")
	st := h.r.Stats()
	assert.Equal(t, uint64(n-workers), st.ReregisterUnneeded, "the queued ones dropped unmade")
	assert.Equal(t, st.Failed.NotFound, st.Reregistered+st.ReregisterFailed+st.ReregisterCoalesced+st.ReregisterUnneeded,
		"every 20404 counted once")
	require.NoError(t, h.r.Close(context.Background()))
	assert.Equal(t, int32(workers), calls.Load())
}
