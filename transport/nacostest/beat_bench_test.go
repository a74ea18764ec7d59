package nacostest

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/valyala/fasthttp"
)

// rawBeat is the wire form of a beat as the Java client sends it: identity
// in the query, BeatInfo (when full) in the form body.
func rawBeat(i int, full bool) []byte {
	ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	q := "namespaceId=public&serviceName=DEFAULT_GROUP%40%40svc&clusterName=DEFAULT&ip=" + ip + "&port=8080"
	var body string
	if full {
		beat := `{"port":8080,"ip":"` + ip + `","weight":1.0,"serviceName":"DEFAULT_GROUP@@svc","cluster":"DEFAULT","metadata":{"k":"v"},"scheduled":false,"period":5000,"stopped":false}`
		body = "beat=" + url.QueryEscape(beat)
	}
	return []byte("PUT /nacos/v1/ns/instance/beat?" + q + " HTTP/1.1\r\nHost: x\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// BenchmarkBeat measures the server's handling of one beat of a known
// instance, in process (no network): request parsing, routing, the store
// update and the answer. Light beats must not allocate.
func BenchmarkBeat(b *testing.B) {
	for _, full := range []bool{false, true} {
		name := "light"
		if full {
			name = "full"
		}
		b.Run(name, func(b *testing.B) {
			s := startBench(b)
			const n = 1024
			reqs := make([][]byte, n)
			for i := range reqs {
				reqs[i] = rawBeat(i, full)
				// A full beat registers the instance the first time.
				if code := serveRaw(b, s, rawBeat(i, true)); code != fasthttp.StatusOK {
					b.Fatalf("register by beat: status %d", code)
				}
			}
			rc := newRawConn()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if err := rc.serve(s, reqs[i%n]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if !bytes.Contains(rc.ctx.Response.Body(), []byte(`"code":10200`)) {
				b.Fatalf("answer %s", rc.ctx.Response.Body())
			}
		})
	}
}

// BenchmarkBeatParallel is BenchmarkBeat light on every core at once, on
// distinct instances: it shows the store takes no global lock.
func BenchmarkBeatParallel(b *testing.B) {
	s := startBench(b)
	const n = 4096
	reqs := make([][]byte, n)
	for i := range reqs {
		reqs[i] = rawBeat(i, false)
		serveRaw(b, s, rawBeat(i, true))
	}
	b.ReportAllocs()
	b.ResetTimer()
	var seq uint64
	b.RunParallel(func(pb *testing.PB) {
		rc := newRawConn()
		i := int(atomicAdd(&seq) * 997)
		for pb.Next() {
			i++
			if err := rc.serve(s, reqs[i%n]); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// rawConn runs raw requests through a server's handler, in process,
// reusing one request context and reader.
type rawConn struct {
	ctx fasthttp.RequestCtx
	rd  bytes.Reader
	br  *bufio.Reader
}

func newRawConn() *rawConn {
	c := new(rawConn)
	c.br = bufio.NewReader(&c.rd)
	return c
}

// serve reads raw as a request and has s handle it; c.ctx then holds the
// answer.
func (c *rawConn) serve(s *Server, raw []byte) error {
	c.rd.Reset(raw)
	c.br.Reset(&c.rd)
	c.ctx.Request.Reset()
	c.ctx.Response.Reset()
	if err := c.ctx.Request.Read(c.br); err != nil {
		return err
	}
	s.handle(&c.ctx)
	return nil
}

func startBench(b *testing.B) *Server {
	b.Helper()
	s, err := Start(Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// serveRaw runs one raw request through the handler and returns the status.
func serveRaw(tb testing.TB, s *Server, raw []byte) int {
	tb.Helper()
	var ctx fasthttp.RequestCtx
	if err := ctx.Request.Read(bufio.NewReader(bytes.NewReader(raw))); err != nil {
		tb.Fatal(err)
	}
	s.handle(&ctx)
	return ctx.Response.StatusCode()
}

func atomicAdd(p *uint64) uint64 { return atomic.AddUint64(p, 1) }

// TestLightBeatAllocs: a light beat allocates nothing, whether its answer
// is one built at Start (known instance with no interval of its own,
// unknown instance) or formatted for an instance with its own interval.
func TestLightBeatAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	s := start(t, Config{})
	for i := range 2 {
		if code := serveRaw(t, s, rawBeat(i, true)); code != fasthttp.StatusOK {
			t.Fatalf("register by beat: status %d", code)
		}
	}
	// Instance 1 (10.0.0.1) has an interval of its own.
	key := appendKey(nil, []byte(defaultNamespace), []byte(defaultGroup+groupSep+"svc"),
		[]byte(defaultCluster), []byte("10.0.0.1"), 8080)
	sh, h := s.store.locate(key)
	sh.mu.Lock()
	sh.getLocked(h, key).setMetadata(map[string]string{metaBeatInterval: "3000"})
	sh.mu.Unlock()
	for _, tc := range []struct {
		i    int
		want string
	}{
		{0, beatOK},
		{1, `{"clientBeatInterval":3000,"code":10200,"lightBeatEnabled":true}`},
		{2, beatNotFound},
	} {
		var ctx fasthttp.RequestCtx
		var rd bytes.Reader
		br := bufio.NewReader(&rd)
		raw := rawBeat(tc.i, false)
		run := func() {
			rd.Reset(raw)
			br.Reset(&rd)
			ctx.Request.Reset()
			ctx.Response.Reset()
			if err := ctx.Request.Read(br); err != nil {
				t.Fatal(err)
			}
			s.handle(&ctx)
		}
		run()
		if got := string(ctx.Response.Body()); got != tc.want {
			t.Fatalf("answer %s, want %s", got, tc.want)
		}
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%s: %.1f allocs per light beat", tc.want, n)
		}
	}
}
