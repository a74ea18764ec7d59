package nacostest

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// rawRegister is the registration of instance i of 1000 services, with no
// metadata, as the transport's pipeline writes beatbench's.
func rawRegister(i int) []byte {
	ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	q := fmt.Sprintf("namespaceId=public&serviceName=DEFAULT_GROUP%%40%%40svc-%d&groupName=DEFAULT_GROUP&clusterName=DEFAULT&ip=%s&port=8080"+
		"&weight=1.0&enabled=true&healthy=true&ephemeral=true&metadata=%%7B%%7D", i%1000, ip)
	return []byte("POST /nacos/v1/ns/instance?" + q + " HTTP/1.1\r\nHost: x\r\nUser-Agent: Nacos-Java-Client:v1.4.6\r\n" +
		"Content-Length: 0\r\n\r\n")
}

// BenchmarkRegister measures the server's handling of registrations of
// b.N new instances into one store, in process: parsing, the store's
// growth and the answer. Run it with a fixed count to see the cost at a
// population, e.g. -benchtime=262144x. cpu-ns/op is the process's CPU
// time (GC included) per registration, which a busy machine disturbs less
// than ns/op.
func BenchmarkRegister(b *testing.B) {
	s := startBench(b)
	reqs := make([][]byte, b.N)
	for i := range reqs {
		reqs[i] = rawRegister(i)
	}
	rc := newRawConn()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := range b.N {
		if err := rc.serve(s, reqs[i]); err != nil {
			b.Fatal(err)
		}
		if code := rc.ctx.Response.StatusCode(); code != fasthttp.StatusOK {
			b.Fatalf("status %d: %s", code, rc.ctx.Response.Body())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if n := s.Len(); n != b.N {
		b.Fatalf("%d instances registered, want %d", n, b.N)
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
