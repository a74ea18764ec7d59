package transport

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
)

// How ModePipeline works.
//
// Each server has Conns pconns. A pconn holds at most one live session (a
// net.Conn with one writer and one reader goroutine) and, once the server's
// per-connection request limit is known, one pre-dialled spare. SendBeats
// cuts its batch into segments, appends each to a session's queue and waits
// once for the whole batch (batch.left reaches 0, one send on batch.wake).
//
// The writer takes every queued segment, and for each beat pushes an entry
// {batch, index} on the inflight channel, then appends the raw request to
// its buffer; it writes the buffer with one Write per wake-up (or when it
// grows past flushAt, or before waiting on a full inflight channel). The
// inflight channel's capacity is MaxInflightPerConn: the back-pressure.
//
// The reader waits for answer bytes (so it also sees a server that closes
// an idle connection), pops the next entry, reads the answer and completes
// the entry. A read deadline is armed while entries are in flight and
// refreshed whenever the reader has consumed what it had buffered: it
// bounds the wait from the moment the reader last caught up with the
// socket, once per read of many answers rather than once per answer.
//
// Connection limits. Servers end connections: Tomcat (under Nacos 1.x)
// answers the 100th request on a connection with "Connection: close", and
// closes idle ones. The limit a connection carries is
// Config.MaxRequestsPerConn, or else the one learned from the server (the
// number of answers up to one with "Connection: close", or 1+N after
// "Keep-Alive: max=N"). A writer writes at most that many requests on its
// session; at half of it the pconn dials a spare in its own goroutine (no
// lock held), and when the writer reaches the limit it hands what it did
// not write to the spare and stops. Its reader reads the last answers and
// the connection ends with nothing in flight.
//
// Any error kills the session once. When the server ended the connection
// in an orderly way (an answer with "Connection: close", EOF, a reset or a
// broken pipe) the beats in flight were not processed (RFC 7230 §6.3.2):
// beats are idempotent, so the reader sends them again, once, on the next
// session of the same pconn, without failing over; a beat already sent
// again fails. Otherwise (a timeout, a malformed answer, Close) the beats
// in flight fail with the error. Segments not yet written move to the next
// session; after an error that was not an orderly close, or a session that
// got no answer at all, a segment moves once and fails the second time.
// Dialling happens in a goroutine of its own, outside p.mu: batches queue
// their segments on the pconn meanwhile, and Close cancels the dial.
//
// Registrations and deregistrations (RegisterAll, DeregisterAll) travel
// the same way: a batch has one kind of request, which the writer encodes
// and the reader parses by. Below, "beat" means any request of a batch.
// Beats go first: the writer takes beat segments before registrations,
// and a writer in the middle of registrations, once it has written
// minSegment of them, stops when a beat segment is queued, writes it, then
// goes on (a beat late by a period is lost; a registration can wait).

const (
	minSegment = 32 // beats per segment before a batch uses another connection
	// maxPooledBatch is the most beats whose copies a pooled batch keeps:
	// a reactor's batches (256 by default) reuse theirs, where a large
	// RegisterAll's (beatbench registers 4,096 at a time) would keep
	// megabytes in the pool after the registrations are over.
	maxPooledBatch = 1024
	flushAt        = 64 << 10 // write once this much is buffered
	readBufSize    = 16 << 10
)

var (
	errUnexpectedAnswer = errors.New("answer with no request in flight")
	errServerClosing    = errors.New("server closed the connection (Connection: close)")
	// errConnUsedUp ends a session that carried its limit and got every
	// answer; it never reaches a beat.
	errConnUsedUp = errors.New("connection carried its request limit")
)

type batch struct {
	kind    reqKind // what every request of the batch is
	ctx     context.Context
	done    <-chan struct{}
	beats   []reactor.Beat
	results []reactor.BeatResult
	token   string
	left    atomic.Int32
	wake    chan struct{}
}

// newBatch makes a batch for Client.batches.
func newBatch() any { return &batch{wake: make(chan struct{}, 1)} }

func (b *batch) finish(i int, r reactor.BeatResult) {
	b.results[i] = r
	if b.left.Add(-1) == 0 {
		b.wake <- struct{}{}
	}
}

func (b *batch) fail(lo, hi int, err error) {
	if lo >= hi {
		return
	}
	for i := lo; i < hi; i++ {
		b.results[i] = reactor.BeatResult{Err: err}
	}
	if b.left.Add(int32(lo-hi)) == 0 {
		b.wake <- struct{}{}
	}
}

// segment is beats [lo, hi) of a batch, queued for one connection.
// retried marks beats already written once on a connection that the server
// ended before answering them (or that moved on from a session that got no
// answer): the next break fails them.
type segment struct {
	b       *batch
	lo, hi  int
	retried bool
}

// failSegs fails every beat of segs with err.
func failSegs(segs []segment, err error) {
	for _, seg := range segs {
		seg.b.fail(seg.lo, seg.hi, err)
	}
}

type entry struct {
	b       *batch
	i       int
	retried bool
}

// sendPipelined sends a request of kind k for each of beats (for
// registrations, only their Info counts) and waits for every answer, or
// until ctx is done: then every beat gets ctx's error, answered or not.
func (c *Client) sendPipelined(ctx context.Context, k reqKind, beats []reactor.Beat, results []reactor.BeatResult, token string) {
	b := c.batches.Get().(*batch)
	n := len(beats)
	// The batch works on copies of beats and results (80 bytes a beat,
	// against microseconds of sending it), so that it can be left to the
	// beats in flight when ctx ends: their late answers land in the
	// copies, which the caller no longer reads.
	b.beats = append(b.beats[:0], beats...)
	b.results = slices.Grow(b.results[:0], n)[:n]
	b.kind, b.ctx, b.done, b.token = k, ctx, ctx.Done(), token
	b.left.Store(int32(n))
	pcs := c.pipes[c.cur.Load()]
	segs := (n + minSegment - 1) / minSegment
	if segs > len(pcs) {
		segs = len(pcs)
	}
	first := int(c.rr.Add(1))
	for j := 0; j < segs; j++ {
		pcs[(first+j)%len(pcs)].submit(segment{b: b, lo: j * n / segs, hi: (j + 1) * n / segs})
	}
	select {
	case <-b.wake:
	case <-b.done:
		select {
		case <-b.wake: // every beat was answered meanwhile
		default:
			failAll(results, ctx.Err()) // and b is left to what is in flight
			return
		}
	}
	copy(results, b.results)
	if cap(b.beats) > maxPooledBatch {
		b.beats, b.results = nil, nil
	} else {
		clear(b.beats) // a pooled batch keeps no BeatInfo alive
	}
	b.ctx, b.done, b.token = nil, nil, ""
	c.batches.Put(b)
}

// newPipes makes the Conns pconns of server srv at addr. They share what
// is learned of the server's per-connection limit.
func newPipes(c *Client, srv int, addr string) []*pconn {
	limit := new(atomic.Int64)
	pcs := make([]*pconn, c.cfg.Conns)
	for i := range pcs {
		ctx, cancel := context.WithCancel(context.Background())
		pcs[i] = &pconn{c: c, srv: srv, addr: addr, limit: limit, ctx: ctx, cancel: cancel}
	}
	return pcs
}

// pconn is one pipelined connection slot to a server.
type pconn struct {
	c   *Client
	srv int
	// addr is c.cfg.Servers[srv], kept here because the writer puts it in
	// every beat's Host header: a field load rather than an indexed lookup
	// through the Client per beat.
	addr string
	// limit is the requests the server answers on a connection before it
	// ends it, as learned; 0 while unknown. Shared by the server's pconns.
	limit *atomic.Int64
	// ctx ends a dial in progress when the pconn closes.
	ctx    context.Context
	cancel context.CancelFunc

	// The writer's and reader's state (buffers, encoder, parser) outlive
	// their session: a server that ends a connection every 100 requests
	// would otherwise cost their allocation every 100 beats.
	writers, readers sync.Pool // *writeState, *readState
	// inflights holds the inflight channels of sessions that ended, each
	// drained by its reader once the writer had stopped: a new channel
	// per connection was a third of what the pipeline allocated against
	// such a server.
	inflights sync.Pool // chan entry

	mu      sync.Mutex
	s       *session  // live session taking segments, or nil
	spare   *session  // dialled ahead, not yet used, or nil
	pending []segment // waiting for the dial in progress while s is nil
	// freeQueue is the emptied queue of the last session that stopped:
	// the next session dialled takes it.
	freeQueue []segment
	dialing   bool // a dial goroutine runs
	closed    bool
}

// connLimit is how many requests a session may write: 0 for no limit.
func (p *pconn) connLimit() int {
	switch m := p.c.cfg.MaxRequestsPerConn; {
	case m > 0:
		return m
	case m < 0:
		return 0
	}
	return int(p.limit.Load())
}

// learn records that the server ends a connection after n requests: the
// lowest figure seen wins, so a pipe never overruns the strictest answer.
func (p *pconn) learn(n int) {
	if p.c.cfg.MaxRequestsPerConn != 0 || n <= 0 {
		return
	}
	for {
		old := p.limit.Load()
		if old != 0 && old <= int64(n) {
			return
		}
		if p.limit.CompareAndSwap(old, int64(n)) {
			p.c.cfg.Logger.Debug("nacos server's connection limit learned", "server", p.addr, "requests", n)
			return
		}
	}
}

// submit queues seg on the live session, or on the pconn until a dial
// completes.
func (p *pconn) submit(seg segment) {
	p.mu.Lock()
	s, ok := p.place(seg)
	p.mu.Unlock()
	if !ok {
		seg.b.fail(seg.lo, seg.hi, ErrClosed)
		return
	}
	s.signal()
}

// place queues segs on the live session (promoting the spare if there is
// none) and returns it to signal; with no session it keeps them pending and
// starts a dial, and returns nil. It returns false once the pconn is
// closed: segs are not queued. p.mu is held.
func (p *pconn) place(segs ...segment) (*session, bool) {
	if p.closed {
		return nil, false
	}
	if len(segs) == 0 {
		return nil, true
	}
	if p.s == nil && p.spare != nil {
		sp := p.spare
		p.spare = nil
		select {
		case <-sp.dead: // closed while idle: its writer cleans up
		default:
			p.s = sp
		}
	}
	if p.s == nil {
		p.pending = append(p.pending, segs...)
		p.startDial()
		return nil, true
	}
	p.s.queue = append(p.s.queue, segs...)
	if p.s.instancesOut.Load() && !p.s.beatWaiting.Load() {
		for _, seg := range segs {
			if seg.b.kind == kindBeat {
				p.s.beatWaiting.Store(true)
				break
			}
		}
	}
	return p.s, true
}

// predial dials a spare session unless there is one or a dial runs.
func (p *pconn) predial() {
	p.mu.Lock()
	if p.spare == nil {
		p.startDial()
	}
	p.mu.Unlock()
}

// startDial starts a dial goroutine unless one runs. p.mu is held.
func (p *pconn) startDial() {
	if p.dialing || p.closed {
		return
	}
	p.dialing = true
	p.c.wg.Add(1)
	go p.dialNext()
}

// dialNext dials a session, outside p.mu, and makes it the live session
// (taking what is pending) or the spare.
func (p *pconn) dialNext() {
	defer p.c.wg.Done()
	s, err := p.dial()
	p.mu.Lock()
	p.dialing = false
	if err == nil && p.closed {
		err = ErrClosed
	}
	if err != nil {
		pending := p.pending
		p.pending = nil
		closed := p.closed
		p.mu.Unlock()
		if s != nil {
			s.kill(ErrClosed, false)
		}
		switch {
		case closed:
			err = ErrClosed
		case len(pending) > 0:
			err = p.c.exchangeError("dial", p.srv, err)
		default:
			p.c.cfg.Logger.Debug("nacos pipelined dial ahead failed", "server", p.addr, "error", err)
		}
		failSegs(pending, err)
		return
	}
	var (
		wake   *session
		failed []segment
	)
	if !s.stopped {
		s.queue, p.freeQueue = p.freeQueue, nil
	}
	switch {
	case s.stopped:
		// It died before it could be installed (its writer has already
		// stopped): what is pending moves on once, as from any session
		// that got no answer.
		kept := p.pending[:0]
		for _, seg := range p.pending {
			if seg.retried {
				failed = append(failed, seg)
				continue
			}
			seg.retried = true
			kept = append(kept, seg)
		}
		clear(p.pending[len(kept):])
		p.pending = kept
		if len(kept) > 0 {
			p.startDial()
		}
	case p.s == nil:
		p.s = s
		if len(p.pending) > 0 {
			s.queue = append(s.queue, p.pending...)
			clear(p.pending)
			p.pending = p.pending[:0]
			wake = s
		}
	case p.spare == nil:
		p.spare = s
	default: // cannot happen: one dial at a time, and only without a spare
		p.mu.Unlock()
		s.kill(errConnUsedUp, false)
		return
	}
	p.mu.Unlock()
	wake.signal()
	if len(failed) > 0 { // s is dead: s.err is set
		failSegs(failed, s.err)
	}
}

// dial makes a session and starts its goroutines. It holds no lock.
func (p *pconn) dial() (*session, error) {
	cfg := &p.c.cfg
	ctx, cancel := context.WithTimeout(p.ctx, cfg.WriteTimeout)
	defer cancel()
	conn, err := p.c.pipeDialer.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	if cfg.TLS != nil {
		tc := cfg.TLS
		if tc.ServerName == "" {
			tc = tc.Clone()
			tc.ServerName, _, _ = net.SplitHostPort(p.addr)
		}
		tlsConn := tls.Client(conn, tc)
		if err = tlsConn.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tlsConn
	}
	p.c.stats.dials.Add(1)
	inflight := cfg.MaxInflightPerConn
	if lim := p.connLimit(); lim > 0 && lim < inflight {
		inflight = lim // no more can be in flight on this connection
	}
	s := &session{
		p:          p,
		conn:       conn,
		wake:       make(chan struct{}, 1),
		inflight:   p.inflightChan(inflight),
		dead:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	p.c.wg.Add(2)
	go s.writer()
	go s.reader()
	return s, nil
}

// inflightChan returns an empty channel for n entries in flight: one that
// an ended session left drained, or a new one.
func (p *pconn) inflightChan(n int) chan entry {
	if ch, ok := p.inflights.Get().(chan entry); ok && cap(ch) == n {
		return ch
	}
	return make(chan entry, n)
}

func (p *pconn) close() {
	p.mu.Lock()
	p.closed = true
	s, spare, pending := p.s, p.spare, p.pending
	p.pending = nil
	p.mu.Unlock()
	p.cancel()
	for _, s := range []*session{s, spare} {
		if s != nil {
			s.kill(ErrClosed, false)
		}
	}
	failSegs(pending, ErrClosed)
}

type session struct {
	p    *pconn
	conn net.Conn

	queue   []segment // guarded by p.mu
	stopped bool      // guarded by p.mu: the writer takes no more segments

	// instancesOut is set while the writer writes registrations or
	// deregistrations, and beatWaiting when a beat segment is queued
	// meanwhile: the writer then writes that beat segment first (see
	// beatsFirst). While only beats flow, neither is written.
	instancesOut atomic.Bool
	beatWaiting  atomic.Bool

	wake       chan struct{} // cap 1: queue has segments
	inflight   chan entry
	n          atomic.Int32 // entries pushed and not yet answered
	full       atomic.Bool  // the writer wrote the limit and stopped
	answered   atomic.Bool  // the server answered at least once
	dead       chan struct{}
	writerDone chan struct{}
	killOnce   sync.Once
	err        error // set before dead is closed
	orderly    bool  // set before dead is closed: the server ended it cleanly
}

// signal wakes s's writer; s may be nil.
func (s *session) signal() {
	if s == nil {
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// orderlyClose tells whether err means the server ended the connection in
// an orderly way: what was in flight was not processed and may be sent
// again.
func orderlyClose(err error) bool {
	return errors.Is(err, errServerClosing) || errors.Is(err, errConnUsedUp) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// kill breaks the session once: err becomes the error of every pending
// beat that is not sent again. failover moves the client to the next
// server after an error that is not an orderly close.
func (s *session) kill(err error, failover bool) {
	s.killOnce.Do(func() {
		c := s.p.c
		switch {
		case errors.Is(err, ErrClosed):
		case orderlyClose(err):
			s.orderly = true
			if !errors.Is(err, errConnUsedUp) {
				c.stats.serverCloses.Add(1)
				c.cfg.Logger.Debug("nacos server ended a connection", "server", s.p.addr, "inflight", s.n.Load(), "error", err)
			}
			err = c.netError("beat", s.p.srv, err)
		default:
			err = c.netError("beat", s.p.srv, err)
			if failover && errors.Is(err, ErrConnection) {
				c.failover(s.p.srv, err)
			}
			c.cfg.Logger.Warn("nacos connection broken", "server", s.p.addr, "inflight", s.n.Load(), "error", err)
		}
		s.err = err
		close(s.dead)
		s.conn.Close()
	})
}

// writeState is the writer's own: its encoder, buffer and count.
type writeState struct {
	e         encoder
	buf       []byte
	written   int // requests written on the session
	limit     int // requests the session may carry; 0: no limit
	predialed bool
	touched   int // what touch read, kept so that its loads stay
	// held and moved are buffers of segments the writer reuses from one
	// session to the next (see writer and stopWriter).
	held, moved []segment
}

// touch reads, for each beat, the memory its encoding reads: both cache
// lines a 96-byte BeatInfo may span, and the bytes of its service name and
// IP. A million BeatInfos do not stay in cache, and encoding one beat
// after another meets their misses one at a time, between long runs of
// encoding work; this loop has little work between loads of different
// beats, so the CPU keeps many misses in flight at once and the encoding
// that follows finds the segment's instances in cache.
func touch(beats []reactor.Beat) (sum int) {
	for _, bt := range beats {
		b := bt.Info
		sum += len(b.Cluster) // the BeatInfo's second cache line
		if s := b.ServiceName; len(s) > 0 {
			sum += int(s[0]) + int(s[len(s)-1])
		}
		if ip := b.IP; len(ip) > 0 {
			sum += int(ip[0])
		}
	}
	return sum
}

type segStatus int

const (
	segWritten segStatus = iota // every beat written, failed or cancelled
	segFull                     // the session carried its limit
	segDead                     // the session died
	segYield                    // a beat segment is queued: write it first
)

func (s *session) writer() {
	c := s.p.c
	defer c.wg.Done()
	w, _ := s.p.writers.Get().(*writeState)
	if w == nil {
		w = new(writeState)
	}
	w.buf, w.written, w.limit, w.predialed = w.buf[:0], 0, 0, false
	// The writer swaps two buffers with the session: it takes the queued
	// segments and leaves held, the buffer it emptied in its last turn.
	// Whenever it returns, held is its own (the session's queue is the
	// other, which stopWriter recycles) and goes back to w for the next
	// session: a new session allocates no queue.
	var segs []segment
	held := w.held
	defer func() {
		clear(held)
		w.held = held[:0]
		s.p.writers.Put(w)
	}()
	for {
		select {
		case <-s.wake:
		case <-s.dead:
			s.stopWriter(w, nil, false)
			return
		}
		s.p.mu.Lock()
		segs, s.queue = beatsFirst(s.queue, nil), held[:0]
		if s.beatWaiting.Load() {
			s.beatWaiting.Store(false)
		}
		s.p.mu.Unlock()
		for k := 0; k < len(segs); k++ {
			w.limit = s.p.connLimit()
			instances := segs[k].b.kind != kindBeat // read before any is in flight
			if instances {
				s.instancesOut.Store(true)
			}
			at, st := s.writeSegment(w, segs[k])
			if instances {
				s.instancesOut.Store(false)
			}
			if st == segWritten {
				continue
			}
			rest := segs[k+1:]
			if at < segs[k].hi {
				segs[k].lo = at
				rest = segs[k:]
			}
			if st == segYield {
				// Beats were queued while registrations went out: they
				// go before what is left.
				s.p.mu.Lock()
				segs, s.queue = beatsFirst(s.queue, rest), nil
				s.beatWaiting.Store(false)
				s.p.mu.Unlock()
				k = -1
				continue
			}
			held = segs // stopWriter moves rest out of it
			if st == segFull && (len(w.buf) == 0 || s.flush(&w.buf)) {
				s.stopWriter(w, rest, true)
				s.full.Store(true)
				if s.n.Load() == 0 {
					s.kill(errConnUsedUp, false)
				}
				return
			}
			s.stopWriter(w, rest, false)
			return
		}
		clear(segs)
		held = segs
		if len(w.buf) > 0 && !s.flush(&w.buf) {
			s.stopWriter(w, nil, false)
			return
		}
	}
}

// beatsFirst returns the segments of queued then rest, those of beats
// first, each group in its order: a beat that waits longer than its period
// is lost, a registration can wait. With only beats queued, and no rest,
// it returns queued itself.
func beatsFirst(queued, rest []segment) []segment {
	mixed := len(rest) > 0
	for _, seg := range queued {
		if seg.b.kind != kindBeat {
			mixed = true
			break
		}
	}
	if !mixed {
		return queued
	}
	out := make([]segment, 0, len(queued)+len(rest))
	for _, seg := range queued {
		if seg.b.kind == kindBeat {
			out = append(out, seg)
		}
	}
	for _, seg := range rest {
		if seg.b.kind == kindBeat {
			out = append(out, seg)
		}
	}
	for _, seg := range rest {
		if seg.b.kind != kindBeat {
			out = append(out, seg)
		}
	}
	for _, seg := range queued {
		if seg.b.kind != kindBeat {
			out = append(out, seg)
		}
	}
	return out
}

// stopWriter stops taking segments and moves rest (not written) and what
// is still queued to the pconn's next session. Unless the session is full,
// or died in an orderly way after answering, a segment moves once: the
// second time it fails.
func (s *session) stopWriter(w *writeState, rest []segment, full bool) {
	p := s.p
	once := !full && !(s.orderly && s.answered.Load())
	p.mu.Lock()
	s.stopped = true
	segs := append(append(w.moved[:0], rest...), s.queue...)
	if s.queue != nil {
		clear(s.queue)
		p.freeQueue, s.queue = s.queue[:0], nil
	}
	if p.s == s {
		p.s = nil
	}
	if p.spare == s {
		p.spare = nil
	}
	var failed []segment
	if once {
		moved := segs[:0]
		for _, seg := range segs {
			if seg.retried {
				failed = append(failed, seg)
				continue
			}
			seg.retried = true
			moved = append(moved, seg)
		}
		segs = moved
	}
	next, ok := p.place(segs...)
	p.mu.Unlock()
	close(s.writerDone)
	if !ok {
		failSegs(segs, ErrClosed)
	}
	next.signal()
	if len(failed) > 0 { // only when s is dead: s.err is set
		failSegs(failed, s.err)
	}
	clear(segs)
	w.moved = segs[:0]
}

// writeSegment queues seg's beats on the wire, up to w.limit requests on
// the session. It returns how far it got and why it stopped: beats of seg
// from there on are neither written nor failed unless st is segWritten.
func (s *session) writeSegment(w *writeState, seg segment) (at int, st segStatus) {
	b := seg.b
	kind := b.kind // read before an entry is in flight, as beat below
	c := s.p.c
	// One atomic add reserves the segment's request ids: beat i gets
	// last-(hi-1-i). Ids stay unique and, on this connection, increasing;
	// those of beats that end up not written are skipped.
	last := c.reqID.Add(uint64(seg.hi - seg.lo))
	w.touched += touch(b.beats[seg.lo:seg.hi])
	for i := seg.lo; i < seg.hi; i++ {
		if kind != kindBeat && i-seg.lo >= minSegment && s.beatWaiting.Load() {
			// Beats are queued: they go next. At least minSegment
			// registrations go out between two such turns, so that
			// registrations progress while beats flow.
			return i, segYield
		}
		if w.limit > 0 {
			if w.written >= w.limit {
				return i, segFull
			}
			if !w.predialed && w.written >= w.limit/2 {
				w.predialed = true
				s.p.predial()
			}
		}
		select {
		case <-b.done:
			b.fail(i, seg.hi, b.ctx.Err())
			return seg.hi, segWritten
		default:
		}
		// Once its entry is in flight the reader may complete the beat
		// (a dying session fails what is in flight), and with it the
		// batch, which its caller then reuses: read b first.
		beat, token := b.beats[i], b.token
		en := entry{b: b, i: i, retried: seg.retried}
		select {
		case s.inflight <- en:
		default:
			// Full: what is buffered must go out before answers can come.
			if len(w.buf) > 0 && !s.flush(&w.buf) {
				return i, segDead
			}
			select {
			case s.inflight <- en:
			case <-s.dead:
				return i, segDead
			case <-b.done:
				b.fail(i, seg.hi, b.ctx.Err())
				return seg.hi, segWritten
			}
		}
		if s.n.Add(1) == 1 {
			s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		}
		if kind == kindBeat {
			w.buf = w.e.appendBeatWire(w.buf, c, s.p.addr, beat, token, last-uint64(seg.hi-1-i))
		} else {
			w.buf = w.e.appendInstanceWire(w.buf, c, s.p.addr, kind, beat.Info, token, last-uint64(seg.hi-1-i))
		}
		w.written++
		if len(w.buf) >= flushAt && !s.flush(&w.buf) {
			return i + 1, segDead
		}
	}
	return seg.hi, segWritten
}

// flush writes buf. After a write error it returns false once the session
// is dead: when the server closed the connection, the reader first reads
// the answers it sent before (one may say "Connection: close", teaching
// the limit), then meets the end and kills the session.
func (s *session) flush(buf *[]byte) bool {
	s.conn.SetWriteDeadline(time.Now().Add(s.p.c.cfg.WriteTimeout))
	_, err := s.conn.Write(*buf)
	*buf = (*buf)[:0]
	if err == nil {
		return true
	}
	if orderlyClose(err) && s.n.Load() > 0 {
		<-s.dead
	} else {
		s.kill(err, true)
	}
	return false
}

// readState is the reader's own.
type readState struct {
	br       *bufio.Reader
	resp     fasthttp.Response
	beats    beatParser // the session's, reused for every answer
	answered int        // answers read on the session
	held     entry      // popped when the session died, not completed
	holding  bool
	resend   []segment // entries to send again, as segments
	failed   bool      // an entry sent once already failed
	scanned  int       // bytes of br the last answer read by scanAnswer holds
	err      error     // why read failed
}

// read reads the next answer. A plain answer already buffered whole (what
// a pipelined server sends, many at a time) is parsed in place by
// scanAnswer and left in br until r.scanned bytes are discarded; anything
// else is read by fasthttp. The body is valid until the next read of br.
func (r *readState) read(maxBody int) (a answer, ok bool) {
	buf, _ := r.br.Peek(r.br.Buffered())
	if a, n, ok := scanAnswer(buf, maxBody); ok {
		r.scanned = n
		return a, true
	}
	r.scanned = 0
	resp := &r.resp
	if r.err = resp.ReadLimitBody(r.br, maxBody); r.err != nil {
		return a, false
	}
	return answer{
		status:    resp.StatusCode(),
		body:      resp.Body(),
		closing:   resp.ConnectionClose(),
		keepAlive: keepAliveMax(resp.Header.Peek("Keep-Alive")),
	}, true
}

func (s *session) reader() {
	c := s.p.c
	defer c.wg.Done()
	r, _ := s.p.readers.Get().(*readState)
	if r == nil {
		r = &readState{br: bufio.NewReaderSize(s.conn, readBufSize)}
	} else {
		r.br.Reset(s.conn)
	}
	defer func() {
		clear(r.resend)
		r.br.Reset(nil)
		r.answered, r.held, r.holding, r.resend, r.failed = 0, entry{}, false, r.resend[:0], false
		s.p.readers.Put(r)
	}()
	for !s.readOne(r) {
	}
	if r.holding {
		s.settle(r, r.held)
	}
	// Settle what is in flight until the writer can push no more.
	for {
		select {
		case en := <-s.inflight:
			s.settle(r, en)
			continue
		case <-s.writerDone:
		}
		break
	}
	for {
		select {
		case en := <-s.inflight:
			s.settle(r, en)
			continue
		default:
		}
		break
	}
	// The writer has stopped and the channel is empty: nothing touches it
	// again, and the next session may have it.
	s.p.inflights.Put(s.inflight)
	if len(r.resend) > 0 {
		n := 0
		for _, seg := range r.resend {
			n += seg.hi - seg.lo
		}
		c.stats.resent.Add(uint64(n))
		c.cfg.Logger.Debug("nacos pipelined requests sent again", "server", s.p.addr, "requests", n,
			"answered", r.answered, "full", s.full.Load(), "error", s.err)
		p := s.p
		p.mu.Lock()
		next, ok := p.place(r.resend...)
		p.mu.Unlock()
		if !ok {
			failSegs(r.resend, ErrClosed)
		}
		next.signal()
	}
	if r.failed {
		// It broke again: what a connection error does anywhere else.
		c.failover(s.p.srv, s.err)
	}
}

// settle completes an entry of a dead session: after an orderly close, a
// beat sent once is queued to be sent again; any other fails.
func (s *session) settle(r *readState, en entry) {
	if !s.orderly || en.retried {
		r.failed = r.failed || s.orderly
		en.b.finish(en.i, reactor.BeatResult{Err: s.err})
		return
	}
	if k := len(r.resend) - 1; k >= 0 && r.resend[k].b == en.b && r.resend[k].hi == en.i {
		r.resend[k].hi++
		return
	}
	r.resend = append(r.resend, segment{b: en.b, lo: en.i, hi: en.i + 1, retried: true})
}

// readOne reads one answer and completes its entry. It returns true once
// the session is dead.
func (s *session) readOne(r *readState) (dead bool) {
	c := s.p.c
	if _, err := r.br.Peek(1); err != nil {
		// EOF with nothing in flight is a server closing an idle
		// connection: no reason to leave the server.
		s.kill(err, s.n.Load() > 0)
		return true
	}
	var en entry
	select {
	case en = <-s.inflight:
	default:
		s.kill(errUnexpectedAnswer, true)
		return true
	}
	a, ok := r.read(c.cfg.MaxResponseBodySize)
	if !ok {
		s.kill(r.err, !errors.Is(r.err, fasthttp.ErrBodyTooLarge))
		r.held, r.holding = en, true
		return true
	}
	var res reactor.BeatResult
	if en.b.kind == kindBeat {
		res = r.beats.parse(a.status, a.body)
	} else {
		res.Err = instanceAnswer(a.status, a.body)
	}
	r.br.Discard(r.scanned) // a.body is read: let the buffer move on
	r.answered++
	if r.answered == 1 {
		s.answered.Store(true)
		if a.keepAlive >= 0 {
			s.p.learn(1 + a.keepAlive)
		}
	}
	idle := false
	switch {
	case s.n.Add(-1) == 0:
		// Idle: a server may keep a quiet connection open. The writer
		// arms the deadline again with the next request.
		idle = true
		s.conn.SetReadDeadline(time.Time{})
		if s.n.Load() > 0 {
			s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		}
	case r.br.Buffered() == 0:
		// The next answer must come from the socket: give it
		// ReadTimeout from now. Answers already buffered need no new
		// deadline, so a read of many answers costs one, not one each.
		s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
	}
	en.b.finish(en.i, res)
	switch {
	case a.closing:
		s.p.learn(r.answered)
		s.kill(errServerClosing, false)
		return true
	case idle && s.full.Load() && s.n.Load() == 0:
		// idle was true when this answer was counted, but finishing
		// its beat may have ended a batch, and the next one been written
		// on this session, up to the limit, since: only n, read after
		// full, says that nothing is in flight (the writer adds to n
		// before it sets full).
		//
		// The writer stopped at the limit and every answer is in, yet
		// the server did not say it ends the connection: the limit
		// learned was too low. Forget it; the server will teach it again.
		if lim := s.p.limit.Load(); lim > 0 && int64(r.answered) >= lim && a.keepAlive != 0 {
			if s.p.limit.CompareAndSwap(lim, 0) {
				c.cfg.Logger.Debug("nacos server's connection limit forgotten", "server", s.p.addr, "requests", lim)
			}
		}
		s.kill(errConnUsedUp, false)
		return true
	}
	return false
}

// keepAliveMax returns N from a Keep-Alive header's "max=N", or -1.
func keepAliveMax(h []byte) int {
	for len(h) > 0 {
		var part []byte
		part, h = cutToken(h)
		if len(part) > 4 && bytes.EqualFold(part[:4], []byte("max=")) {
			n, err := strconv.Atoi(string(part[4:]))
			if err != nil || n < 0 {
				return -1
			}
			return n
		}
	}
	return -1
}
