package nacostest

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

// tomcatReadBuffer is Tomcat's socket read buffer and largest request
// header, 8 KiB.
const tomcatReadBuffer = 8 << 10

// Server is an in-process Nacos 1.x naming server. Start one with Start and
// stop it with Close. Its methods are safe for concurrent use.
type Server struct {
	cfg   Config
	log   *slog.Logger
	ln    net.Listener
	addr  string
	http  *fasthttp.Server
	start time.Time // the monotonic origin of every instance time

	store    *store
	counters counters
	faults   atomic.Pointer[faultSet]
	capacity *capacity // Config.MaxRegistrationsPerSecond
	tokens   tokenStore
	parsers  fastjson.ParserPool // for full beats' beat parameter

	// Answer settings, fixed at Start.
	beatMs         int64
	light          bool
	okAnswer       []byte // to a beat of a known instance with no interval of its own
	notFoundAnswer []byte // to a light beat of an unknown instance
	unhealthyAfter int64
	removeAfter    int64

	done      chan struct{} // closed by Close
	closeOnce sync.Once
	closeErr  error
	wg        sync.WaitGroup // accept loop, connection goroutines, sweeper

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Start validates cfg, listens on cfg.Addr and serves until Close. Invalid
// settings give an error wrapping ErrConfig.
func Start(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	capacity, err := newCapacity(cfg.MaxRegistrationsPerSecond)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:            cfg,
		log:            cfg.Logger,
		start:          time.Now(),
		store:          newStore(),
		beatMs:         cfg.ClientBeatInterval.Milliseconds(),
		light:          cfg.LightBeatEnabled == nil || *cfg.LightBeatEnabled,
		unhealthyAfter: int64(cfg.UnhealthyAfter),
		removeAfter:    int64(cfg.RemoveAfter),
		done:           make(chan struct{}),
		conns:          make(map[net.Conn]struct{}),
	}
	s.okAnswer = appendBeatAnswer(nil, s.beatMs, codeOK, s.light)
	s.notFoundAnswer = appendBeatAnswer(nil, s.beatMs, codeNotFound, s.light)
	s.faults.Store(newFaultSet(cfg.Faults))
	s.capacity = capacity
	s.tokens.init()
	s.http = &fasthttp.Server{
		Handler:               s.handle,
		Name:                  "nacostest",
		NoDefaultServerHeader: true,
		NoDefaultDate:         true,
		NoDefaultContentType:  true,
		Logger:                fasthttpLogger{s.log},
		ErrorHandler:          answerBadRequest,
		// Tomcat's maxHttpHeaderSize and socket read buffer (8 KiB)
		// rather than fasthttp's 4 KiB: the server reads pipelined
		// requests, and answers them in one write, twice as many at a time.
		ReadBufferSize: tomcatReadBuffer,
	}
	if cfg.MaxRequestsPerConn > 0 {
		s.http.MaxRequestsPerConn = cfg.MaxRequestsPerConn
	}
	if cfg.IdleTimeout > 0 {
		s.http.IdleTimeout = cfg.IdleTimeout
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("nacostest: listen: %w", err)
	}
	s.addr = ln.Addr().String()
	if cfg.TLS != nil {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	s.ln = ln
	s.wg.Add(2)
	go s.acceptLoop()
	go s.sweepLoop()
	s.log.Debug("nacostest: serving", "addr", s.addr, "tls", cfg.TLS != nil)
	return s, nil
}

// Addr returns the address the server listens on, as "host:port".
func (s *Server) Addr() string { return s.addr }

// Close stops serving: it closes the listener and every connection, stops the
// sweeper, and waits for every goroutine the server started. Calling it again
// does nothing and returns the first result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			s.closeErr = err
		}
		s.connMu.Lock()
		s.closed = true
		for c := range s.conns {
			closeRaw(c, false)
		}
		s.connMu.Unlock()
		s.wg.Wait()
	})
	return s.closeErr
}

// Restart forgets every instance, as a restarted Nacos would: their next
// light beats are answered 20404. Counters are kept; tokens stay valid.
func (s *Server) Restart() {
	s.store.reset()
	s.log.Debug("nacostest: restarted, every instance forgotten")
}

// SetFaults atomically replaces the faults injected into naming requests.
// Invalid faults give an error wrapping ErrConfig and change nothing.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	s.faults.Store(newFaultSet(f))
	return nil
}

// Counters returns a snapshot of the counters. It is cheap (no walk over the
// instances) and may be called every second under load.
func (s *Server) Counters() Counters {
	c := s.counters.snapshot()
	_, c.Healthy, c.Unhealthy = s.store.counts()
	c.RegistrationsRefused = s.capacity.refused.Load()
	return c
}

// Instance returns the instance with this identity, if the server knows it.
// service may be grouped ("group@@name") or bare (then DEFAULT_GROUP); empty
// namespace and cluster mean "public" and "DEFAULT".
func (s *Server) Instance(namespace, service, cluster, ip string, port int) (Instance, bool) {
	if namespace == "" {
		namespace = defaultNamespace
	}
	if cluster == "" {
		cluster = defaultCluster
	}
	if !strings.Contains(service, groupSep) {
		service = defaultGroup + groupSep + service
	}
	key := appendKey(nil, []byte(namespace), []byte(service), []byte(cluster), []byte(ip), port)
	sh, h := s.store.locate(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	in := sh.getLocked(h, key)
	if in == nil {
		return Instance{}, false
	}
	return in.snapshot(s.start), true
}

// Len returns how many instances the server knows.
func (s *Server) Len() int {
	n, _, _ := s.store.counts()
	return n
}

// now is the time since Start, from the monotonic clock.
func (s *Server) now() int64 { return int64(time.Since(s.start)) }

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				s.log.Warn("nacostest: accept", "err", err)
				time.Sleep(10 * time.Millisecond)
				continue
			}
			s.log.Error("nacostest: accept failed, no longer serving", "err", err)
			return
		}
		s.connMu.Lock()
		if s.closed {
			s.connMu.Unlock()
			closeRaw(c, false)
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.connMu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	_ = s.http.ServeConn(c) // errors are the client's or a reset's doing
	s.connMu.Lock()
	delete(s.conns, c)
	s.connMu.Unlock()
}

func (s *Server) sweepLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			marked, removed := s.store.sweep(s.now(), s.unhealthyAfter, s.removeAfter)
			if marked > 0 || removed > 0 {
				s.log.Debug("nacostest: health sweep", "unhealthy", marked, "removed", removed)
			}
		}
	}
}

// closeRaw closes the TCP connection under c at once, without a TLS
// close_notify that could block; with reset, with an RST rather than a FIN.
func closeRaw(c net.Conn, reset bool) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = c.Close()
}

// answerBadRequest answers a request fasthttp could not read. Unlike
// fasthttp's default (ctx.Error, which resets the response), it keeps
// NoDefaultDate, so fasthttp never starts its process-wide Date goroutine.
func answerBadRequest(ctx *fasthttp.RequestCtx, err error) {
	status := fasthttp.StatusBadRequest
	var small *fasthttp.ErrSmallBuffer
	if errors.As(err, &small) {
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
	} else if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		status = fasthttp.StatusRequestEntityTooLarge
	}
	writeText(ctx, status, "bad request")
}

// fasthttpLogger sends fasthttp's own messages to slog at debug level.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("nacostest: fasthttp: " + fmt.Sprintf(format, args...))
}
