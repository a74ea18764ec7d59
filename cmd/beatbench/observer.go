package main

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
)

// observer is a reactor.Transport that sends through another and measures
// what the reactor's Stats cannot show second by second: the duration of
// each batch (into a histogram that can be diffed between two samples) and
// the beats answered with an HTTP error status (which the reactor counts
// as transport failures). It adds two clock reads and a pass over the
// results per batch, nothing per accepted beat.
type observer struct {
	reactor.Transport
	send *measure.Histogram
	http atomic.Uint64
}

func newObserver(t reactor.Transport) *observer {
	return &observer{Transport: t, send: measure.NewHistogram()}
}

// SendBeats sends beats through the wrapped transport and measures them.
func (o *observer) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	t0 := time.Now()
	o.Transport.SendBeats(ctx, beats, results)
	took := time.Since(t0)
	if len(beats) > 0 {
		// The batch's address spreads concurrent senders over stripes.
		o.send.Record(uint64(uintptr(unsafe.Pointer(&beats[0]))>>7), took)
	}
	var n uint64
	for i := range results {
		if results[i].Err != nil && isHTTPStatus(results[i].Err) {
			n++
		}
	}
	if n > 0 {
		o.http.Add(n)
	}
}

// isHTTPStatus says whether err is an answer with an HTTP error status.
func isHTTPStatus(err error) bool {
	var se *transport.StatusError
	return errors.As(err, &se)
}

// fill adds the observer's counters to st.
func (o *observer) fill(st *status) {
	st.http = o.http.Load()
	st.send = o.send.Snapshot()
}
