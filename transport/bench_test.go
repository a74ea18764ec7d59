package transport

import (
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
	"github.com/valyala/fasthttp"
)

const benchBatch = 512

// BenchmarkSendBeats sends batches of full beats to an in-process fasthttp
// server answering the canned JSON. One op is one beat.
func BenchmarkSendBeats(b *testing.B) {
	ts := newTestServer(b, nacosHandler)
	beats := testBeats(benchBatch)
	for i := range beats {
		beats[i].Light = false
	}
	for _, mode := range modes {
		b.Run(mode.String(), func(b *testing.B) {
			c := newClient(b, Config{Servers: []string{ts.addr}, Mode: mode})
			res := make([]reactor.BeatResult, benchBatch)
			c.SendBeats(bg(), beats, res)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				res := make([]reactor.BeatResult, benchBatch)
				n := 0
				for pb.Next() {
					if n == 0 {
						c.SendBeats(bg(), beats, res)
						if res[0].Err != nil {
							b.Error(res[0].Err)
						}
					}
					n = (n + 1) % benchBatch
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "beats/s")
		})
	}
	// The same beats through fasthttp.PipelineClient, one goroutine-blocking
	// Do per beat from many goroutines: the baseline for ModePipeline.
	b.Run("fasthttp.PipelineClient", func(b *testing.B) {
		pc := &fasthttp.PipelineClient{Addr: ts.addr, MaxConns: DefaultPipelineConns,
			MaxPendingRequests: DefaultMaxInflightPerConn, ReadTimeout: DefaultTimeout, WriteTimeout: DefaultTimeout}
		c := newClient(b, Config{Servers: []string{ts.addr}})
		b.SetParallelism(64)
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			e := new(encoder)
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			i := 0
			for pb.Next() {
				c.fillBeatRequest(req, e, 0, beats[i%benchBatch], "")
				if err := pc.Do(req, resp); err != nil {
					b.Error(err)
					return
				}
				_ = parseBeatResponse(&testParsers, resp.StatusCode(), resp.Body())
				i++
			}
			fasthttp.ReleaseRequest(req)
			fasthttp.ReleaseResponse(resp)
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "beats/s")
	})
}
