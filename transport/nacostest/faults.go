package nacostest

import (
	"math/rand/v2"
	"time"

	"github.com/valyala/fasthttp"
)

// faultSet is a Faults with its cumulative thresholds: one uniform draw r
// picks reset when r < reset, error when r < errorUpTo, malformed when
// r < malformedUpTo.
type faultSet struct {
	Faults
	reset, errorUpTo, malformedUpTo float64
}

func newFaultSet(f Faults) *faultSet {
	fs := &faultSet{Faults: f}
	fs.reset = f.ResetRate
	fs.errorUpTo = fs.reset + f.ErrorRate
	fs.malformedUpTo = fs.errorUpTo + f.MalformedRate
	return fs
}

// malformedBody is what a malformed answer says: JSON cut short.
const malformedBody = `{"clientBeatInterval":5000,"code":102`

// injectFault applies the current faults to a naming request. It reports
// whether the request was answered (or its connection reset) by a fault.
func (s *Server) injectFault(ctx *fasthttp.RequestCtx, st *counterStripe) bool {
	f := s.faults.Load()
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-s.done:
			t.Stop()
		}
	}
	if f.malformedUpTo <= 0 {
		return false
	}
	// math/rand/v2's top-level functions draw from a per-thread runtime
	// source: no lock, no allocation.
	r := rand.Float64()
	switch {
	case r < f.reset:
		st.resets.Add(1)
		ctx.SetConnectionClose()
		closeRaw(ctx.Conn(), true)
	case r < f.errorUpTo:
		st.errors.Add(1)
		writeText(ctx, fasthttp.StatusInternalServerError, "server error: injected by nacostest")
	case r < f.malformedUpTo:
		st.malformed.Add(1)
		ctx.SetStatusCode(fasthttp.StatusOK)
		ctx.SetContentType(contentJSON)
		ctx.SetBodyString(malformedBody)
	default:
		return false
	}
	return true
}
