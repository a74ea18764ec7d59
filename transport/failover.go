package transport

import (
	"context"
	"errors"
	"net"
	"os"

	"github.com/valyala/fasthttp"
)

// netError is a failed exchange with a server. It wraps ErrTimeout,
// ErrBodyTooLarge or ErrConnection, and the cause.
type netError struct {
	op, server string
	kind, err  error
}

func (e *netError) Error() string {
	return "transport: " + e.op + " " + e.server + ": " + e.kind.Error() + ": " + e.err.Error()
}

func (e *netError) Unwrap() []error { return []error{e.kind, e.err} }

// Timeout reports whether the error is a timeout (it wraps ErrTimeout),
// so that a caller that knows only net.Error's method, as the reactor's
// failure counts do, can tell one.
func (e *netError) Timeout() bool { return errors.Is(e.kind, ErrTimeout) }

// netError classifies err from server srv: it returns a *netError wrapping
// ErrTimeout, ErrBodyTooLarge or ErrConnection, or ctx's error unchanged.
// It does nothing else: whether to fail over is the caller's step (see
// failover). err comes from net, crypto/tls or fasthttp, or is one of this
// package's unexported errors: never ErrClosed (session.kill filters it).
func (c *Client) netError(op string, srv int, err error) error {
	var ne net.Error
	kind := ErrConnection
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		kind = ErrBodyTooLarge
	case errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) ||
		errors.Is(err, fasthttp.ErrNoFreeConns) ||
		errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		kind = ErrTimeout
	}
	return &netError{op: op, server: c.cfg.Servers[srv], kind: kind, err: err}
}

// exchangeError turns err from an exchange with server srv (a HostClient
// call, or a pipelined connection's dial) into the error to report:
// ErrClosed once Close has ended it, else netError's classification. After
// a connection error it fails over: the one step netError leaves out.
func (c *Client) exchangeError(op string, srv int, err error) error {
	if c.closed.Load() {
		return ErrClosed
	}
	err = c.netError(op, srv, err)
	if errors.Is(err, ErrConnection) {
		c.failover(srv, err)
	}
	return err
}

// failover moves the client from server srv to the next one after a
// connection error there (cause), unless the client has already left srv,
// or moved less than Config.FailoverInterval ago, or is closed. So a batch
// whose every beat fails against dead servers moves the client once, not
// once per beat. The log line it writes is rate limited as well, to one a
// second.
func (c *Client) failover(srv int, cause error) {
	n := len(c.cfg.Servers)
	if n == 1 || c.closed.Load() || int(c.cur.Load()) != srv {
		return
	}
	now := c.now()
	elapsed := int64(now.Sub(c.epoch))
	last := c.lastFailover.Load() // elapsed+1 at the last failover; 0: none yet
	if last != 0 && elapsed-(last-1) < int64(c.cfg.FailoverInterval) ||
		!c.lastFailover.CompareAndSwap(last, elapsed+1) {
		return // too soon, or another goroutine is failing over
	}
	next := (srv + 1) % n
	if !c.cur.CompareAndSwap(uint32(srv), uint32(next)) {
		return
	}
	c.failedOver()
	if c.failoverLog.AllowN(now, 1) {
		c.cfg.Logger.Warn("nacos server failed; moving to the next", "from", c.cfg.Servers[srv],
			"to", c.cfg.Servers[next], "error", cause)
	}
}

// failedOver counts a failover: the one place that does.
func (c *Client) failedOver() { c.stats.failovers.Add(1) }
