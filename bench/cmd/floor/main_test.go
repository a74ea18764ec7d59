package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/transport/nacostest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string // error text; empty for none
	}{
		{"defaults", []string{"-server", "h:1"}, ""},
		{"no server", nil, "-server is required"},
		{"argument", []string{"-server", "h:1", "x"}, `unexpected argument "x"`},
		{"no rate", []string{"-server", "h:1", "-rate", "0"}, "-rate 0"},
		{"no conns", []string{"-server", "h:1", "-conns", "0"}, "-conns 0"},
		{"no per-write", []string{"-server", "h:1", "-per-write", "0"}, "-per-write 0"},
		{"no tick", []string{"-server", "h:1", "-tick", "0s"}, "-tick 0s"},
		{"negative warm-up", []string{"-server", "h:1", "-warmup", "-1s"}, "-warmup -1s"},
		{"no window", []string{"-server", "h:1", "-duration", "0s"}, "-duration 0s"},
		{"unknown flag", []string{"-x"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := parseFlags(tt.args, io.Discard)
			if tt.want != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, config{server: "h:1", rate: 200_000, conns: 16, perWrite: 1 << 20,
				tick: 50 * time.Millisecond, warmup: 3 * time.Second, duration: 15 * time.Second}, cfg)
		})
	}
}

func TestShare(t *testing.T) {
	tests := []struct {
		rate, conns int
		tick        time.Duration
		want        int
	}{
		{200_000, 16, 50 * time.Millisecond, 625},
		{1000, 3, 10 * time.Millisecond, 3}, // 3.33 rounds down
		{1000, 3, 20 * time.Millisecond, 7}, // 6.67 rounds up
		{1, 16, 50 * time.Millisecond, 1},   // never below one
	}
	for _, tt := range tests {
		cfg := config{rate: tt.rate, conns: tt.conns, tick: tt.tick}
		assert.Equal(t, tt.want, cfg.share(), "rate %d, %d conns, tick %v", tt.rate, tt.conns, tt.tick)
	}
}

func TestReadAnswer(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{\"a\"}"
	tests := []struct {
		name    string
		in      string
		status  int
		closing bool
		err     error // errors.Is; nil for none
	}{
		{"ok", ok, 200, false, nil},
		{"closing", "HTTP/1.1 200 OK\r\nconnection: Close\r\ncontent-length: 0\r\n\r\n", 200, true, nil},
		{"error status", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n\r\nno", 500, false, nil},
		{"bare LF", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", 200, false, nil},
		{"no length", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, false, errNotHTTP},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", 0, false, errNotHTTP},
		{"not HTTP", "SSH-2.0-OpenSSH\r\n", 0, false, errNotHTTP},
		{"bad status", "HTTP/1.1 2x0 OK\r\n\r\n", 0, false, errNotHTTP},
		{"header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", 0, false, errNotHTTP},
		{"ends in the headers", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n", 0, false, io.ErrUnexpectedEOF},
		{"ends in the body", "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", 0, false, io.EOF},
		{"nothing", "", 0, false, io.EOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, closing, err := readAnswer(bufio.NewReader(strings.NewReader(tt.in)))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.status, status)
			assert.Equal(t, tt.closing, closing)
		})
	}
	t.Run("reads one answer, then the next", func(t *testing.T) {
		br := bufio.NewReader(strings.NewReader(ok + ok))
		for range 2 {
			status, _, err := readAnswer(br)
			require.NoError(t, err)
			assert.Equal(t, 200, status)
		}
		_, _, err := readAnswer(br)
		assert.ErrorIs(t, err, io.EOF)
	})
}

func TestLightBeatIsTheTransportsLightBeat(t *testing.T) {
	golden, err := os.ReadFile("../../../transport/testdata/beat_light.golden")
	require.NoError(t, err)
	want := strings.NewReplacer("namespaceId=dev", "namespaceId=public", "%40%40orders", "%40%40floor",
		"ip=10.0.0.7", "ip=10.0.0.1", "127.0.0.1:8848", "%s",
		"deadbeef-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000000").Replace(string(golden))
	assert.Equal(t, want, lightBeat, "the light beat beatwheel's transport writes, names aside")
}

// short is a run small enough for a test: 2 connections, 2,000 beats a
// second, every 10 ms.
func short(addr string) config {
	return config{server: addr, rate: 2000, conns: 2, perWrite: 1 << 20, tick: 10 * time.Millisecond,
		warmup: 100 * time.Millisecond, duration: 500 * time.Millisecond}
}

func TestRunAgainstTheServersLimit(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{MaxRequestsPerConn: 4})
	require.NoError(t, err)
	defer srv.Close()

	res, err := run(context.Background(), short(srv.Addr()))
	require.NoError(t, err)
	assert.EqualValues(t, 4, res.limit, "learned from the answer that says Connection: close")
	assert.Zero(t, res.failed)
	require.Positive(t, res.beats)
	// Every connection carries at most 4: the window's dials cover its
	// beats but for the connections open at its edges.
	assert.GreaterOrEqual(t, res.conns+2, res.beats/4, "%d beats on %d connections", res.beats, res.conns)
	assert.Positive(t, res.cpu)
	assert.Positive(t, res.nsPerBeat())

	var out bytes.Buffer
	res.print(&out)
	assert.Contains(t, out.String(), "2 connections, each sending 10 beats every 10ms (2000 a second); the server ends a connection after 4 requests")
	assert.Contains(t, out.String(), "CPU/beat")
}

func TestRunKeepsItsConnectionsWithoutALimit(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{MaxRequestsPerConn: -1})
	require.NoError(t, err)
	defer srv.Close()

	cfg := short(srv.Addr())
	cfg.warmup = 500 * time.Millisecond // the first dials are done, on a busy machine too
	res, err := run(context.Background(), cfg)
	require.NoError(t, err)
	assert.Positive(t, res.beats)
	assert.Zero(t, res.conns, "dialled before the window, kept through it")
	assert.Zero(t, res.limit)
	var out bytes.Buffer
	res.print(&out)
	assert.Contains(t, out.String(), "connections kept (the server ended none)")
}

// TestConnDialsAgainAtALimitLearnedLower: a connection that carried the
// limit without the server ending it (a limit learned lower than the
// server's own) is closed and another dialled, not written to with room
// for no beat.
func TestConnDialsAgainAtALimitLearnedLower(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{MaxRequestsPerConn: -1})
	require.NoError(t, err)
	defer srv.Close()
	var n counts
	n.limit.Store(2)
	k := newConn(short(srv.Addr()), &n)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	require.NoError(t, k.run(ctx, time.Now()))
	require.Positive(t, n.beats.Load())
	assert.GreaterOrEqual(t, n.conns.Load(), n.beats.Load()/2, "%d beats on %d connections", n.beats.Load(), n.conns.Load())
	assert.Zero(t, n.unanswered.Load())
}

func TestRunFails(t *testing.T) {
	gone, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	goneAddr := gone.Addr().String()
	require.NoError(t, gone.Close())

	notHTTP := serve(t, func(c net.Conn) {
		c.Read(make([]byte, 4096))
		c.Write([]byte("SSH-2.0-OpenSSH\r\n"))
	})
	silent := serve(t, func(c net.Conn) {}) // closes each connection unanswered

	tests := []struct {
		name, addr, want string
	}{
		{"no server", goneAddr, "dial " + goneAddr},
		{"not HTTP", notHTTP, errNotHTTP.Error()},
		{"never answers", silent, errNoAnswers.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(context.Background(), short(tt.addr))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestRunDialsAgainAfterAnUnansweredConnection(t *testing.T) {
	var accepted atomic.Int32
	addr := serve(t, func(c net.Conn) {
		if accepted.Add(1)%2 == 1 {
			return // every other connection closed before an answer
		}
		answerAll(c)
	})
	res, err := run(context.Background(), short(addr))
	require.NoError(t, err, "one unanswered connection now and then is no failure")
	assert.Positive(t, res.beats)
	assert.Zero(t, res.limit, "no answer said Connection: close")
}

func TestPrintNamesUnansweredConnections(t *testing.T) {
	res := result{cfg: short("h:1"), window: time.Second, beats: 2000, conns: 40, unanswered: 3, cpu: time.Millisecond}
	var out bytes.Buffer
	res.print(&out)
	assert.Contains(t, out.String(), "3 connections ended before an answer; their beats went on the next")
	res.unanswered = 0
	out.Reset()
	res.print(&out)
	assert.NotContains(t, out.String(), "before an answer")
	assert.Contains(t, out.String(), "500ns", "1 ms of CPU for 2,000 beats")
}

func TestRunStopsWithItsContext(t *testing.T) {
	srv, err := nacostest.Start(nacostest.Config{})
	require.NoError(t, err)
	defer srv.Close()
	cfg := short(srv.Addr())
	cfg.warmup = time.Hour
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = run(ctx, cfg)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

// serve answers every connection to a listener with handle, each in its
// own goroutine, then closes it, until the test ends; it returns the
// listener's address.
func serve(t *testing.T, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// answerAll answers every request on c (requests without a body) with an
// empty 200, until c ends.
func answerAll(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")); err != nil {
				return
			}
		}
	}
}
