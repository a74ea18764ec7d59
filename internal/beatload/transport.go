package beatload

import (
	"context"
	"unsafe"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
)

// Noop is the no-op reactor.Transport: every beat is answered 10200 with no
// interval and light beats off, every registration succeeds, and nothing
// is sent. Safe for concurrent use; allocates nothing.
type Noop struct{}

var _ reactor.Transport = Noop{}

// SendBeats answers every beat 10200.
func (Noop) SendBeats(_ context.Context, _ []reactor.Beat, results []reactor.BeatResult) {
	for i := range results {
		results[i] = reactor.BeatResult{Code: reactor.CodeOK}
	}
}

// Register succeeds.
func (Noop) Register(context.Context, *reactor.BeatInfo) error { return nil }

// Deregister succeeds.
func (Noop) Deregister(context.Context, *reactor.BeatInfo) error { return nil }

// Recorder is a reactor.Transport that sends through Transport and records
// into Meter, through Beat, every beat the server accepted (code 10200),
// with the lateness the reactor measured. It is how beats through a reactor
// are counted the same way as beats on a bare scheduler. Safe for
// concurrent use; adds no allocation.
type Recorder struct {
	reactor.Transport
	Meter *measure.Meter
}

// SendBeats sends beats and records the accepted ones.
func (r Recorder) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	r.Transport.SendBeats(ctx, beats, results)
	for i, b := range beats {
		if results[i].Err == nil && results[i].Code == reactor.CodeOK {
			// The BeatInfo's address spreads concurrent senders over
			// the Meter's stripes.
			Beat(r.Meter, uint64(uintptr(unsafe.Pointer(b.Info))>>7), b.Late)
		}
	}
}
