package transport

import (
	"context"
	"net"
	"sync"
)

// connSet tracks the HostClients' connections, so that Close can end the
// exchanges in flight on them: fasthttp's HostClient takes no context, and
// closing a connection is what makes a waiting Do return.
type connSet struct {
	mu     sync.Mutex
	closed bool
	m      map[*trackedConn]struct{}
}

// trackedConn is a HostClient connection that leaves its set when closed.
type trackedConn struct {
	net.Conn
	set *connSet
}

// Close closes the connection and forgets it.
func (t *trackedConn) Close() error {
	t.set.mu.Lock()
	delete(t.set.m, t)
	t.set.mu.Unlock()
	return t.Conn.Close()
}

// dial connects to addr through d, within ctx, and tracks the connection.
// After closeAll it fails with ErrClosed.
func (s *connSet) dial(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error) {
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		conn.Close()
		return nil, ErrClosed
	}
	if s.m == nil {
		s.m = make(map[*trackedConn]struct{})
	}
	t := &trackedConn{Conn: conn, set: s}
	s.m[t] = struct{}{}
	return t, nil
}

// closeAll closes every tracked connection, idle or busy, and makes later
// dials fail.
func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.m))
	for t := range s.m {
		conns = append(conns, t.Conn)
	}
	clear(s.m)
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}
