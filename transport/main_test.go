package transport

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// fasthttp's HostClient keeps a cleaner goroutine up to
		// MaxIdleConnDuration (10 s) after its last connection closed.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		// The test servers' fasthttp.Server: a worker-pool cleaner that
		// outlives Shutdown by up to 10 s, and a process-wide date ticker.
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	)
}

const okBeat = `{"clientBeatInterval":5000,"code":10200,"lightBeatEnabled":true}`

// testServer is a fasthttp server on a loopback port.
type testServer struct {
	addr string
	srv  *fasthttp.Server
	done chan struct{}
}

func newTestServer(t testing.TB, h fasthttp.RequestHandler) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ts := &testServer{addr: ln.Addr().String(), done: make(chan struct{}),
		srv: &fasthttp.Server{Handler: h, DisableHeaderNamesNormalizing: true, Concurrency: 1 << 16}}
	go func() { defer close(ts.done); _ = ts.srv.Serve(ln) }()
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) Close() {
	_ = ts.srv.Shutdown()
	<-ts.done
}

// nacosHandler answers beats with okBeat, registrations with ok and logins
// with a token.
func nacosHandler(ctx *fasthttp.RequestCtx) {
	p := string(ctx.Path())
	switch {
	case strings.HasSuffix(p, "/instance/beat"):
		ctx.SetContentType("application/json")
		ctx.SetBodyString(okBeat)
	case strings.HasSuffix(p, "/instance"):
		ctx.SetBodyString("ok")
	case strings.HasSuffix(p, "/auth/users/login"):
		ctx.SetBodyString(`{"accessToken":"tok-SECRET","tokenTtl":18000,"globalAdmin":true}`)
	default:
		ctx.SetStatusCode(404)
	}
}

func testInfo(i int) *reactor.BeatInfo {
	return &reactor.BeatInfo{
		ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.1", Port: 8000 + i%50000,
		Weight: 1, Metadata: map[string]string{"zone": "a b", "env": "prod"}, Period: 5 * time.Second,
	}
}

func testBeats(n int) []reactor.Beat {
	b := make([]reactor.Beat, n)
	for i := range b {
		b[i] = reactor.Beat{Info: testInfo(i), Light: i%2 == 1}
	}
	return b
}

func newClient(t testing.TB, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var modes = []Mode{ModeHostClient, ModePipeline}

// rawServer accepts connections and hands each to fn.
type rawServer struct {
	ln   net.Listener
	addr string
	wg   sync.WaitGroup
	mu   sync.Mutex
	cs   []net.Conn
}

func newRawServer(t testing.TB, fn func(net.Conn)) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rs := &rawServer{ln: ln, addr: ln.Addr().String()}
	rs.wg.Add(1)
	go func() {
		defer rs.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			rs.mu.Lock()
			rs.cs = append(rs.cs, c)
			rs.mu.Unlock()
			rs.wg.Add(1)
			go func() { defer rs.wg.Done(); defer c.Close(); fn(c) }()
		}
	}()
	t.Cleanup(rs.Close)
	return rs
}

func (rs *rawServer) Close() {
	rs.ln.Close()
	rs.mu.Lock()
	for _, c := range rs.cs {
		c.Close()
	}
	rs.mu.Unlock()
	rs.wg.Wait()
}

// captureOne reads one request from c, returns its raw bytes and answers
// with body.
func captureOne(c net.Conn, body string) ([]byte, error) {
	var rec bytes.Buffer
	br := bufio.NewReader(io.TeeReader(c, &rec))
	var req fasthttp.Request
	if err := req.Read(br); err != nil {
		return nil, err
	}
	raw := rec.Bytes()[:rec.Len()-br.Buffered()]
	return raw, writeAnswer(c, body)
}

// writeAnswer writes a raw HTTP 200 answer with a JSON body to w.
func writeAnswer(w io.Writer, body string) error {
	_, err := io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+
		strconv.Itoa(len(body))+"\r\n\r\n"+body)
	return err
}

// logCapture is a slog handler that keeps every record's text.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logCapture) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct{ l *logCapture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(p)
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func bg() context.Context { return context.Background() }

var farFuture = time.Now().Add(100 * time.Hour)
