package reliability

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/beatwheel/beatwheel/transport"
	"github.com/beatwheel/beatwheel/transport/nacostest"
)

// testServices is how many services the test instances are spread over.
const testServices = 50

// counting is a reactor.Transport decorator that counts what the Reactor
// hands to, and gets back from, the real transport: the independent tally
// the Reactor's Stats are checked against.
type counting struct {
	next reactor.Transport

	results, ok, notFound, otherCode atomic.Uint64
	// Failed beats, classified the way the Reactor classifies them
	// (timeout: context deadline or a net.Error that timed out) ...
	failTimeout, failOther atomic.Uint64
	// ... and by the transport's error types.
	status, response, tooLarge, conn atomic.Uint64
	// cut counts the beats and registrations that failed with a timeout
	// or a connection error: what kills a pipelined session, failing the
	// beats in flight on it whatever the server answered them.
	cut atomic.Uint64

	// rateOf, when set, is read at each Register call: the rate the
	// Reactor's re-registrations are held to then.
	rateOf func() float64
	// forgetRegisters keeps registerAt empty: a test that compares the
	// heap across a million registrations must not grow it itself.
	forgetRegisters bool

	mu           sync.Mutex
	registerAt   []time.Time    // when each Register call started
	registerLog  []registration // each Register call, when rateOf is set
	registerErrs struct{ status, response, conn, other int }
	lastOK       map[*reactor.BeatInfo]time.Time // only when track is set
	track        bool
	errTexts     []string // every error text, when keepErrs is set
	keepErrs     bool
}

func newCounting(next reactor.Transport) *counting {
	return &counting{next: next, lastOK: map[*reactor.BeatInfo]time.Time{}}
}

func (c *counting) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	c.next.SendBeats(ctx, beats, results)
	now := time.Now()
	c.results.Add(uint64(len(beats)))
	var texts []string
	for i, r := range results[:len(beats)] {
		if r.Err != nil {
			c.countCut(r.Err)
			if reactorTimeout(r.Err) {
				c.failTimeout.Add(1)
			} else {
				c.failOther.Add(1)
			}
			var se *transport.StatusError
			var re *transport.ResponseError
			switch {
			case errors.As(r.Err, &se):
				c.status.Add(1)
			case errors.As(r.Err, &re):
				c.response.Add(1)
			case errors.Is(r.Err, transport.ErrBodyTooLarge):
				c.tooLarge.Add(1)
			case errors.Is(r.Err, transport.ErrConnection):
				c.conn.Add(1)
			}
			if c.keepErrs {
				texts = append(texts, r.Err.Error(), fmt.Sprintf("%+v", r.Err))
			}
			continue
		}
		switch r.Code {
		case reactor.CodeOK:
			c.ok.Add(1)
		case reactor.CodeNotFound:
			c.notFound.Add(1)
		default:
			c.otherCode.Add(1)
		}
		if c.track && r.Code == reactor.CodeOK {
			c.mu.Lock()
			c.lastOK[beats[i].Info] = now
			c.mu.Unlock()
		}
	}
	if len(texts) > 0 {
		c.mu.Lock()
		c.errTexts = append(c.errTexts, texts...)
		c.mu.Unlock()
	}
}

// countCut counts err in cut if it is a timeout or a connection error.
func (c *counting) countCut(err error) {
	if reactorTimeout(err) || errors.Is(err, transport.ErrConnection) {
		c.cut.Add(1)
	}
}

// reactorTimeout mirrors how the Reactor counts a failure as a timeout.
func reactorTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// registration is one Register call: when it started, the Reactor's
// re-registration rate then, and whether it failed.
type registration struct {
	at     time.Time
	rate   float64
	failed bool
}

func (c *counting) Register(ctx context.Context, b *reactor.BeatInfo) error {
	// The start and the rate are read together under mu, so calls that
	// start one after another read them in that order: the rate, which
	// only rises between cuts, never seems to fall between two starts.
	c.mu.Lock()
	at := time.Now()
	var perSecond float64
	if c.rateOf != nil {
		perSecond = c.rateOf()
	}
	if !c.forgetRegisters {
		c.registerAt = append(c.registerAt, at)
	}
	c.mu.Unlock()
	err := c.next.Register(ctx, b)
	if c.rateOf != nil {
		c.mu.Lock()
		c.registerLog = append(c.registerLog, registration{at: at, rate: perSecond, failed: err != nil})
		c.mu.Unlock()
	}
	if err != nil {
		c.countCut(err)
		var se *transport.StatusError
		var re *transport.ResponseError
		c.mu.Lock()
		switch {
		case errors.As(err, &se):
			c.registerErrs.status++
		case errors.As(err, &re):
			c.registerErrs.response++
		case errors.Is(err, transport.ErrConnection):
			c.registerErrs.conn++
		default:
			c.registerErrs.other++
		}
		if c.keepErrs {
			c.errTexts = append(c.errTexts, err.Error(), fmt.Sprintf("%+v", err))
		}
		c.mu.Unlock()
	}
	return err
}

func (c *counting) Deregister(ctx context.Context, b *reactor.BeatInfo) error {
	return c.next.Deregister(ctx, b)
}

// registerErrors returns a copy of the Register failures counted so far,
// by kind.
func (c *counting) registerErrors() struct{ status, response, conn, other int } {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.registerErrs
}

// failures is a copy of the decorator's failure counts, beats and
// registrations together: 500s, malformed answers, and timeouts or
// connection errors (cut).
type failures struct{ status, response, cut uint64 }

// tally returns the failures counted so far.
func (c *counting) tally() failures {
	re := c.registerErrors()
	return failures{
		status:   c.status.Load() + uint64(re.status),
		response: c.response.Load() + uint64(re.response),
		cut:      c.cut.Load(),
	}
}

// sub returns the failures counted since earlier.
func (f failures) sub(earlier failures) failures {
	return failures{f.status - earlier.status, f.response - earlier.response, f.cut - earlier.cut}
}

// staleSince returns how many of infos have had no beat accepted (CodeOK)
// after t. It needs track set.
func (c *counting) staleSince(infos []*reactor.BeatInfo, t time.Time) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	stale := 0
	for _, b := range infos {
		if !c.lastOK[b].After(t) {
			stale++
		}
	}
	return stale
}

// busySlack is what a busy machine may add to a deadline in the short form
// of a test. The short forms run in CI beside other work: they check that
// every instance comes back, which an instance left behind fails after any
// wait. The long forms, run on a machine of their own, check the tight
// bounds.
func busySlack() time.Duration {
	if long() {
		return 0
	}
	return 10 * time.Second
}

// waitAccepted waits until every instance of the stack has had a beat
// accepted after t, or until t + bound + lag, where lag is the most the
// Reactor saw a beat leave late plus the longest send (read as it waits:
// a busy machine's lag). It returns how many are still stale and the
// bound it gave them.
func (st *stack) waitAccepted(t time.Time, bound time.Duration) (int, time.Duration) {
	for {
		stale := st.dec.staleSince(st.infos, t)
		s := st.r.Stats()
		limit := bound + s.Lateness.Max + s.SendLatency.Max
		if stale == 0 || time.Since(t) > limit {
			return stale, limit
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quantile is a quantile read from a Histogram: somewhere in (low, high].
type quantile struct{ low, high time.Duration }

// quantileBetween returns the q-quantile of the observations recorded
// between two readings of the same Histogram, to its bucket.
func quantileBetween(from, to reactor.Histogram, q float64) quantile {
	n := to.Count - from.Count
	want := uint64(math.Ceil(q * float64(n)))
	low := time.Duration(0)
	for i, b := range to.Buckets {
		if b.Count-from.Buckets[i].Count >= want {
			return quantile{low, b.UpperBound}
		}
		low = b.UpperBound
	}
	return quantile{low, time.Duration(math.MaxInt64)}
}

// registrations returns the Register calls logged so far (rateOf set), in
// the order they started.
func (c *counting) registrations() []registration {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := append([]registration(nil), c.registerLog...)
	sort.Slice(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

// registers returns the start times of every Register call so far.
func (c *counting) registers() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.registerAt...)
}

// maxInWindow returns the most of the sorted times that fall in any window
// [t, t+w).
func maxInWindow(times []time.Time, w time.Duration) int {
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	best, j := 0, 0
	for i := range times {
		for j < len(times) && times[j].Sub(times[i]) < w {
			j++
		}
		best = max(best, j-i)
	}
	return best
}

// stack is a Reactor beating through a pipelined transport.Client (wrapped
// in counting) to a nacostest.Server.
type stack struct {
	t      *testing.T
	srv    *nacostest.Server
	client *transport.Client
	dec    *counting
	r      *reactor.Reactor
	infos  []*reactor.BeatInfo
	closed bool
}

// newStack starts the server, the client and the Reactor; the caller adds
// the instances. Everything is closed at cleanup, Reactor first. wrap, if
// given, wraps the counted transport the Reactor uses.
func newStack(t *testing.T, scfg nacostest.Config, tcfg transport.Config, rcfg reactor.Config,
	wrap ...func(reactor.Transport) reactor.Transport) *stack {
	t.Helper()
	st := &stack{t: t}
	srv, err := nacostest.Start(scfg)
	require.NoError(t, err)
	st.srv = srv
	// Registered before start's: runs after the Reactor is closed, on
	// whatever server the test left in st.srv.
	t.Cleanup(func() { _ = st.srv.Close() })
	tcfg.Servers = []string{srv.Addr()}
	st.start(tcfg, rcfg, wrap...)
	return st
}

// start starts the client with tcfg (Servers set by the caller) and the
// Reactor with rcfg beating through it, wrapped in counting. The client
// and the Reactor are closed at cleanup, Reactor first; st.srv, if any, is
// the caller's to close.
func (st *stack) start(tcfg transport.Config, rcfg reactor.Config, wrap ...func(reactor.Transport) reactor.Transport) {
	st.t.Helper()
	var err error
	st.client, err = transport.New(tcfg)
	require.NoError(st.t, err)
	st.dec = newCounting(st.client)
	rcfg.Transport = st.dec
	for _, w := range wrap {
		rcfg.Transport = w(rcfg.Transport)
	}
	st.r, err = reactor.New(rcfg)
	require.NoError(st.t, err)
	st.t.Cleanup(st.close)
}

// close stops the Reactor, then the client: every count is final after it.
func (st *stack) close() {
	if st.closed {
		return
	}
	st.closed = true
	require.NoError(st.t, st.r.Close(context.Background()))
	_ = st.client.Close()
}

// add adds instances 0 to n-1 of beatload's population (over testServices
// services, distinct keys), beating every period.
func (st *stack) add(n int, period time.Duration) {
	st.t.Helper()
	services := beatload.Services(testServices)
	for i := range n {
		b := beatload.Instance(i, services, period)
		require.NoError(st.t, st.r.Add(b))
		st.infos = append(st.infos, b)
	}
}

// allHealthy reports whether the server knows exactly the stack's
// instances and holds every one healthy.
func (st *stack) allHealthy() bool {
	c := st.srv.Counters()
	return st.srv.Len() == len(st.infos) && c.Healthy == len(st.infos)
}

// waitHealthy waits up to limit for allHealthy and returns how long it took.
func (st *stack) waitHealthy(limit time.Duration) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < limit {
		if st.allHealthy() {
			return time.Since(start), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start), st.allHealthy()
}

// checkEach checks every instance one by one at the server.
func (st *stack) checkEach() {
	st.t.Helper()
	missing := 0
	for _, b := range st.infos {
		in, ok := st.srv.Instance("", b.ServiceName, "", b.IP, b.Port)
		if !ok || !in.Healthy {
			missing++
		}
	}
	require.Zero(st.t, missing, "instances missing or unhealthy at the server")
}

// checkCounts checks, once the stack is closed, that the Reactor counted
// every beat exactly once: its Stats equal the decorator's independent
// tally, and Sent is OK plus every kind of failure.
func (st *stack) checkCounts() reactor.Stats {
	st.t.Helper()
	s := st.r.Stats()
	d := st.dec
	require.Equal(st.t, s.Sent, s.OK+s.Failed.Total(), "Sent == OK + Failed: %+v", s)
	require.Equal(st.t, d.results.Load(), s.Sent, "beats sent")
	require.Equal(st.t, d.ok.Load(), s.OK, "OK")
	require.Equal(st.t, d.notFound.Load(), s.Failed.NotFound, "20404")
	require.Equal(st.t, d.otherCode.Load(), s.Failed.Code, "other codes")
	require.Equal(st.t, d.failTimeout.Load(), s.Failed.Timeout, "timeouts")
	require.Equal(st.t, d.failOther.Load(), s.Failed.Transport, "transport failures")
	require.Zero(st.t, s.InFlight)
	return s
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
