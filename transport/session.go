package transport

import (
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// session is one connection of a pconn: the writer and reader goroutines
// that own it, and what they share.
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
