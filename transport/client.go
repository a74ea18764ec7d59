package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

// Client is a Nacos v1 naming client: a reactor.Transport. It is safe for
// concurrent use. Make it with New and release it with Close.
type Client struct {
	cfg    Config
	prefix []string // per server: "http://host:port/nacos"
	hcs    []*fasthttp.HostClient
	pipes  [][]*pconn // ModePipeline: per server, Conns connections

	cur         atomic.Uint32 // index of the server in use
	rr          atomic.Uint32 // round robin over pipeline connections
	reqIDPrefix [16]byte
	reqID       atomic.Uint64

	authMu sync.Mutex
	tok    atomic.Pointer[tokenInfo]

	closed atomic.Bool
	wg     sync.WaitGroup // pipeline goroutines
	stats  clientCounters

	// Pools, so that a beat allocates nothing in steady state. They are
	// the Client's own: no state is shared between Clients.
	encoders sync.Pool // *encoder
	batches  sync.Pool // *batch (ModePipeline)
	parsers  fastjson.ParserPool
}

var _ reactor.Transport = (*Client)(nil)

type tokenInfo struct {
	token     string
	refreshAt time.Time // log in again from here on
	expireAt  time.Time // unusable from here on
	retryAt   time.Time // after a failed refresh, next attempt
}

// New checks cfg and makes a Client. It does not dial: connections are
// made when first needed. Its errors wrap ErrConfig.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg}
	c.encoders.New = func() any { return new(encoder) }
	c.batches.New = newBatch
	if _, err := rand.Read(c.reqIDPrefix[:]); err != nil {
		return nil, err
	}
	scheme := "http://"
	if cfg.TLS != nil {
		scheme = "https://"
	}
	hostConns := cfg.Conns
	if cfg.Mode == ModePipeline {
		hostConns = PipelineRegisterConns
	}
	dialer := &net.Dialer{Timeout: cfg.WriteTimeout}
	for _, s := range cfg.Servers {
		c.prefix = append(c.prefix, scheme+s+cfg.ContextPath)
		c.hcs = append(c.hcs, &fasthttp.HostClient{
			Addr:                          s,
			Dial:                          func(addr string) (net.Conn, error) { return dialer.Dial("tcp", addr) },
			IsTLS:                         cfg.TLS != nil,
			TLSConfig:                     cfg.TLS,
			MaxConns:                      hostConns,
			MaxConnWaitTimeout:            cfg.WriteTimeout,
			ReadTimeout:                   cfg.ReadTimeout,
			WriteTimeout:                  cfg.WriteTimeout,
			MaxResponseBodySize:           cfg.MaxResponseBodySize,
			MaxIdemponentCallAttempts:     2, // one retry on a stale keep-alive connection
			NoDefaultUserAgentHeader:      true,
			DisableHeaderNamesNormalizing: true,
			DisablePathNormalizing:        true,
		})
		if cfg.Mode == ModePipeline {
			c.pipes = append(c.pipes, newPipes(c, len(c.pipes), s))
		}
	}
	return c, nil
}

// SendBeats sends beats[i] and stores the answer in results[i]. In
// ModePipeline, beats not yet written when ctx is done fail with ctx's
// error; written ones get their answer or their connection's error, each
// within ReadTimeout of the reader's last read from the connection.
func (c *Client) SendBeats(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult) {
	results = results[:len(beats)]
	if len(beats) == 0 {
		return
	}
	if c.closed.Load() {
		failAll(results, ErrClosed)
		return
	}
	if err := ctx.Err(); err != nil {
		failAll(results, err)
		return
	}
	token, err := c.token(ctx)
	if err != nil {
		failAll(results, err)
		return
	}
	if c.cfg.Mode == ModePipeline {
		c.sendPipelined(ctx, beats, results, token)
		return
	}
	c.sendHostClient(ctx, beats, results, token)
}

func failAll(results []reactor.BeatResult, err error) {
	for i := range results {
		results[i] = reactor.BeatResult{Err: err}
	}
}

func (c *Client) sendHostClient(ctx context.Context, beats []reactor.Beat, results []reactor.BeatResult, token string) {
	e, req, resp := c.acquire()
	p := c.parsers.Get()
	for i, bt := range beats {
		if err := ctx.Err(); err != nil {
			failAll(results[i:], err)
			break
		}
		srv := int(c.cur.Load())
		c.fillBeatRequest(req, e, srv, bt, token)
		if err := c.do(ctx, srv, req, resp); err != nil {
			results[i] = reactor.BeatResult{Err: c.netError("beat", srv, err, false)}
			continue
		}
		results[i] = parseBeatResponse(p, resp.StatusCode(), resp.Body())
	}
	c.parsers.Put(p)
	c.release(e, req, resp)
}

// acquire takes an encoder, a request and a response from their pools for
// one exchange with the server; release gives them back.
func (c *Client) acquire() (*encoder, *fasthttp.Request, *fasthttp.Response) {
	return c.encoders.Get().(*encoder), fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
}

// release returns what acquire took.
func (c *Client) release(e *encoder, req *fasthttp.Request, resp *fasthttp.Response) {
	fasthttp.ReleaseResponse(resp)
	fasthttp.ReleaseRequest(req)
	c.encoders.Put(e)
}

var (
	hdrClientVersion = []byte("Client-Version")
	hdrRequestModule = []byte("Request-Module")
	hdrRequestID     = []byte("RequestId")
	valVersion       = []byte(javaClientVersion)
	valNaming        = []byte("Naming")
	valUserAgent     = []byte(userAgent)
	valForm          = []byte(formContentType)
)

// setNacosHeaders sets the headers NamingProxy.builderHeader sends.
func (c *Client) setNacosHeaders(req *fasthttp.Request, e *encoder) {
	req.Header.SetContentTypeBytes(valForm)
	req.Header.SetUserAgentBytes(valUserAgent)
	req.Header.SetCanonical(hdrClientVersion, valVersion)
	req.Header.SetCanonical(hdrRequestModule, valNaming)
	e.wire = appendRequestID(e.wire[:0], &c.reqIDPrefix, c.reqID.Add(1))
	req.Header.SetCanonical(hdrRequestID, e.wire)
}

func (c *Client) fillBeatRequest(req *fasthttp.Request, e *encoder, srv int, bt reactor.Beat, token string) {
	req.Reset()
	e.uri = append(e.uri[:0], c.prefix[srv]...)
	e.uri = append(e.uri, beatPath...)
	e.uri = e.appendQuery(e.uri, beatParams(token), bt.Info, c.cfg.Namespace, token)
	req.SetRequestURIBytes(e.uri)
	req.Header.SetMethod(fasthttp.MethodPut)
	c.setNacosHeaders(req, e)
	if !bt.Light {
		e.body = e.appendBeatBody(e.body[:0], bt.Info)
		req.SetBodyRaw(e.body)
	}
}

// do sends req to server srv through its HostClient.
func (c *Client) do(ctx context.Context, srv int, req *fasthttp.Request, resp *fasthttp.Response) error {
	hc := c.hcs[srv]
	if d, ok := ctx.Deadline(); ok {
		return hc.DoDeadline(req, resp, d)
	}
	return hc.Do(req, resp)
}

// Register registers the ephemeral instance b describes:
// POST {ContextPath}/v1/ns/instance. On a connection error it tries the
// next server once.
func (c *Client) Register(ctx context.Context, b *reactor.BeatInfo) error {
	return c.instanceCall(ctx, "register", fasthttp.MethodPost, b)
}

// Deregister removes the instance b describes:
// DELETE {ContextPath}/v1/ns/instance. On a connection error it tries the
// next server once.
func (c *Client) Deregister(ctx context.Context, b *reactor.BeatInfo) error {
	return c.instanceCall(ctx, "deregister", fasthttp.MethodDelete, b)
}

func (c *Client) instanceCall(ctx context.Context, op, method string, b *reactor.BeatInfo) error {
	if b == nil {
		return reactor.ErrNilBeat
	}
	if c.closed.Load() {
		return ErrClosed
	}
	token, err := c.token(ctx)
	if err != nil {
		return err
	}
	e, req, resp := c.acquire()
	defer c.release(e, req, resp)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		srv := int(c.cur.Load())
		c.fillInstanceRequest(req, e, srv, method, b, token)
		if err := c.do(ctx, srv, req, resp); err != nil {
			err = c.netError(op, srv, err, false)
			if attempt == 0 && len(c.hcs) > 1 && errors.Is(err, ErrConnection) {
				continue
			}
			return err
		}
		if resp.StatusCode() != fasthttp.StatusOK {
			return newStatusError(resp.StatusCode(), resp.Body())
		}
		if string(resp.Body()) != "ok" {
			return newResponseError(resp.Body(), errors.New(`want "ok"`))
		}
		return nil
	}
}

func (c *Client) fillInstanceRequest(req *fasthttp.Request, e *encoder, srv int, method string, b *reactor.BeatInfo, token string) {
	req.Reset()
	e.uri = append(e.uri[:0], c.prefix[srv]...)
	e.uri = append(e.uri, instancePath...)
	var order []param
	switch {
	case method == fasthttp.MethodPost && token == "":
		order = registerOrder
	case method == fasthttp.MethodPost:
		order = registerTokenOrder
	case token == "":
		order = deregisterOrder
	default:
		order = deregisterTokOrder
	}
	e.uri = e.appendQuery(e.uri, order, b, c.cfg.Namespace, token)
	req.SetRequestURIBytes(e.uri)
	req.Header.SetMethod(method)
	c.setNacosHeaders(req, e)
}

// token returns the access token to send, logging in when there is none
// or it is due for refresh ("" without a Username).
func (c *Client) token(ctx context.Context) (string, error) {
	if c.cfg.Username == "" {
		return "", nil
	}
	now := time.Now()
	usable := func(t *tokenInfo) bool {
		return t != nil && (now.Before(t.refreshAt) || (now.Before(t.expireAt) && now.Before(t.retryAt)))
	}
	if t := c.tok.Load(); usable(t) {
		return t.token, nil
	}
	c.authMu.Lock()
	defer c.authMu.Unlock()
	t := c.tok.Load()
	if usable(t) {
		return t.token, nil
	}
	res, err := c.login(ctx)
	now = time.Now()
	if err != nil {
		if t != nil && now.Before(t.expireAt) {
			c.cfg.Logger.Warn("nacos token refresh failed; using the current token until it expires", "error", err)
			t2 := *t
			t2.retryAt = now.Add(time.Second)
			c.tok.Store(&t2)
			return t.token, nil
		}
		c.cfg.Logger.Error("nacos login failed", "error", err)
		return "", err
	}
	c.tok.Store(&tokenInfo{token: res.token, refreshAt: now.Add(res.ttl - res.ttl/10), expireAt: now.Add(res.ttl)})
	c.cfg.Logger.Info("nacos login", "username", c.cfg.Username, "ttl", res.ttl)
	return res.token, nil
}

// login runs SecurityProxy.login: each server in turn, from the current
// one, until one accepts. Errors wrap ErrAuth and hold neither password
// nor token.
func (c *Client) login(ctx context.Context) (loginResult, error) {
	e, req, resp := c.acquire()
	defer c.release(e, req, resp)
	first := int(c.cur.Load())
	var last error
	for k := range c.hcs {
		srv := (first + k) % len(c.hcs)
		req.Reset()
		e.uri = append(e.uri[:0], c.prefix[srv]...)
		e.uri = append(e.uri, loginPath+"?username="...)
		e.uri = appendFormEscape(e.uri, c.cfg.Username)
		req.SetRequestURIBytes(e.uri)
		req.Header.SetMethod(fasthttp.MethodPost)
		req.Header.SetContentTypeBytes(valForm)
		e.body = append(e.body[:0], "password="...)
		e.body = appendFormEscape(e.body, c.cfg.Password)
		req.SetBodyRaw(e.body)
		err := c.do(ctx, srv, req, resp)
		clear(e.body) // the password does not stay in a pooled buffer
		switch {
		case err != nil:
			last = &authError{server: c.cfg.Servers[srv], err: c.netError("login", srv, err, false)}
		case resp.StatusCode() != fasthttp.StatusOK:
			last = &authError{server: c.cfg.Servers[srv], status: resp.StatusCode()}
		default:
			res, err := parseLogin(&c.parsers, resp.Body())
			if err != nil {
				last = &authError{server: c.cfg.Servers[srv], err: err}
				continue
			}
			return res, nil
		}
		if ctx.Err() != nil {
			break
		}
	}
	return loginResult{}, last
}

// authError is a failed login. It never holds the answer's body, which
// may carry a token.
type authError struct {
	server string
	status int
	err    error
}

func (e *authError) Error() string {
	s := ErrAuth.Error() + " at " + e.server
	if e.status != 0 {
		s += ": HTTP " + strconv.Itoa(e.status)
	}
	if e.err != nil {
		s += ": " + e.err.Error()
	}
	return s
}

func (e *authError) Unwrap() []error {
	if e.err == nil {
		return []error{ErrAuth}
	}
	return []error{ErrAuth, e.err}
}

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

// netError classifies err from server srv and, for a connection error,
// moves the client to the next server (unless quiet). err comes from
// net, crypto/tls or fasthttp, or is one of this package's unexported
// errors: never ErrClosed (session.kill filters it) nor ErrBodyTooLarge.
func (c *Client) netError(op string, srv int, err error, quiet bool) error {
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
	if kind == ErrConnection && !quiet {
		c.failover(srv, err)
	}
	return &netError{op: op, server: c.cfg.Servers[srv], kind: kind, err: err}
}

// failover moves the client from server srv to the next one, unless
// another goroutine already moved it.
func (c *Client) failover(srv int, cause error) {
	n := len(c.cfg.Servers)
	if n == 1 {
		return
	}
	next := (srv + 1) % n
	if c.cur.CompareAndSwap(uint32(srv), uint32(next)) {
		c.cfg.Logger.Warn("nacos server failed; moving to the next", "from", c.cfg.Servers[srv],
			"to", c.cfg.Servers[next], "error", cause)
	}
}

// Close closes the client's connections and waits for its goroutines.
// Beats in flight fail with ErrClosed. Later calls return ErrClosed.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	for _, pcs := range c.pipes {
		for _, p := range pcs {
			p.close()
		}
	}
	c.wg.Wait()
	for _, hc := range c.hcs {
		hc.CloseIdleConnections()
	}
	return nil
}
