package transport

import (
	"bytes"
	"flag"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// javaHashMapOrder is the iteration order of a java.util.HashMap built
// with initial capacity initCap and keys put in this order.
func javaHashMapOrder(keys []string, initCap int) []string {
	n := 1
	for n < initCap {
		n <<= 1
	}
	for len(keys)*4 > n*3 {
		n <<= 1
	}
	bucket := func(k string) uint32 {
		var h int32
		for i := 0; i < len(k); i++ {
			h = 31*h + int32(k[i])
		}
		u := uint32(h)
		return (u ^ u>>16) & uint32(n-1)
	}
	out := append([]string(nil), keys...)
	sort.SliceStable(out, func(i, j int) bool { return bucket(out[i]) < bucket(out[j]) })
	return out
}

func names(order []param) []string {
	var s []string
	for _, p := range order {
		s = append(s, paramNames[p])
	}
	return s
}

func without(s []string, drop string) []string {
	var out []string
	for _, x := range s {
		if x != drop {
			out = append(out, x)
		}
	}
	return out
}

// TestJavaHashMapOrder recomputes the parameter orders from the keys and
// capacities NamingProxy uses (then drops app, which we do not send).
func TestJavaHashMapOrder(t *testing.T) {
	beat := []string{"namespaceId", "serviceName", "clusterName", "ip", "port"}
	reg := []string{"namespaceId", "serviceName", "groupName", "clusterName", "ip", "port", "weight", "enable", "healthy", "ephemeral", "metadata"}
	dereg := []string{"namespaceId", "serviceName", "clusterName", "ip", "port", "ephemeral"}
	tests := []struct {
		name  string
		keys  []string
		cap   int
		order []param
	}{
		{"beat", append(beat, "app"), 8, beatOrder},
		{"beat+token", append(beat, "accessToken", "app"), 8, beatTokenOrder},
		{"register", append(reg, "app"), 16, registerOrder},
		{"register+token", append(reg, "accessToken", "app"), 16, registerTokenOrder},
		{"deregister", append(dereg, "app"), 8, deregisterOrder},
		{"deregister+token", append(dereg, "accessToken", "app"), 8, deregisterTokOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, without(javaHashMapOrder(tt.keys, tt.cap), "app"), names(tt.order))
		})
	}
}

func TestAppendJavaDouble(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", 0.5: "0.5", 100: "100.0", 1.25: "1.25", 1e7: "1.0E7",
		12345678.9: "1.23456789E7", 0.001: "0.001", 0.0001: "1.0E-4", 1.5e-5: "1.5E-5",
	} {
		assert.Equal(t, want, string(appendJavaDouble(nil, f)), "%v", f)
	}
}

func TestFormEscape(t *testing.T) {
	assert.Equal(t, "a-b_c.d*e+%40%40%3A%2F%7B%22%C3%A9", string(appendFormEscape(nil, `a-b_c.d*e @@:/{"é`)))
}

func TestBeatJSON(t *testing.T) {
	var e encoder
	b := &reactor.BeatInfo{ServiceName: "g@@s", IP: "::1", Port: 80, Weight: 2.5,
		Metadata: map[string]string{"b": "q\"\n\x01", "a": "1"}, Scheduled: true}
	assert.Equal(t, `{"port":80,"ip":"::1","weight":2.5,"serviceName":"g@@s","cluster":"DEFAULT",`+
		`"metadata":{"a":"1","b":"q\"\n\u0001"},"scheduled":true,"period":5000,"stopped":false}`,
		string(e.appendBeatJSON(nil, b)))
}

// TestGolden compares the bytes of each request kind with testdata.
// Regenerate with go test -run TestGolden -update, and read the diff.
func TestGolden(t *testing.T) {
	info := &reactor.BeatInfo{ServiceName: "DEFAULT_GROUP@@orders", IP: "10.0.0.7", Port: 8080,
		Weight: 1, Metadata: map[string]string{"version": "1.2 beta", "zone": "eu/1"}, Period: 5e9}
	type call func(c *Client) error
	beat := func(light bool) call {
		return func(c *Client) error {
			res := make([]reactor.BeatResult, 1)
			c.SendBeats(bg(), []reactor.Beat{{Info: info, Light: light}}, res)
			return res[0].Err
		}
	}
	tests := []struct {
		name  string
		mode  Mode
		auth  bool
		call  call
		reply string
	}{
		{"beat_full_hostclient", ModeHostClient, false, beat(false), okBeat},
		{"beat_light_hostclient", ModeHostClient, false, beat(true), okBeat},
		{"beat_full_pipeline", ModePipeline, false, beat(false), okBeat},
		{"beat_light_pipeline", ModePipeline, false, beat(true), okBeat},
		{"beat_token_pipeline", ModePipeline, true, beat(true), okBeat},
		{"register", ModeHostClient, false, func(c *Client) error { return c.Register(bg(), info) }, "ok"},
		{"register_token", ModeHostClient, true, func(c *Client) error { return c.Register(bg(), info) }, "ok"},
		{"deregister", ModeHostClient, false, func(c *Client) error { return c.Deregister(bg(), info) }, "ok"},
		{"login", ModeHostClient, true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make(chan []byte, 4)
			rs := newRawServer(t, func(conn net.Conn) {
				for {
					raw, err := captureOne(conn, tt.reply)
					if err != nil {
						return
					}
					reqs <- raw
				}
			})
			cfg := Config{Servers: []string{rs.addr}, Namespace: "dev", Mode: tt.mode}
			if tt.auth {
				cfg.Username, cfg.Password = "nacos", "p@ss w0rd"
			}
			c := newClient(t, cfg)
			c.reqIDPrefix = [16]byte{0xde, 0xad, 0xbe, 0xef}
			if tt.auth {
				c.auth.tok.Store(&tokenInfo{token: "TOKEN", refreshAt: farFuture, expireAt: farFuture})
			}
			var err error
			if tt.call == nil { // login
				_, err = c.login(bg())
				require.ErrorIs(t, err, ErrAuth) // the empty reply is not JSON
			} else {
				require.NoError(t, tt.call(c))
			}
			raw := <-reqs
			raw = bytes.ReplaceAll(raw, []byte(rs.addr), []byte("127.0.0.1:8848"))
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
			b.ReportAllocs()
			for i := uint64(0); b.Loop(); i++ {
				buf = e.appendBeatWire(buf[:0], c, "127.0.0.1:8848", bt, tc.token, i)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		order []param
	}{{"beat", beatParams("")}, {"register", registerOrder}} {
		b.Run("query/"+tc.name, func(b *testing.B) {
			var e encoder
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for b.Loop() {
				buf = e.appendQuery(buf[:0], tc.order, info, "dev", "")
			}
		})
	}
}
