package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/internal/beatload"
	"github.com/beatwheel/beatwheel/internal/measure"
	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestFormEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019.-*_", "abcXYZ019.-*_"},
		{"a b", "a+b"},
		{`g@@s:1/{"`, "g%40%40s%3A1%2F%7B%22"},
		{"+&=%;#?", "%2B%26%3D%25%3B%23%3F"},
		{"é", "%C3%A9"},
		{"\x00\n\x7f\xff", "%00%0A%7F%FF"},
	}
	for _, tt := range tests {
		assert.Equal(t, "k="+tt.want, string(appendFormEscape([]byte("k="), tt.in)), "string %q", tt.in)
		assert.Equal(t, "k="+tt.want, string(appendFormEscape([]byte("k="), []byte(tt.in))), "[]byte %q", tt.in)
	}
	// What a server reads back is every byte as it was.
	var all []byte
	for c := range 256 {
		all = append(all, byte(c), 'x', byte(c), byte(c))
	}
	got, err := url.QueryUnescape(string(appendFormEscape(nil, all)))
	require.NoError(t, err)
	assert.Equal(t, string(all), got)
}

func TestJSONString(t *testing.T) {
	var all strings.Builder
	for c := range 0x80 {
		all.WriteByte(byte(c))
	}
	for _, s := range []string{"", "plain", `q"b\s/`, "\b\t\n\f\r\x00\x01\x1f", "é☃\u2028", all.String()} {
		raw := appendJSONString(nil, s)
		var got string
		require.NoError(t, json.Unmarshal(raw, &got), "%s", raw)
		assert.Equal(t, s, got)
	}
	assert.Equal(t, `"a\"\\\n\u0001"`, string(appendJSONString(nil, "a\"\\\n\x01")))
}

// jsonNumber is RFC 8259's number; Java's Double.parseDouble reads all of
// them.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

func TestAppendNumber(t *testing.T) {
	for _, f := range []float64{0, 1, 0.5, 2.5, 100, 1e7, 12345678.9, 1e-3, 1.5e-5, 1e21, 1e300} {
		s := string(appendNumber(nil, f))
		assert.Regexp(t, jsonNumber, s)
		back, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		assert.Equal(t, f, back, s)
	}
}

// wireInfo is an instance whose values need escaping wherever they go.
func wireInfo() *reactor.BeatInfo {
	return &reactor.BeatInfo{
		ServiceName: "g.1@@orders:v2", IP: "fe80::1", Port: 8080, Cluster: "c-1", Weight: 2.5,
		Metadata:  map[string]string{"version": "1.2 beta", "q": "a&b=c+d%e;\"\\\n\x01é", "": ""},
		Scheduled: true, Period: 3 * time.Second,
	}
}

// Config of the wire tests: a context path and a namespace that need
// escaping, credentials that do.
const (
	wireContextPath = "/registry/nacos"
	wireNamespace   = "dev ns/1&x=y"
	wireToken       = "TOK+EN/=&%"
	wirePassword    = "p@ss w0rd&=+%"
)

// wantBeatJSON is what a server reads from wireInfo's beat parameter.
var wantBeatJSON = map[string]any{
	"port": 8080.0, "ip": "fe80::1", "weight": 2.5, "serviceName": "g.1@@orders:v2", "cluster": "c-1",
	"metadata":  map[string]any{"version": "1.2 beta", "q": "a&b=c+d%e;\"\\\n\x01é", "": ""},
	"scheduled": true, "period": 3000.0, "stopped": false,
}

// wantMetadata is what a server reads from wireInfo's metadata parameter.
var wantMetadata = map[string]any{"version": "1.2 beta", "q": "a&b=c+d%e;\"\\\n\x01é", "": ""}

// captureRequest makes a client from cfg against a raw server answering
// reply, runs call and returns the raw request the server read.
func captureRequest(t *testing.T, cfg Config, token, reply string, call func(*Client) error) []byte {
	t.Helper()
	reqs := make(chan []byte, 4)
	rs := newRawServer(t, func(conn net.Conn) {
		for {
			raw, err := captureOne(conn, reply)
			if err != nil {
				return
			}
			reqs <- raw
		}
	})
	cfg.Servers = []string{rs.addr}
	c := newClient(t, cfg)
	c.reqIDPrefix = [16]byte{0xde, 0xad, 0xbe, 0xef}
	if token != "" {
		c.auth.tok.Store(&tokenInfo{token: token, refreshAt: farFuture, expireAt: farFuture})
	}
	require.NoError(t, call(c))
	return bytes.ReplaceAll(<-reqs, []byte(rs.addr), []byte("127.0.0.1:8848"))
}

func sendBeat(info *reactor.BeatInfo, light bool) func(*Client) error {
	return func(c *Client) error {
		res := make([]reactor.BeatResult, 1)
		c.SendBeats(bg(), []reactor.Beat{{Info: info, Light: light}}, res)
		return res[0].Err
	}
}

// instancesOne makes a call that registers or deregisters (call is
// RegisterAll or DeregisterAll) info alone.
func instancesOne(call func(*Client, context.Context, []*reactor.BeatInfo, []error), info *reactor.BeatInfo) func(*Client) error {
	return func(c *Client) error {
		errs := make([]error, 1)
		call(c, bg(), []*reactor.BeatInfo{info}, errs)
		return errs[0]
	}
}

// readRequest parses raw with net/http, as a server would, and returns
// the request with its query and form values.
func readRequest(t *testing.T, br *bufio.Reader) (req *http.Request, query, form url.Values) {
	t.Helper()
	req, err := http.ReadRequest(br)
	require.NoError(t, err)
	query, err = url.ParseQuery(req.URL.RawQuery)
	require.NoError(t, err)
	body, err := io.ReadAll(req.Body)
	require.NoError(t, err)
	form, err = url.ParseQuery(string(body))
	require.NoError(t, err)
	return req, query, form
}

// takeJSON removes key from v and returns its value read as JSON.
func takeJSON(t *testing.T, v url.Values, key string) any {
	t.Helper()
	raw := v.Get(key)
	v.Del(key)
	if raw == "" {
		return nil
	}
	var out any
	require.NoError(t, json.Unmarshal([]byte(raw), &out), "%s", raw)
	return out
}

// TestWireValues sends each kind of request, reads it back as a server
// does and compares what the server reads: method, path, every query and
// form value, the beat and metadata JSON, the headers.
func TestWireValues(t *testing.T) {
	identity := url.Values{"namespaceId": {wireNamespace}, "serviceName": {"g.1@@orders:v2"},
		"clusterName": {"c-1"}, "ip": {"fe80::1"}, "port": {"8080"}}
	with := func(v url.Values, kv ...string) url.Values {
		out := url.Values{}
		for k, vs := range v {
			out[k] = vs
		}
		for i := 0; i < len(kv); i += 2 {
			out.Set(kv[i], kv[i+1])
		}
		return out
	}
	registered := with(identity, "groupName", "g.1", "weight", "2.5", "enable", "true", "healthy", "true",
		"ephemeral", "true")
	big := wireInfo()
	big.Weight = 1.5e7 // 1.5e+07: the + must reach the server
	register := func(b *reactor.BeatInfo) func(*Client) error {
		return func(c *Client) error { return c.Register(bg(), b) }
	}
	deregister := func(c *Client) error { return c.Deregister(bg(), wireInfo()) }
	login := func(c *Client) error { _, err := c.login(bg()); return err }

	tests := []struct {
		name     string
		mode     Mode
		token    string
		call     func(*Client) error
		reply    string
		method   string
		path     string
		query    url.Values
		form     url.Values
		beatJSON any // from the form's beat
		metadata any // from the query's metadata
	}{
		{name: "beat full pipeline", mode: ModePipeline, call: sendBeat(wireInfo(), false), reply: okBeat,
			method: "PUT", path: beatPath, query: identity, form: url.Values{}, beatJSON: wantBeatJSON},
		{name: "beat full hostclient", mode: ModeHostClient, call: sendBeat(wireInfo(), false), reply: okBeat,
			method: "PUT", path: beatPath, query: identity, form: url.Values{}, beatJSON: wantBeatJSON},
		{name: "beat light pipeline", mode: ModePipeline, call: sendBeat(wireInfo(), true), reply: okBeat,
			method: "PUT", path: beatPath, query: identity, form: url.Values{}},
		{name: "beat light hostclient", mode: ModeHostClient, call: sendBeat(wireInfo(), true), reply: okBeat,
			method: "PUT", path: beatPath, query: identity, form: url.Values{}},
		{name: "beat token pipeline", mode: ModePipeline, token: wireToken, call: sendBeat(wireInfo(), false),
			reply: okBeat, method: "PUT", path: beatPath, query: with(identity, "accessToken", wireToken),
			form: url.Values{}, beatJSON: wantBeatJSON},
		{name: "beat token hostclient", mode: ModeHostClient, token: wireToken, call: sendBeat(wireInfo(), true),
			reply: okBeat, method: "PUT", path: beatPath, query: with(identity, "accessToken", wireToken),
			form: url.Values{}},
		{name: "register", call: register(wireInfo()), reply: "ok", method: "POST", path: instancePath,
			query: registered, form: url.Values{}, metadata: wantMetadata},
		{name: "register big weight", call: register(big), reply: "ok", method: "POST", path: instancePath,
			query: with(registered, "weight", "1.5e+07"), form: url.Values{}, metadata: wantMetadata},
		{name: "register token", token: wireToken, call: register(wireInfo()), reply: "ok", method: "POST",
			path: instancePath, query: with(registered, "accessToken", wireToken), form: url.Values{},
			metadata: wantMetadata},
		{name: "deregister", call: deregister, reply: "ok", method: "DELETE", path: instancePath,
			query: with(identity, "ephemeral", "true"), form: url.Values{}},
		{name: "register pipeline", mode: ModePipeline, token: wireToken,
			call: instancesOne((*Client).RegisterAll, wireInfo()), reply: "ok", method: "POST", path: instancePath,
			query: with(registered, "accessToken", wireToken), form: url.Values{}, metadata: wantMetadata},
		{name: "deregister pipeline", mode: ModePipeline, call: instancesOne((*Client).DeregisterAll, wireInfo()),
			reply: "ok", method: "DELETE", path: instancePath, query: with(identity, "ephemeral", "true"),
			form: url.Values{}},
		{name: "deregister token", token: wireToken, call: deregister, reply: "ok", method: "DELETE",
			path: instancePath, query: with(identity, "ephemeral", "true", "accessToken", wireToken),
			form: url.Values{}},
		{name: "login", call: login, reply: `{"accessToken":"x","tokenTtl":18000}`, method: "POST",
			path: loginPath, query: url.Values{"username": {"na cos&"}}, form: url.Values{"password": {wirePassword}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{ContextPath: wireContextPath, Namespace: wireNamespace, Mode: tt.mode}
			if tt.token != "" || tt.path == loginPath {
				cfg.Username, cfg.Password = "na cos&", wirePassword
			}
			raw := captureRequest(t, cfg, tt.token, tt.reply, tt.call)
			req, query, form := readRequest(t, bufio.NewReader(bytes.NewReader(raw)))
			assert.Equal(t, tt.method, req.Method)
			assert.Equal(t, wireContextPath+tt.path, req.URL.Path)
			assert.Equal(t, "127.0.0.1:8848", req.Host)
			assert.Equal(t, tt.metadata, takeJSON(t, query, "metadata"))
			assert.Equal(t, tt.query, query)
			assert.Equal(t, tt.beatJSON, takeJSON(t, form, "beat"))
			assert.Equal(t, tt.form, form)
			assert.Equal(t, formContentType, req.Header.Get("Content-Type"))
			if tt.path != loginPath {
				assert.Equal(t, userAgent, req.Header.Get("User-Agent"))
				assert.Equal(t, javaClientVersion, req.Header.Get("Client-Version"))
				assert.Equal(t, "Naming", req.Header.Get("Request-Module"))
				assert.Regexp(t, `^deadbeef-0000-0000-0000-[0-9a-f]{12}$`, req.Header.Get("RequestId"))
			}
		})
	}
}

// TestBeatWireStream writes beats of two clients to two hosts into one
// buffer with one encoder, as a pipeline writer does, and reads them back
// one after the other: each has its own client's path and namespace and
// its host, and its Content-Length frames it.
func TestBeatWireStream(t *testing.T) {
	a := newClient(t, Config{Servers: []string{"a:1"}, Namespace: "ns-a"})
	b := newClient(t, Config{Servers: []string{"b:2"}, ContextPath: "/b"})
	info := wireInfo()
	type sent struct {
		c     *Client
		host  string
		light bool
		token string
	}
	seq := []sent{{a, "a:1", false, ""}, {a, "a:1", true, "T"}, {b, "b:2", true, ""},
		{a, "a:3", false, ""}, {b, "b:2", false, "U"}, {a, "a:1", true, ""}}
	var e encoder
	var buf []byte
	for i, s := range seq {
		buf = e.appendBeatWire(buf, s.c, s.host, reactor.Beat{Info: info, Light: s.light}, s.token, uint64(i))
	}
	br := bufio.NewReader(bytes.NewReader(buf))
	for i, s := range seq {
		req, query, form := readRequest(t, br)
		assert.Equal(t, s.host, req.Host, i)
		assert.Equal(t, s.c.cfg.ContextPath+beatPath, req.URL.Path, i)
		assert.Equal(t, s.c.cfg.Namespace, query.Get("namespaceId"), i)
		assert.Equal(t, s.token, query.Get("accessToken"), i)
		assert.Equal(t, "g.1@@orders:v2", query.Get("serviceName"), i)
		var beat any
		if !s.light {
			beat = wantBeatJSON
		}
		assert.Equal(t, beat, takeJSON(t, form, "beat"), i)
	}
	_, err := br.Peek(1)
	assert.ErrorIs(t, err, io.EOF, "nothing after the last request")
}

// TestEncodeAllocs: encoding a beat or a query allocates nothing once the
// encoder's buffers have grown.
func TestEncodeAllocs(t *testing.T) {
	c := newClient(t, Config{Servers: []string{"a:1"}, Namespace: "dev"})
	info := wireInfo()
	var e encoder
	buf := make([]byte, 0, 4096)
	for _, light := range []bool{false, true} {
		bt := reactor.Beat{Info: info, Light: light}
		buf = e.appendBeatWire(buf[:0], c, "a:1", bt, "T", 1)
		assert.Zero(t, testing.AllocsPerRun(100, func() { buf = e.appendBeatWire(buf[:0], c, "a:1", bt, "T", 2) }))
	}
	for _, k := range []reqKind{kindRegister, kindDeregister} {
		buf = e.appendInstanceWire(buf[:0], c, "a:1", k, info, "T", 1)
		assert.Zero(t, testing.AllocsPerRun(100, func() { buf = e.appendInstanceWire(buf[:0], c, "a:1", k, info, "T", 2) }))
	}
	for _, q := range [][]param{beatQuery, registerQuery, deregisterQuery} {
		buf = e.appendQuery(buf[:0], q, info, "dev", "T")
		assert.Zero(t, testing.AllocsPerRun(100, func() { buf = e.appendQuery(buf[:0], q, info, "dev", "T") }))
	}
}

// TestGolden compares the bytes of a beat, a light beat, a register and a
// deregister with testdata, so that any change to them shows in review.
// Regenerate with go test -run TestGolden -update, and read the diff.
func TestGolden(t *testing.T) {
	info := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080,
		Weight: 1, Metadata: map[string]string{"version": "1.2 beta", "zone": "eu/1"}, Period: 5e9}
	tests := []struct {
		name  string
		mode  Mode
		call  func(*Client) error
		reply string
	}{
		{"beat", ModePipeline, sendBeat(info, false), okBeat},
		{"beat_light", ModePipeline, sendBeat(info, true), okBeat},
		{"register", ModeHostClient, func(c *Client) error { return c.Register(bg(), info) }, "ok"},
		{"deregister", ModeHostClient, func(c *Client) error { return c.Deregister(bg(), info) }, "ok"},
		{"register_pipeline", ModePipeline, instancesOne((*Client).RegisterAll, info), "ok"},
		{"deregister_pipeline", ModePipeline, instancesOne((*Client).DeregisterAll, info), "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := captureRequest(t, Config{Namespace: "dev", Mode: tt.mode}, "", tt.reply, tt.call)
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, raw, 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, strings.Split(string(want), "\r\n"), strings.Split(string(raw), "\r\n"))
		})
	}
}

// BenchmarkEncode measures the encoding of one request into a reused
// buffer: wire/* is a whole pipelined beat (appendBeatWire), query/* the
// query string the hostclient path puts in a URI. One op is one request.
// cpu-ns/op is the process's CPU time per op: on a shared machine the wall
// time also counts the waits for a core.
func BenchmarkEncode(b *testing.B) {
	c := newClient(b, Config{Servers: []string{"127.0.0.1:8848"}, Namespace: "dev", Mode: ModePipeline})
	info := testInfo(0)
	wire := []struct {
		name  string
		light bool
		token string
	}{
		{"full", false, ""},
		{"light", true, ""},
		{"light_token", true, "TOKEN-0123456789abcdef"},
	}
	for _, tc := range wire {
		b.Run("wire/"+tc.name, func(b *testing.B) {
			var e encoder
			buf := make([]byte, 0, 4096)
			bt := reactor.Beat{Info: info, Light: tc.light}
			loopCPU(b, func(i uint64) {
				buf = e.appendBeatWire(buf[:0], c, "127.0.0.1:8848", bt, tc.token, i)
			})
		})
	}
	for _, tc := range []struct {
		name  string
		order []param
	}{{"beat", beatQuery}, {"register", registerQuery}} {
		b.Run("query/"+tc.name, func(b *testing.B) {
			var e encoder
			buf := make([]byte, 0, 4096)
			loopCPU(b, func(uint64) {
				buf = e.appendQuery(buf[:0], tc.order, info, "dev", "")
			})
		})
	}
}

// loopCPU runs f(0), f(1), ... in b.Loop and reports the process CPU time
// per op beside the wall time.
func loopCPU(b *testing.B, f func(i uint64)) {
	b.ReportAllocs()
	cpu := measure.CPUTime()
	var i uint64
	for b.Loop() {
		f(i)
		i++
	}
	b.ReportMetric(float64(measure.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkEncodeCold encodes segments of 32 light beats of a million
// instances in a shuffled order, as a pipeline writer meets them at 1M:
// BeatInfos and IP strings not in cache. touch/* reads the segment first
// (what writeSegment does), plain/* encodes straight away. One op is one
// beat. Skipped in -short mode: it allocates a million BeatInfos.
func BenchmarkEncodeCold(b *testing.B) {
	if testing.Short() {
		b.Skip("a million instances")
	}
	const n, seg = 1 << 20, 32
	c := newClient(b, Config{Servers: []string{"127.0.0.1:8848"}, Mode: ModePipeline})
	services := beatload.Services(1000)
	beats := make([]reactor.Beat, n)
	for i := range beats {
		beats[i] = reactor.Beat{Info: beatload.Instance(i, services, 5*time.Second), Light: true}
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(n, func(i, j int) { beats[i], beats[j] = beats[j], beats[i] })
	for _, pre := range []bool{false, true} {
		name := "plain"
		if pre {
			name = "touch"
		}
		b.Run(name, func(b *testing.B) {
			var (
				e   encoder
				sum int
			)
			buf := make([]byte, 0, 64<<10)
			loopCPU(b, func(i uint64) {
				at := int(i) % n
				if pre && at%seg == 0 {
					sum += touch(beats[at:min(at+seg, n)])
				}
				buf = e.appendBeatWire(buf[:0], c, "127.0.0.1:8848", beats[at], "", i)
			})
			require.GreaterOrEqual(b, sum, 0)
		})
	}
}
