package transport

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
)

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
