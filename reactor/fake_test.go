package reactor

import (
	"context"
	"sync"
	"time"
)

// fakeTransport answers beats from a script and records every call.
type fakeTransport struct {
	mu sync.Mutex
	// answer decides the answer to a beat; nil answers 10200 with light
	// beats off and no interval.
	answer func(b Beat) BeatResult
	// block, when set, holds SendBeats until it is closed or ctx is done.
	block chan struct{}
	// registerErr is returned by Register, deregisterErr by Deregister.
	registerErr, deregisterErr error
	// onRegister and onDeregister, when set, run at the start of
	// Register and Deregister, outside mu.
	onRegister, onDeregister func(*BeatInfo)

	beats        []Beat
	registers    []*BeatInfo
	registerAt   []time.Time
	deregisters  []*BeatInfo
	sendsStarted chan struct{}
}

func newFake() *fakeTransport {
	return &fakeTransport{sendsStarted: make(chan struct{}, 1024)}
}

func (f *fakeTransport) SendBeats(ctx context.Context, beats []Beat, results []BeatResult) {
	select {
	case f.sendsStarted <- struct{}{}:
	default:
	}
	f.mu.Lock()
	block := f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			for i := range results {
				results[i] = BeatResult{Err: ctx.Err()}
			}
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, b := range beats {
		f.beats = append(f.beats, b)
		if f.answer != nil {
			results[i] = f.answer(b)
		} else {
			results[i] = BeatResult{Code: CodeOK}
		}
	}
}

func (f *fakeTransport) Register(_ context.Context, b *BeatInfo) error {
	if f.onRegister != nil {
		f.onRegister(b)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registers = append(f.registers, b)
	f.registerAt = append(f.registerAt, time.Now())
	return f.registerErr
}

func (f *fakeTransport) Deregister(_ context.Context, b *BeatInfo) error {
	if f.onDeregister != nil {
		f.onDeregister(b)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deregisters = append(f.deregisters, b)
	return f.deregisterErr
}

func (f *fakeTransport) deregistered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.deregisters)
}

func (f *fakeTransport) setAnswer(a func(Beat) BeatResult) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answer = a
}

// sent returns the beats sent so far.
func (f *fakeTransport) sent() []Beat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Beat(nil), f.beats...)
}

func (f *fakeTransport) registered() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.registers)
}

// sentSince returns the beats sent after the first k.
func (f *fakeTransport) sentSince(k int) []Beat {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Beat(nil), f.beats[k:]...)
}
