package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

// How ModePipeline works.
//
// Each server has Conns pconns. A pconn holds at most one live session: a
// net.Conn with one writer and one reader goroutine. SendBeats cuts its
// batch into segments, appends each to a session's queue and waits once
// for the whole batch (batch.left reaches 0, one send on batch.wake).
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
// Any error kills the session once: the connection is closed, the entries
// in flight fail with the error (the reader drains them until the writer
// has stopped), beats not yet written fail too, and segments that were
// still queued are queued once more on a fresh session. The next batch
// dials a new connection.

const (
	minSegment  = 32       // beats per segment before a batch uses another connection
	flushAt     = 64 << 10 // write once this much is buffered
	readBufSize = 16 << 10
)

var errUnexpectedAnswer = errors.New("answer with no request in flight")

type batch struct {
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

type segment struct {
	b       *batch
	lo, hi  int
	retried bool
}

type entry struct {
	b *batch
	i int
}

func (c *Client) sendPipelined(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult, token string) {
	b := c.batches.Get().(*batch)
	b.ctx, b.done, b.beats, b.results, b.token = ctx, ctx.Done(), beats, results, token
	n := len(beats)
	b.left.Store(int32(n))
	pcs := c.pipes[c.cur.Load()]
	k := (n + minSegment - 1) / minSegment
	if k > len(pcs) {
		k = len(pcs)
	}
	first := int(c.rr.Add(1))
	for j := 0; j < k; j++ {
		pcs[(first+j)%len(pcs)].submit(segment{b: b, lo: j * n / k, hi: (j + 1) * n / k})
	}
	<-b.wake
	b.ctx, b.done, b.beats, b.results, b.token = nil, nil, nil, nil, ""
	c.batches.Put(b)
}

// pconn is one pipelined connection slot to a server.
type pconn struct {
	c   *Client
	srv int
	// addr is c.cfg.Servers[srv], kept here because the writer puts it in
	// every beat's Host header: a field load rather than an indexed lookup
	// through the Client per beat.
	addr string

	mu     sync.Mutex
	s      *session // live session, or nil
	closed bool
}

type session struct {
	p    *pconn
	conn net.Conn

	queue   []segment // guarded by p.mu
	stopped bool      // guarded by p.mu: the writer takes no more segments

	wake       chan struct{} // cap 1: queue has segments
	inflight   chan entry
	n          atomic.Int32 // entries pushed and not yet answered
	dead       chan struct{}
	writerDone chan struct{}
	killOnce   sync.Once
	err        error // set before dead is closed
}

// submit queues seg on the live session, dialling one if needed.
func (p *pconn) submit(seg segment) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		seg.b.fail(seg.lo, seg.hi, ErrClosed)
		return
	}
	s := p.s
	if s == nil || s.stopped {
		var err error
		if s, err = p.dial(seg.b.ctx); err != nil {
			p.mu.Unlock()
			seg.b.fail(seg.lo, seg.hi, p.c.exchangeError("dial", p.srv, err))
			return
		}
		p.s = s
	}
	s.queue = append(s.queue, seg)
	p.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// dial makes a session and starts its goroutines. p.mu is held.
func (p *pconn) dial(ctx context.Context) (*session, error) {
	cfg := &p.c.cfg
	d := net.Dialer{Timeout: cfg.WriteTimeout}
	conn, err := d.DialContext(ctx, "tcp", p.addr)
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
		hctx, cancel := context.WithTimeout(ctx, cfg.WriteTimeout)
		err = tlsConn.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, err
		}
		conn = tlsConn
	}
	s := &session{
		p:          p,
		conn:       conn,
		wake:       make(chan struct{}, 1),
		inflight:   make(chan entry, cfg.MaxInflightPerConn),
		dead:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	p.c.wg.Add(2)
	go s.writer()
	go s.reader()
	return s, nil
}

func (p *pconn) close() {
	p.mu.Lock()
	p.closed = true
	s := p.s
	p.mu.Unlock()
	if s != nil {
		s.kill(ErrClosed, false)
	}
}

// kill breaks the session once: err becomes every pending beat's error.
func (s *session) kill(err error, failover bool) {
	s.killOnce.Do(func() {
		c := s.p.c
		if !errors.Is(err, ErrClosed) {
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

func (s *session) writer() {
	c := s.p.c
	defer c.wg.Done()
	var (
		e          encoder
		buf        []byte
		segs, held []segment
	)
	for {
		select {
		case <-s.wake:
		case <-s.dead:
			s.stopWriter()
			return
		}
		s.p.mu.Lock()
		segs, s.queue = s.queue, held[:0]
		s.p.mu.Unlock()
		for k, seg := range segs {
			if !s.writeSegment(&e, &buf, seg) {
				for _, rest := range segs[k+1:] {
					rest.b.fail(rest.lo, rest.hi, s.err)
				}
				s.stopWriter()
				return
			}
		}
		if len(buf) > 0 && !s.flush(&buf) {
			s.stopWriter()
			return
		}
		clear(segs)
		held = segs
	}
}

// stopWriter stops taking segments; those still queued go to a fresh
// session once.
func (s *session) stopWriter() {
	p := s.p
	p.mu.Lock()
	s.stopped = true
	rest := s.queue
	s.queue = nil
	if p.s == s {
		p.s = nil
	}
	p.mu.Unlock()
	close(s.writerDone)
	for _, seg := range rest {
		if seg.retried {
			seg.b.fail(seg.lo, seg.hi, s.err)
			continue
		}
		seg.retried = true
		p.submit(seg)
	}
}

// writeSegment queues seg's beats on the wire. It returns false when the
// session died; beats of seg it did not hand to the reader have failed.
func (s *session) writeSegment(e *encoder, buf *[]byte, seg segment) bool {
	b := seg.b
	c := s.p.c
	// One atomic add reserves the segment's request ids: beat i gets
	// last-(hi-1-i). Ids stay unique and, on this connection, increasing;
	// those of beats that end up not written are skipped.
	last := c.reqID.Add(uint64(seg.hi - seg.lo))
	for i := seg.lo; i < seg.hi; i++ {
		select {
		case <-b.done:
			b.fail(i, seg.hi, b.ctx.Err())
			return true
		default:
		}
		// Once its entry is in flight the reader may complete the beat
		// (a dying session fails what is in flight), and with it the
		// batch, which its caller then reuses: read b first.
		beat, token := b.beats[i], b.token
		en := entry{b: b, i: i}
		select {
		case s.inflight <- en:
		default:
			// Full: what is buffered must go out before answers can come.
			if len(*buf) > 0 && !s.flush(buf) {
				b.fail(i, seg.hi, s.err)
				return false
			}
			select {
			case s.inflight <- en:
			case <-s.dead:
				b.fail(i, seg.hi, s.err)
				return false
			case <-b.done:
				b.fail(i, seg.hi, b.ctx.Err())
				return true
			}
		}
		if s.n.Add(1) == 1 {
			s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		}
		*buf = e.appendBeatWire(*buf, c, s.p.addr, beat, token, last-uint64(seg.hi-1-i))
		if len(*buf) >= flushAt && !s.flush(buf) {
			b.fail(i+1, seg.hi, s.err)
			return false
		}
	}
	return true
}

func (s *session) flush(buf *[]byte) bool {
	s.conn.SetWriteDeadline(time.Now().Add(s.p.c.cfg.WriteTimeout))
	_, err := s.conn.Write(*buf)
	*buf = (*buf)[:0]
	if err != nil {
		s.kill(err, true)
		return false
	}
	return true
}

func (s *session) reader() {
	c := s.p.c
	defer c.wg.Done()
	br := bufio.NewReaderSize(s.conn, readBufSize)
	var (
		resp   fasthttp.Response
		parser fastjson.Parser // the session's, reused for every answer
	)
	for !s.readOne(br, &resp, &parser) {
	}
	// Fail what is in flight until the writer can push no more.
	for {
		select {
		case en := <-s.inflight:
			en.b.finish(en.i, reactor.BeatResult{Err: s.err})
		case <-s.writerDone:
			for {
				select {
				case en := <-s.inflight:
					en.b.finish(en.i, reactor.BeatResult{Err: s.err})
				default:
					return
				}
			}
		}
	}
}

// readOne reads one answer and completes its entry. It returns true once
// the session is dead.
func (s *session) readOne(br *bufio.Reader, resp *fasthttp.Response, parser *fastjson.Parser) (dead bool) {
	c := s.p.c
	if _, err := br.Peek(1); err != nil {
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
	if err := resp.ReadLimitBody(br, c.cfg.MaxResponseBodySize); err != nil {
		s.kill(err, !errors.Is(err, fasthttp.ErrBodyTooLarge))
		en.b.finish(en.i, reactor.BeatResult{Err: s.err})
		return true
	}
	r := parseBeatResponse(parser, resp.StatusCode(), resp.Body())
	closing := resp.ConnectionClose()
	switch {
	case s.n.Add(-1) == 0:
		// Idle: a server may keep a quiet connection open. The writer
		// arms the deadline again with the next request.
		s.conn.SetReadDeadline(time.Time{})
		if s.n.Load() > 0 {
			s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		}
	case br.Buffered() == 0:
		// The next answer must come from the socket: give it
		// ReadTimeout from now. Answers already buffered need no new
		// deadline, so a read of many answers costs one, not one each.
		s.conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
	}
	en.b.finish(en.i, r)
	if closing {
		s.kill(errServerClosing, false)
		return true
	}
	return false
}

var errServerClosing = errors.New("server closed the connection (Connection: close)")
