package transport

import (
	"time"

	"github.com/beatwheel/beatwheel/reactor"
)

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
