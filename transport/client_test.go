package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"

	"github.com/beatwheel/beatwheel/internal/testcert"
	"github.com/beatwheel/beatwheel/reactor"
)

func TestConfig(t *testing.T) {
	for _, cfg := range []Config{
		{}, {Servers: []string{"nohost"}}, {Servers: []string{"h:0"}}, {Servers: []string{"http://h:1"}},
		{Servers: []string{"h:1"}, ContextPath: "nacos"}, {Servers: []string{"h:1"}, Password: "x"},
		{Servers: []string{"h:1"}, Mode: 7}, {Servers: []string{"h:1"}, Conns: -1},
		{Servers: []string{""}}, {Servers: []string{":80"}}, {Servers: []string{"h:65536"}},
		{Servers: []string{"h:x"}}, {Servers: []string{"h:1", "h:-1"}}, {Servers: []string{"h/p:1"}},
		{Servers: []string{"::1:80"}}, {Servers: []string{"h:1"}, ContextPath: "/nacos?x"},
		{Servers: []string{"h:1"}, ContextPath: "/na cos"}, {Servers: []string{"h:1"}, ContextPath: "/nacos#"},
		{Servers: []string{"h:1"}, Mode: -1}, {Servers: []string{"h:1"}, MaxInflightPerConn: -1},
		{Servers: []string{"h:1"}, ReadTimeout: -time.Second}, {Servers: []string{"h:1"}, WriteTimeout: -1},
		{Servers: []string{"h:1"}, MaxResponseBodySize: -1}, {Servers: []string{"h:1"}, FailoverInterval: -1},
	} {
		c, err := New(cfg)
		assert.ErrorIs(t, err, ErrConfig, "%+v", cfg)
		assert.Nil(t, c)
	}
	for _, cfg := range []Config{ // the edges are valid
		{Servers: []string{"[::1]:80", "h:65535"}, ContextPath: "/", Username: "u"},
		{Servers: []string{"h:1"}, ContextPath: "/a/b/", Mode: ModePipeline, Conns: 1, MaxInflightPerConn: 1},
	} {
		c, err := New(cfg)
		require.NoError(t, err, "%+v", cfg)
		require.NoError(t, c.Close())
	}
	assert.Equal(t, "Mode(7)", Mode(7).String())
	for _, s := range []string{"", "pipe", "host client", "x"} {
		_, err := ParseMode(s)
		assert.ErrorIs(t, err, ErrConfig, s)
	}
	nc, err := New(Config{Servers: []string{"h:1"}})
	require.NoError(t, err)
	assert.ErrorIs(t, nc.Register(bg(), nil), reactor.ErrNilBeat)
	assert.ErrorIs(t, nc.Deregister(bg(), nil), reactor.ErrNilBeat)
	nc.SendBeats(bg(), nil, nil) // nothing to send: no call, no panic
	require.NoError(t, nc.Close())
	c, err := New(Config{Servers: []string{"h:1"}, Mode: ModePipeline})
	require.NoError(t, err)
	assert.Equal(t, DefaultPipelineConns, c.cfg.Conns)
	assert.Equal(t, "/nacos", c.cfg.ContextPath)
	assert.Equal(t, DefaultFailoverInterval, c.cfg.FailoverInterval)
	require.NoError(t, c.Close())
	m, err := ParseMode("pipeline")
	require.NoError(t, err)
	assert.Equal(t, "pipeline", m.String())
}

func TestConcurrentBeats(t *testing.T) {
	var n atomic.Int64
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx) { n.Add(1); nacosHandler(ctx) })
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			n.Store(0)
			// Pipelined, 8 goroutines share 3 connections. A HostClient
			// gets one per goroutine: when it has fewer, a beat waits
			// for one and may time out on a loaded machine, by design.
			conns := 3
			if mode == ModeHostClient {
				conns = 8
			}
			c := newClient(t, Config{Servers: []string{ts.addr}, Mode: mode, Conns: conns, MaxInflightPerConn: 16})
			var wg sync.WaitGroup
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					beats := testBeats(200)
					res := make([]reactor.BeatResult, len(beats))
					for r := 0; r < 5; r++ {
						c.SendBeats(bg(), beats, res)
						for i := range res {
							if !assert.NoError(t, res[i].Err) {
								return
							}
							assert.Equal(t, reactor.CodeOK, res[i].Code)
							assert.Equal(t, 5*time.Second, res[i].ClientBeatInterval)
						}
					}
				}()
			}
			wg.Wait()
			assert.EqualValues(t, 8*5*200, n.Load())
			require.NoError(t, c.Register(bg(), testInfo(1)))
			require.NoError(t, c.Deregister(bg(), testInfo(1)))
		})
	}
}

// silentServer reads requests and never answers.
func silentServer(t *testing.T) *rawServer {
	return newRawServer(t, func(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) })
}

func TestReadTimeout(t *testing.T) {
	rs := silentServer(t)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			c := newClient(t, Config{Servers: []string{rs.addr}, Mode: mode, ReadTimeout: 100 * time.Millisecond})
			res := make([]reactor.BeatResult, 3)
			start := time.Now()
			c.SendBeats(bg(), testBeats(3), res)
			for _, r := range res {
				assert.ErrorIs(t, r.Err, ErrTimeout)
				var te interface{ Timeout() bool }
				assert.True(t, errors.As(r.Err, &te) && te.Timeout(), "a timeout says so, for the reactor's counts")
			}
			assert.Less(t, time.Since(start), 2*time.Second)
		})
	}
}

// TestPipelineCancel: cancelling ctx ends SendBeats, beats written and
// unanswered included (two in flight, eight waiting for room), long
// before the answers' ReadTimeout.
func TestPipelineCancel(t *testing.T) {
	rs := silentServer(t)
	c := newClient(t, Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 1,
		MaxInflightPerConn: 2, ReadTimeout: time.Minute})
	ctx, cancel := context.WithCancel(bg())
	time.AfterFunc(50*time.Millisecond, cancel)
	res := make([]reactor.BeatResult, 10)
	c.SendBeats(ctx, testBeats(10), res)
	for i, r := range res {
		assert.ErrorIs(t, r.Err, context.Canceled, "beat %d", i)
	}

	c.SendBeats(ctx, testBeats(2), res[:2]) // already done
	assert.ErrorIs(t, res[0].Err, context.Canceled)
}

func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestClose(t *testing.T) {
	ts := newTestServer(t, nacosHandler)
	for _, mode := range modes {
		c, err := New(Config{Servers: []string{ts.addr}, Mode: mode})
		require.NoError(t, err)
		res := make([]reactor.BeatResult, 40)
		c.SendBeats(bg(), testBeats(40), res)
		require.NoError(t, res[0].Err)
		require.NoError(t, c.Close())
		assert.ErrorIs(t, c.Close(), ErrClosed)
		c.SendBeats(bg(), testBeats(1), res[:1])
		assert.ErrorIs(t, res[0].Err, ErrClosed)
		assert.ErrorIs(t, c.Register(bg(), testInfo(0)), ErrClosed)
	}
}

func TestCloseWithBeatsInFlight(t *testing.T) {
	rs := silentServer(t)
	c, err := New(Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 2})
	require.NoError(t, err)
	res := make([]reactor.BeatResult, 100)
	done := make(chan struct{})
	go func() { defer close(done); c.SendBeats(bg(), testBeats(100), res) }()
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, c.Close())
	<-done
	for _, r := range res {
		assert.ErrorIs(t, r.Err, ErrClosed)
	}
}

func TestOversizedAnswer(t *testing.T) {
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(strings.Repeat(" ", 200) + okBeat) })
	for _, mode := range modes {
		c := newClient(t, Config{Servers: []string{ts.addr}, Mode: mode, MaxResponseBodySize: 100})
		res := make([]reactor.BeatResult, 1)
		c.SendBeats(bg(), testBeats(1), res)
		assert.ErrorIs(t, res[0].Err, ErrBodyTooLarge, mode)
	}
}

func TestStatusError(t *testing.T) {
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(503); ctx.SetBodyString("busy") })
	for _, mode := range modes {
		c := newClient(t, Config{Servers: []string{ts.addr}, Mode: mode})
		res := make([]reactor.BeatResult, 2)
		c.SendBeats(bg(), testBeats(2), res)
		var se *StatusError
		require.ErrorAs(t, res[1].Err, &se)
		assert.Equal(t, 503, se.Status)
		assert.Equal(t, "busy", se.Body)
		require.ErrorAs(t, c.Register(bg(), testInfo(0)), &se)
	}
}

func TestTLS(t *testing.T) {
	cert, pool := testcert.SelfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &fasthttp.Server{Handler: nacosHandler}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}))
	}()
	defer func() { _ = srv.Shutdown(); <-done }()
	for _, mode := range modes {
		c := newClient(t, Config{Servers: []string{ln.Addr().String()}, Mode: mode, TLS: &tls.Config{RootCAs: pool}})
		res := make([]reactor.BeatResult, 50)
		c.SendBeats(bg(), testBeats(50), res)
		for _, r := range res {
			require.NoError(t, r.Err, mode)
		}
		require.NoError(t, c.Register(bg(), testInfo(0)))
		require.NoError(t, c.Close())
	}
}

// TestBeatAllocs: a beat allocates nothing in steady state.
func TestBeatAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	ts := newTestServer(t, nacosHandler)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			c := newClient(t, Config{Servers: []string{ts.addr}, Mode: mode, Conns: 2})
			beats := testBeats(64)
			res := make([]reactor.BeatResult, len(beats))
			for i := 0; i < 20; i++ {
				c.SendBeats(bg(), beats, res)
			}
			allocs := testing.AllocsPerRun(50, func() { c.SendBeats(bg(), beats, res) })
			t.Logf("%s: %.2f allocs per batch of %d", mode, allocs, len(beats))
			assert.Zero(t, allocs)
		})
	}
}

// TestPipelineServerResetsAtOnce: a server that resets every connection as
// it accepts it kills sessions while their writer is still queueing a
// segment, so the reader fails beats the writer has just handed over. Every
// beat must fail once, as a connection error, and (under -race) the writer
// must not touch a batch its caller has taken back.
func TestPipelineServerResetsAtOnce(t *testing.T) {
	rs := newRawServer(t, func(conn net.Conn) {
		conn.(*net.TCPConn).SetLinger(0)
		conn.Close()
	})
	c := newClient(t, Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 2, MaxInflightPerConn: 8})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			beats := testBeats(64)
			res := make([]reactor.BeatResult, len(beats))
			for range 100 {
				c.SendBeats(bg(), beats, res)
				for i := range res {
					if !assert.ErrorIs(t, res[i].Err, ErrConnection, i) {
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestPipelineRequestIDs: every pipelined beat carries its own RequestId,
// increasing on each connection.
func TestPipelineRequestIDs(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var conns atomic.Int32
	rs := newRawServer(t, func(conn net.Conn) {
		conns.Add(1)
		br := bufio.NewReader(conn)
		var req fasthttp.Request
		last := ""
		for {
			if err := req.Read(br); err != nil {
				return
			}
			id := string(req.Header.Peek("RequestId"))
			mu.Lock()
			// The prefix is zero: the id's hex ends with the counter.
			if assert.Len(t, id, 36) && assert.Greater(t, id, last) {
				assert.False(t, seen[id], id)
			}
			seen[id] = true
			mu.Unlock()
			last = id
			if writeAnswer(conn, okBeat) != nil {
				return
			}
		}
	})
	c := newClient(t, Config{Servers: []string{rs.addr}, Mode: ModePipeline, Conns: 2})
	c.reqIDPrefix = [16]byte{}
	beats := testBeats(100)
	res := make([]reactor.BeatResult, len(beats))
	for range 3 {
		c.SendBeats(bg(), beats, res)
		for _, r := range res {
			require.NoError(t, r.Err)
		}
	}
	assert.Len(t, seen, 300)
	assert.EqualValues(t, 2, conns.Load())
}

// TestCloseEndsHostClientCalls: in ModeHostClient, Close ends beats and
// registrations waiting for a server that never answers, well before
// ReadTimeout, and the beats of the batch not yet sent fail too.
func TestCloseEndsHostClientCalls(t *testing.T) {
	got := make(chan struct{}, 16)
	rs := newRawServer(t, func(conn net.Conn) {
		var b [1]byte
		if _, err := conn.Read(b[:]); err != nil {
			return
		}
		got <- struct{}{}
		_, _ = io.Copy(io.Discard, conn)
	})
	c, err := New(Config{Servers: []string{rs.addr}, ReadTimeout: 30 * time.Second})
	require.NoError(t, err)
	res := make([]reactor.BeatResult, 16)
	beatsDone, regDone := make(chan struct{}), make(chan error, 1)
	go func() { defer close(beatsDone); c.SendBeats(bg(), testBeats(16), res) }()
	go func() { regDone <- c.Register(bg(), testInfo(0)) }()
	<-got
	<-got // the first beat and the registration are at the server
	require.NoError(t, c.Close())
	<-beatsDone
	for i, r := range res {
		assert.ErrorIs(t, r.Err, ErrClosed, i)
	}
	assert.ErrorIs(t, <-regDone, ErrClosed)
}

// TestRegisterValidates: Register and Deregister check their BeatInfo as
// Reactor.Add does and send nothing, not even a login, when it is invalid.
func TestRegisterValidates(t *testing.T) {
	var n atomic.Int64
	ts := newTestServer(t, func(ctx *fasthttp.RequestCtx) { n.Add(1); nacosHandler(ctx) })
	for _, tt := range []struct {
		name   string
		change func(*reactor.BeatInfo)
		want   error
	}{
		{"IP out of range", func(b *reactor.BeatInfo) { b.IP = "999.1.1.1" }, reactor.ErrIP},
		{"hostname", func(b *reactor.BeatInfo) { b.IP = "localhost" }, reactor.ErrIP},
		{"port 0", func(b *reactor.BeatInfo) { b.Port = 0 }, reactor.ErrPort},
		{"space in service", func(b *reactor.BeatInfo) { b.ServiceName = "my svc" }, reactor.ErrServiceName},
		{"space in cluster", func(b *reactor.BeatInfo) { b.Cluster = "a b" }, reactor.ErrCluster},
	} {
		for _, mode := range modes {
			c := newClient(t, Config{Servers: []string{ts.addr}, Mode: mode, Username: "nacos", Password: "pw"})
			b := testInfo(0)
			tt.change(b)
			assert.ErrorIs(t, c.Register(bg(), b), tt.want, "%s %s register", tt.name, mode)
			assert.ErrorIs(t, c.Deregister(bg(), b), tt.want, "%s %s deregister", tt.name, mode)
			// Reactor.Add refuses it with the same error.
			assert.ErrorIs(t, b.Validate(), tt.want)
		}
	}
	assert.Zero(t, n.Load(), "no request reached the server")
	c := newClient(t, Config{Servers: []string{ts.addr}, Username: "nacos", Password: "pw"})
	require.NoError(t, c.Register(bg(), testInfo(0)))
	assert.EqualValues(t, 2, n.Load(), "a valid instance: a login and the registration")
}
