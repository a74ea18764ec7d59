package transport

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
)

// TestBeatsOvertakeRegistrations: beats queued on a connection while it
// writes a long run of registrations go out after at most minSegment more
// of them, not after the run. The
// server holds its first answer until both are queued, so the order it
// reads is decided by the writer alone.
func TestBeatsOvertakeRegistrations(t *testing.T) {
	const (
		inflight = 4
		regs     = 200
		beats    = 3
	)
	var (
		mu    sync.Mutex
		order []string // "R" or "B", as the server read them
		gate  = make(chan struct{})
		once  sync.Once
	)
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx) {
		kind := "R"
		if strings.HasSuffix(string(ctx.Path()), "/beat") {
			kind = "B"
		}
		mu.Lock()
		order = append(order, kind)
		first := len(order) == 1
		mu.Unlock()
		if first {
			<-gate
		}
		nacosHandler(ctx)
	})
	t.Cleanup(func() { once.Do(func() { close(gate) }) })
	c := newClient(t, Config{Servers: []string{ts.addr}, Mode: ModePipeline, Conns: 1, MaxInflightPerConn: inflight})
	p := c.pipes[0][0]
	live := func(f func(s *session) bool) func() bool {
		return func() bool {
			p.mu.Lock()
			defer p.mu.Unlock()
			return p.s != nil && f(p.s)
		}
	}

	infos := make([]*reactor.BeatInfo, regs)
	for i := range infos {
		infos[i] = testInfo(i)
	}
	regErrs := make([]error, regs)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); c.RegisterAll(bg(), infos, regErrs) }()
	// The writer has filled the connection and waits for an answer, in
	// the middle of the registrations.
	require.Eventually(t, live(func(s *session) bool { return s.n.Load() == inflight }), 10*time.Second, time.Millisecond)

	bs := testBeats(beats)
	res := make([]reactor.BeatResult, beats)
	go func() { defer wg.Done(); c.SendBeats(bg(), bs, res) }()
	require.Eventually(t, live(func(s *session) bool { return len(s.queue) > 0 }), 10*time.Second, time.Millisecond)
	once.Do(func() { close(gate) })
	wg.Wait()

	for i, err := range regErrs {
		require.NoError(t, err, "registration %d", i)
	}
	for i, r := range res {
		require.NoError(t, r.Err, "beat %d", i)
		require.Equal(t, reactor.CodeOK, r.Code, "beat %d", i)
	}
	// The writer lets beats in once it has written minSegment
	// registrations since it took the run: the beats come after the
	// minSegment-th, not after the 200th.
	want := strings.Repeat("R", minSegment) + strings.Repeat("B", beats) + strings.Repeat("R", regs-minSegment)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, want, strings.Join(order, ""))
}

// TestBeatsFirst: beat segments go first, each group keeping its order:
// queued beats, the beats of rest, rest's registrations, then the
// registrations queued.
func TestBeatsFirst(t *testing.T) {
	beat, reg := &batch{kind: kindBeat}, &batch{kind: kindRegister}
	seg := func(b *batch, lo int) segment { return segment{b: b, lo: lo, hi: lo + 1} }
	for _, tc := range []struct {
		name        string
		queued      []segment
		rest        []segment
		want        []segment
		sameAsQueue bool
	}{
		{name: "beats only", queued: []segment{seg(beat, 0), seg(beat, 1)},
			want: []segment{seg(beat, 0), seg(beat, 1)}, sameAsQueue: true},
		{name: "registrations only", queued: []segment{seg(reg, 0), seg(reg, 1)},
			want: []segment{seg(reg, 0), seg(reg, 1)}},
		{name: "mixed", queued: []segment{seg(reg, 0), seg(beat, 0), seg(reg, 1), seg(beat, 1)},
			want: []segment{seg(beat, 0), seg(beat, 1), seg(reg, 0), seg(reg, 1)}},
		{name: "with rest", queued: []segment{seg(reg, 5), seg(beat, 2)}, rest: []segment{seg(reg, 3), seg(beat, 9), seg(reg, 4)},
			want: []segment{seg(beat, 2), seg(beat, 9), seg(reg, 3), seg(reg, 4), seg(reg, 5)}},
		{name: "rest only", rest: []segment{seg(reg, 3)}, want: []segment{seg(reg, 3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := beatsFirst(tc.queued, tc.rest)
			assert.Equal(t, tc.want, got)
			if tc.sameAsQueue {
				assert.Same(t, &tc.queued[0], &got[0], "nothing to reorder: the queue itself")
			}
		})
	}
}
