package transport

import (
	"bufio"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fastjson"
)

func TestParseBeatResponse(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    reactor.BeatResult
		wantErr any
	}{
		{"ok", 200, okBeat, reactor.BeatResult{Code: reactor.CodeOK, ClientBeatInterval: 5 * time.Second, LightBeatEnabled: true}, nil},
		{"not found", 200, `{"clientBeatInterval":5000,"code":20404}`, reactor.BeatResult{Code: reactor.CodeNotFound, ClientBeatInterval: 5 * time.Second}, nil},
		{"missing fields", 200, `{}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"interval 0", 200, `{"clientBeatInterval":0,"code":10200,"lightBeatEnabled":false}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"negative interval", 200, `{"clientBeatInterval":-5}`, reactor.BeatResult{Code: reactor.CodeOK}, nil},
		{"light as string", 200, `{"lightBeatEnabled":"true"}`, reactor.BeatResult{Code: reactor.CodeOK, LightBeatEnabled: true}, nil},
		{"bad json", 200, `{"code":`, reactor.BeatResult{}, new(*ResponseError)},
		{"not object", 200, `[1]`, reactor.BeatResult{}, new(*ResponseError)},
		{"code not number", 200, `{"code":"x"}`, reactor.BeatResult{}, new(*ResponseError)},
		{"empty body", 200, ``, reactor.BeatResult{}, new(*ResponseError)},
		{"non-200", 500, strings.Repeat("x", 300), reactor.BeatResult{}, new(*StatusError)},
	}
	var p fastjson.Parser
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseBeatResponse(&p, tt.status, []byte(tt.body))
			if tt.wantErr == nil {
				assert.Equal(t, tt.want, got)
				return
			}
			require.Error(t, got.Err)
			// ErrorAs stores the error it finds in *tt.wantErr.
			require.ErrorAs(t, got.Err, tt.wantErr)
			assert.Zero(t, got.Code)
			if se, ok := tt.wantErr.(**StatusError); ok {
				assert.Equal(t, tt.status, (*se).Status)
				assert.Equal(t, tt.body[:maxErrBody], (*se).Body)
			}
		})
	}
}

func TestParseBeatResponseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var p fastjson.Parser
	body := []byte(okBeat)
	parseBeatResponse(&p, 200, body)
	assert.Zero(t, testing.AllocsPerRun(1000, func() { parseBeatResponse(&p, 200, body) }))
}

func FuzzParseBeatResponse(f *testing.F) {
	for _, s := range []string{okBeat, `{}`, `{"code":20404}`, `[`, ``, `{"clientBeatInterval":1e400}`} {
		f.Add(200, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var p fastjson.Parser
		r := parseBeatResponse(&p, status, body)
		if r.Err != nil {
			if r.Code != 0 || r.ClientBeatInterval != 0 || r.LightBeatEnabled {
				t.Fatalf("error with fields: %+v", r)
			}
			// The body kept is at most maxErrBody bytes, and quoting turns
			// a byte into at most 4 characters (\xNN); the rest is a short
			// message and reason.
			if len(r.Err.Error()) > 4*maxErrBody+100 {
				t.Fatalf("error too long: %d", len(r.Err.Error()))
			}
			return
		}
		if status != 200 || r.ClientBeatInterval < 0 {
			t.Fatalf("bad result %+v for status %d", r, status)
		}
	})
}

// TestScanAnswer checks scanAnswer against fasthttp, which reads what
// scanAnswer leaves: on every answer scanAnswer takes, both must agree on
// status, body, Keep-Alive max and length. Connection is checked against
// want: fasthttp knows only the exact value "close", scanAnswer any close
// token in any case (RFC 7230 §6.1).
func TestScanAnswer(t *testing.T) {
	const okHead = "HTTP/1.1 200 OK\r\nServer: fasthttp\r\nContent-Type: application/json\r\nContent-Length: "
	tests := []struct {
		name    string
		raw     string
		take    bool // scanAnswer parses it (else it leaves it to fasthttp)
		closing bool
	}{
		{"ok", okHead + "2\r\n\r\nok", true, false},
		{"beat", okHead + strconv.Itoa(len(okBeat)) + "\r\n\r\n" + okBeat, true, false},
		{"two answers", okHead + "2\r\n\r\nok" + okHead + "2\r\n\r\nok", true, false},
		{"close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", true, true},
		{"close, any case", "HTTP/1.1 200 OK\r\nconnection: Close\r\ncontent-length: 2\r\n\r\nok", true, true},
		{"close in a list", "HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 2\r\n\r\nok", true, true},
		{"keep-alive", "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", true, false},
		{"keep-alive max", "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=20, max=99\r\nContent-Length: 2\r\n\r\nok", true, false},
		{"500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror", true, false},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", true, false},
		{"empty body", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true, false},
		{"body cut", okHead + "20\r\n\r\nok", false, false},
		{"head cut", "HTTP/1.1 200 OK\r\nContent-Len", false, false},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false, false},
		{"no length", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok", false, false},
		{"two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok", false, false},
		{"too large", "HTTP/1.1 200 OK\r\nContent-Length: 65\r\n\r\n" + strings.Repeat("x", 65), false, false},
		{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", false, false},
		{"bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\nok", false, false},
		{"bad header", "HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 2\r\n\r\nok", false, false},
	}
	const maxBody = 64
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, ok := scanAnswer([]byte(tt.raw), maxBody)
			require.Equal(t, tt.take, ok)
			if !ok {
				return
			}
			var resp fasthttp.Response
			br := bufio.NewReader(strings.NewReader(tt.raw))
			require.NoError(t, resp.ReadLimitBody(br, maxBody))
			assert.Equal(t, resp.StatusCode(), got.status)
			assert.Equal(t, string(resp.Body()), string(got.body))
			assert.Equal(t, tt.closing, got.closing)
			assert.Equal(t, keepAliveMax(resp.Header.Peek("Keep-Alive")), got.keepAlive)
			assert.Equal(t, len(tt.raw)-br.Buffered(), n, "length of the answer")
		})
	}
}

// BenchmarkReadAnswer reads pipelined beat answers, as nacostest sends
// them, from a buffer: scan/* with scanAnswer (the pipeline's way for an
// answer buffered whole), fasthttp/* with fasthttp.Response, both parsing
// the JSON with fastjson; scan_remembered/* is scan with a beatParser, as
// the pipeline reads. One op is one answer.
func BenchmarkReadAnswer(b *testing.B) {
	one := "HTTP/1.1 200 OK\r\nServer: fasthttp\r\nDate: Mon, 30 Nov 2026 04:00:00 GMT\r\n" +
		"Content-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(okBeat)) + "\r\n\r\n" + okBeat
	raw := strings.Repeat(one, 64)
	for _, remember := range []bool{false, true} {
		name := "scan"
		if remember {
			name = "scan_remembered"
		}
		b.Run(name, func(b *testing.B) {
			var (
				p  fastjson.Parser
				bp beatParser
			)
			all := []byte(raw)
			rest := all
			loopCPU(b, func(uint64) {
				a, n, ok := scanAnswer(rest, 1<<16)
				if !ok {
					rest = all
					a, n, _ = scanAnswer(rest, 1<<16)
				}
				var res reactor.BeatResult
				if remember {
					res = bp.parse(a.status, a.body)
				} else {
					res = parseBeatResponse(&p, a.status, a.body)
				}
				if res.Code != reactor.CodeOK {
					b.Fatal("not ok")
				}
				rest = rest[n:]
			})
		})
	}
	b.Run("fasthttp", func(b *testing.B) {
		var (
			p    fastjson.Parser
			resp fasthttp.Response
		)
		sr := strings.NewReader(raw)
		br := bufio.NewReaderSize(sr, readBufSize)
		loopCPU(b, func(uint64) {
			if br.Buffered() == 0 {
				sr.Reset(raw)
			}
			if err := resp.ReadLimitBody(br, 1<<16); err != nil {
				b.Fatal(err)
			}
			if parseBeatResponse(&p, resp.StatusCode(), resp.Body()).Code != reactor.CodeOK {
				b.Fatal("not ok")
			}
		})
	})
}

// TestBeatParserRemembers checks that a beatParser answers each of a
// sequence of answers as parseBeatResponse does, whatever it remembers
// from the answers before.
func TestBeatParserRemembers(t *testing.T) {
	notFound := `{"clientBeatInterval":5000,"code":20404}`
	seq := []struct {
		status int
		body   string
	}{
		{200, okBeat},
		{200, okBeat},
		{500, okBeat}, // same bytes, another status
		{200, okBeat},
		{200, notFound},
		{200, notFound},
		{200, `{"code":`}, // broken: not remembered
		{200, notFound},
		{200, okBeat},
		{200, strings.Repeat("\x00", len(okBeat))}, // what a kept, not copied, body became
		{200, ``},
		{200, okBeat},
	}
	var (
		bp beatParser
		p  fastjson.Parser
	)
	for i, a := range seq {
		body := []byte(a.body)
		want := parseBeatResponse(&p, a.status, body)
		got := bp.parse(a.status, body)
		clear(body) // a remembered body must be a copy
		assert.Equal(t, want, got, "answer %d", i)
	}
}
