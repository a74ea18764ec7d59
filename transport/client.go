package transport

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
	"golang.org/x/time/rate"
)

// Client is a Nacos v1 naming client: a reactor.Transport. It is safe for
// concurrent use. Make it with New and release it with Close.
type Client struct {
	cfg    Config
	prefix []string // per server: "http://host:port/nacos"
	hcs    []*fasthttp.HostClient
	pipes  [][]*pconn // ModePipeline: per server, Conns connections
	// pipeDialer dials the pipelined connections. It sets no TCP
	// keep-alive: a pipelined connection has a read deadline whenever a
	// request is in flight, which finds a dead server; setting the probes
	// up costs four system calls per dial, and a server that ends each
	// connection after 100 requests makes thousands of dials a second.
	pipeDialer net.Dialer

	cur         atomic.Uint32 // index of the server in use
	rr          atomic.Uint32 // round robin over pipeline connections
	reqIDPrefix [16]byte
	reqID       atomic.Uint64

	auth auth // the Nacos token (auth.go)

	// Failover (failover.go): now is the clock (time.Now; tests set
	// another), epoch its reading in New, lastFailover 1 + the time since
	// epoch of the last failover (0: none yet).
	now          func() time.Time
	epoch        time.Time
	lastFailover atomic.Int64
	failoverLog  *rate.Limiter

	stats clientCounters // stats.go

	// ctx is cancelled by Close: it ends logins and dials in progress;
	// conns lets Close end the HostClients' exchanges in flight.
	ctx    context.Context
	cancel context.CancelFunc
	conns  connSet
	closed atomic.Bool
	wg     sync.WaitGroup // pipeline and login goroutines

	// Pools, so that a beat allocates nothing in steady state. They are
	// the Client's own: no state is shared between Clients.
	encoders sync.Pool // *encoder
	batches  sync.Pool // *batch (ModePipeline)
	parsers  fastjson.ParserPool
}

var _ reactor.Transport = (*Client)(nil)

// New checks cfg and makes a Client. It does not dial: connections are
// made when first needed. Its errors wrap ErrConfig.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, now: time.Now, failoverLog: rate.NewLimiter(1, 1), pipeDialer: net.Dialer{KeepAlive: -1}}
	c.epoch = c.now()
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
	c.ctx, c.cancel = context.WithCancel(context.Background())
	for _, s := range cfg.Servers {
		c.prefix = append(c.prefix, scheme+s+cfg.ContextPath)
		c.hcs = append(c.hcs, &fasthttp.HostClient{
			Addr:                          s,
			Dial:                          func(addr string) (net.Conn, error) { return c.conns.dial(c.ctx, dialer, addr) },
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
	token, err := c.ready(ctx)
	if err != nil {
		failAll(results, err)
		return
	}
	if c.cfg.Mode == ModePipeline {
		c.sendPipelined(ctx, kindBeat, beats, results, token)
		return
	}
	c.sendHostClient(ctx, beats, results, token)
}

// ready returns the token to send, or why nothing can be sent: the client
// is closed, ctx is done, or the login failed.
func (c *Client) ready(ctx context.Context) (string, error) {
	if c.closed.Load() {
		return "", ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return c.token(ctx)
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
		if c.closed.Load() {
			failAll(results[i:], ErrClosed)
			break
		}
		srv := int(c.cur.Load())
		c.fillBeatRequest(req, e, srv, bt, token)
		if err := c.do(ctx, srv, req, resp); err != nil {
			results[i] = reactor.BeatResult{Err: c.exchangeError("beat", srv, err)}
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
	e.uri = e.appendQuery(e.uri, beatQuery, bt.Info, c.cfg.Namespace, token)
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
// POST {ContextPath}/v1/ns/instance. It first checks b as Reactor.Add does,
// with b.Validate (which also fills b's defaults): when b is invalid it
// sends nothing and returns Validate's error, wrapping reactor.ErrIP,
// reactor.ErrPort, reactor.ErrServiceName, …. On a connection error it
// tries the next server once.
func (c *Client) Register(ctx context.Context, b *reactor.BeatInfo) error {
	return c.instanceCall(ctx, kindRegister, b)
}

// Deregister removes the instance b describes:
// DELETE {ContextPath}/v1/ns/instance. It checks b as Register does. On a
// connection error it tries the next server once.
func (c *Client) Deregister(ctx context.Context, b *reactor.BeatInfo) error {
	return c.instanceCall(ctx, kindDeregister, b)
}

func (c *Client) instanceCall(ctx context.Context, k reqKind, b *reactor.BeatInfo) error {
	if err := b.Validate(); err != nil {
		return err
	}
	token, err := c.ready(ctx)
	if err != nil {
		return err
	}
	e, req, resp := c.acquire()
	defer c.release(e, req, resp)
	srv := int(c.cur.Load())
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.fillInstanceRequest(req, e, srv, k, b, token)
		if err := c.do(ctx, srv, req, resp); err != nil {
			err = c.exchangeError(k.op(), srv, err)
			if attempt == 0 && len(c.hcs) > 1 && errors.Is(err, ErrConnection) {
				srv = (srv + 1) % len(c.hcs) // whether or not the client failed over
				continue
			}
			return err
		}
		return instanceAnswer(resp.StatusCode(), resp.Body())
	}
}

// errNotOK is why an answer to a registration that is not "ok" fails.
var errNotOK = errors.New(`want "ok"`)

// instanceAnswer is the error of a registration's or deregistration's
// answer: nil for 200 "ok".
func instanceAnswer(status int, body []byte) error {
	if status != fasthttp.StatusOK {
		return newStatusError(status, body)
	}
	if string(body) != "ok" {
		return newResponseError(body, errNotOK)
	}
	return nil
}

func (c *Client) fillInstanceRequest(req *fasthttp.Request, e *encoder, srv int, k reqKind, b *reactor.BeatInfo, token string) {
	req.Reset()
	e.uri = append(e.uri[:0], c.prefix[srv]...)
	e.uri = append(e.uri, instancePath...)
	e.uri = e.appendQuery(e.uri, k.params(), b, c.cfg.Namespace, token)
	req.SetRequestURIBytes(e.uri)
	req.Header.SetMethod(k.method())
	c.setNacosHeaders(req, e)
}

// Close closes the client's connections and waits for its goroutines.
// Beats, registrations and logins in flight fail with ErrClosed, in either
// mode. Later calls return ErrClosed.
func (c *Client) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return ErrClosed
	}
	c.cancel()
	c.conns.closeAll()
	c.auth.mu.Lock()
	c.auth.closed = true // no login starts from here on
	c.auth.mu.Unlock()
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
