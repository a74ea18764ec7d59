package transport

import (
	"bufio"
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
)

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
