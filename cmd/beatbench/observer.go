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
// as transport failures), and it notes an answer whose clientBeatInterval
// would change the period the load beats at (one answer per batch). It
// adds two clock reads and a pass over the results per batch, nothing per
// accepted beat.
type observer struct {
	reactor.Transport
	send *measure.Histogram
	http atomic.Uint64
	// period is the period the load counts on; 0: no check. Set before
	// the first SendBeats.
	period time.Duration
	// other is the first other period an answer set, in ns; 0: none.
	other atomic.Int64
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
	check := o.period > 0 // one answer per batch: the interval is the server's, not the instance's
	for i := range results {
		res := &results[i]
		if res.Err != nil && isHTTPStatus(res.Err) {
			n++
		}
		if check && res.Err == nil && res.ClientBeatInterval > 0 {
			check = false
			if p := adopted(res.ClientBeatInterval); p != o.period {
				o.other.CompareAndSwap(0, int64(p))
			}
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

// changed returns the first period other than o.period that an answer set,
// or 0.
func (o *observer) changed() time.Duration { return time.Duration(o.other.Load()) }
