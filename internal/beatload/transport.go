package beatload

import (
	"context"
	"unsafe"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
)

// Transport is the no-op reactor.Transport: every beat goes through Beat
// into Meter, with the lateness the reactor measured, and is answered 10200
// with no interval and light beats off. Registrations succeed. It is safe
// for concurrent use and allocates nothing.
type Transport struct {
	Meter *measure.Meter
}

var _ reactor.Transport = Transport{}

// SendBeats answers every beat 10200.
func (t Transport) SendBeats(_ context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	for i, b := range beats {
		// The BeatInfo's address spreads concurrent senders over the
		// Meter's stripes.
		Beat(t.Meter, uint64(uintptr(unsafe.Pointer(b.Info))>>7), b.Late)
		results[i] = reactor.BeatResult{Code: reactor.CodeOK}
	}
}

// Register succeeds.
func (Transport) Register(context.Context, *reactor.BeatInfo) error { return nil }

// Deregister succeeds.
func (Transport) Deregister(context.Context, *reactor.BeatInfo) error { return nil }
