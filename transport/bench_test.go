package transport

import (
	"testing"
	"time"

	"github.com/beatwheel/beatwheel/reactor"
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
}
